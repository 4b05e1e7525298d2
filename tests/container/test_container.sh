#!/usr/bin/env bash
# test_container.sh - proves the Dockerfile builds and its image runs, on a
# machine with no image registry and no way to start containers.
#
#   1. installs podman and debootstrap if missing (Debian's packages);
#   2. debootstraps a minimal Debian bookworm (variant minbase) from the
#      mirror apt already uses (read from /etc/apt/sources.list{,.d}) and
#      imports it into a private podman store as debian:bookworm and, slimmed
#      like Debian's slim images, debian:bookworm-slim - the two base images
#      the Dockerfile names;
#   3. podman build --isolation=chroot --network host (apt-get inside the
#      build reaches the same mirror through the host's network);
#   4. checks the image's config (non-root USER, ENTRYPOINT, volumes owned by
#      that user), mounts the image read-only and runs, chrooted as the image's
#      user, `feedarc --version` and `feedarc demo` (which serves and crawls on
#      loopback only), and checks that the image holds no compiler.
#
# Run by hand from the repo root:  bash tests/container/test_container.sh
# Under ctest when configured with -DFEEDARC_CONTAINER_TEST=ON.
# Exit 0 pass, 1 fail, 77 skipped (not root, podman unusable, no mirror).
#
#   FEEDARC_CONTAINER_CACHE  cache folder (default /var/tmp/feedarc-container-cache):
#                            the rootfs tarballs (rebuilt after 30 days), the
#                            private podman store (its layers make re-runs
#                            fast) and the last build's log.  rm -rf it to start cold.
# shellcheck disable=SC2015  # `check && ok ... || bad ...`, as in tests/cli
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FEEDARC_CONTAINER_CACHE:-/var/tmp/feedarc-container-cache}
image=feedarc:test
SECONDS=0
fails=0
step() { printf '[%4ds] %s\n' "$SECONDS" "$*"; }
ok()   { echo "ok   $*"; }
bad()  { fails=$((fails+1)); echo "FAIL $*"; }
skip() { echo "SKIP test_container: $*"; exit 77; }
die()  { echo "FAIL $*"; exit 1; }

# ---- 1. tools -------------------------------------------------------------
[ "$(id -u)" -eq 0 ] ||
  skip "needs root (debootstrap, podman's rootful store, mount and chroot)"
command -v apt-get >/dev/null || skip "not a Debian system (no apt-get)"
need=()
command -v podman >/dev/null || need+=(podman)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  inst() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; }
  { inst || { apt-get update -q && inst; }; } >/dev/null 2>&1 ||
    skip "could not install ${need[*]} with apt-get"
fi

mkdir -p "$cache" || die "cannot create $cache"
exec 9>"$cache/lock"
flock -w 1800 9 || die "another run holds $cache/lock"

# The private store keeps this test's images (and its debian:* stand-ins)
# away from the machine's own podman images.  Root's overlay driver if the
# kernel has it, vfs (slower, bigger) if not.
runroot=/run/feedarc-container-test
pm() { podman --root "$cache/storage-$driver" --runroot "$runroot-$driver" \
              --storage-driver "$driver" "$@"; }
driver=
for d in overlay vfs; do
  driver=$d
  if pm info >"$cache/podman-info.log" 2>&1; then break; fi
  driver=
done
[ -n "$driver" ] || skip "podman does not work here: $(tail -n 3 "$cache/podman-info.log")"
step "podman $(podman version --format '{{.Client.Version}}'), storage driver $driver, cache $cache"

# ---- cleanup: every mount this script makes, in all cases ------------------
mounts=()        # mount points to unmount, most recent last
image_mounted=0
rootfs_dir=
# A debootstrap target: debootstrap mounts /proc, /sys (and in a container
# binds /dev) in it; never let rm -rf walk into one of those.
remove_rootfs() { # dir
  local m
  findmnt -rn -o TARGET | grep -F "$1/" | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
  rm -rf --one-file-system "$1"
}
cleanup() {
  local i
  for ((i=${#mounts[@]}-1; i>=0; i--)); do umount "${mounts[$i]}" 2>/dev/null || umount -l "${mounts[$i]}"; done
  [ "$image_mounted" -eq 1 ] && pm image unmount "$image" >/dev/null 2>&1
  [ -n "$rootfs_dir" ] && [ -d "$rootfs_dir" ] && remove_rootfs "$rootfs_dir"
  rm -f "$cache/rootfs.tar.tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# Leftovers of a run killed without its trap (ctest's timeout kills): the
# /proc and /tmp put on a mounted image, the image mount, a half-made rootfs.
findmnt -rn -o TARGET,FSTYPE | awk -v c="$cache/" 'index($1, c) == 1 && ($2 == "proc" || $2 == "tmpfs") { print $1 }' |
  sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
pm image unmount --all --force >/dev/null 2>&1
for d in "$cache"/rootfs.*; do [ -d "$d" ] && remove_rootfs "$d"; done

# ---- 2. base images from debootstrap ---------------------------------------
# "URI SUITE" for each enabled deb source, one-line and deb822 formats.
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2
           if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
           print $i, $(i + 1) }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush(  n, m, i, j, u, s) {
           if (types ~ /(^| )deb( |$)/ && enabled != "no") {
             n = split(uris, u, " "); m = split(suites, s, " ")
             for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
           }
           types = uris = suites = ""; enabled = "yes"
         }
         BEGIN { enabled = "yes" }
         /^#/ { next }
         /^[ \t]*$/ { flush(); next }
         /^[^ \t]/ { key = tolower($1); sub(/:$/, "", key)
                     val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                     if (key == "types") types = val
                     else if (key == "uris") uris = val
                     else if (key == "suites") suites = val
                     else if (key == "enabled") enabled = tolower(val) }
         END { flush() }' "$f"
  done
}
sources=$(apt_sources)
mirror=$(awk '$2 == "bookworm" { print $1; exit }' <<<"$sources")
security=$(awk '$2 == "bookworm-security" { print $1; exit }' <<<"$sources")
updates=$(awk -v m="$mirror" '$1 == m && $2 == "bookworm-updates" { print $2; exit }' <<<"$sources")
[ -n "$mirror" ] || skip "apt has no Debian bookworm source (in /etc/apt/sources.list or sources.list.d)"

# Two tarballs from one debootstrap: debian:bookworm as is, and
# debian:bookworm-slim the way Debian's slim images are made (debuerreotype's
# "slimify": docs but copyright files, man pages, info and locales removed, and
# a dpkg config that keeps them out of packages installed later), so that the
# image size measured here is close to the real one.
full_tar=$cache/rootfs-bookworm-minbase.tar
slim_tar=$cache/rootfs-bookworm-minbase-slim.tar
slimify() { # root
  local root=$1
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# as Debian's slim images: no documentation, man pages or translations
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/*
}
if [ -f "$full_tar" ] && [ -f "$slim_tar" ] && [ -n "$(find "$full_tar" -mtime -30)" ]; then
  step "rootfs: cached $full_tar, $slim_tar"
else
  step "rootfs: debootstrap --variant=minbase bookworm from $mirror"
  rootfs_dir=$(mktemp -d "$cache/rootfs.XXXXXX")
  if ! debootstrap --variant=minbase bookworm "$rootfs_dir" "$mirror" \
         >"$cache/debootstrap.log" 2>&1; then
    tail -n 20 "$cache/debootstrap.log"
    die "debootstrap failed (log: $cache/debootstrap.log)"
  fi
  # apt sources as Debian's own images have them, on this machine's mirror.
  rm -f "$rootfs_dir/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm %s\nComponents: main\n' "$mirror" "$updates"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    [ -n "$security" ] &&
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security"
  } >"$rootfs_dir/etc/apt/sources.list.d/debian.sources"
  rm -rf "$rootfs_dir"/var/lib/apt/lists/* "$rootfs_dir"/var/cache/apt/*.bin \
         "$rootfs_dir"/var/cache/apt/archives/*.deb
  tar -C "$rootfs_dir" --numeric-owner -cf "$cache/rootfs.tar.tmp" . &&
    mv "$cache/rootfs.tar.tmp" "$full_tar" || die "cannot write $full_tar"
  slimify "$rootfs_dir"
  tar -C "$rootfs_dir" --numeric-owner -cf "$cache/rootfs.tar.tmp" . &&
    mv "$cache/rootfs.tar.tmp" "$slim_tar" || die "cannot write $slim_tar"
  rm -rf --one-file-system "$rootfs_dir"; rootfs_dir=
fi

# Imported once per tarball (a label names it): re-importing would give a new
# image id and throw away every cached build layer above it.
import() { # tarball name
  local stamp have
  stamp=$(stat -c '%Y-%s' "$1")
  have=$(pm image inspect --format '{{index .Config.Labels "feedarc.rootfs"}}' "$2" 2>/dev/null)
  [ "$have" = "$stamp" ] && return 0
  step "importing $1 as $2"
  pm import --change "LABEL feedarc.rootfs=$stamp" \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' "$1" "$2" >"$cache/import.log" 2>&1 ||
    die "podman import $2 failed: $(tail -n 3 "$cache/import.log")"
}
import "$full_tar" debian:bookworm
import "$slim_tar" debian:bookworm-slim
mb() { echo "$(($(pm image inspect --format '{{.Size}}' "$1") / 1000000)) MB"; }
step "base images: debian:bookworm $(mb debian:bookworm), debian:bookworm-slim $(mb debian:bookworm-slim)"

# ---- 3. the build -----------------------------------------------------------
# --pull=never: nothing may come from a registry.  --format docker: the image
# keeps a HEALTHCHECK once the Dockerfile has one (OCI images drop it).
build_start=$SECONDS
step "podman build --isolation=chroot --network host -t $image $src"
if ! pm build --isolation=chroot --network host --pull=never --format docker \
       -t "$image" -f "$src/Dockerfile" "$src" >"$cache/build.log" 2>&1; then
  tail -n 40 "$cache/build.log"
  die "podman build failed (log: $cache/build.log)"
fi
# Name the build stage too (all cached: a second) so that pruning the
# images replaced by this run keeps the layers the next run reuses.
pm build --isolation=chroot --network host --pull=never --format docker \
   --target build -t "$image-build" -f "$src/Dockerfile" "$src" >>"$cache/build.log" 2>&1 ||
  die "podman build --target build failed (log: $cache/build.log)"
pm image prune -f >/dev/null 2>&1
step "built in $((SECONDS - build_start)) s"
ok "podman build"

# ---- 4. the image -----------------------------------------------------------
inspect() { pm image inspect --format "$1" "$image"; }
size=$(inspect '{{.Size}}')
ok "image size $((size / 1000000)) MB ($size bytes)"

user=$(inspect '{{.Config.User}}')
entrypoint=$(inspect '{{json .Config.Entrypoint}}')
volumes=$(inspect '{{json .Config.Volumes}}')
[ "$entrypoint" = '["/usr/bin/feedarc"]' ] && ok "ENTRYPOINT $entrypoint" ||
  bad "ENTRYPOINT is $entrypoint, wanted [\"/usr/bin/feedarc\"]"
for v in /var/lib/feedarc/archive /var/lib/feedarc/state; do
  grep -qF "\"$v\"" <<<"$volumes" && ok "VOLUME $v" || bad "no VOLUME $v (volumes: $volumes)"
done
cmd=$(inspect '{{json .Config.Cmd}}')
[ "$cmd" = '["serve","-c","/etc/feedarc/feedarc.yaml"]' ] && ok "CMD $cmd" ||
  bad "CMD is $cmd, wanted serve with the mounted config"
health=$(inspect '{{json .Config.Healthcheck}}')
grep -q '/healthz' <<<"$health" && ok "HEALTHCHECK on /healthz" || bad "no HEALTHCHECK on /healthz ($health)"

mnt=$(pm image mount "$image") && [ -d "$mnt" ] || die "podman image mount $image failed"
image_mounted=1

# The image's user as numbers, through the image's own /etc/passwd and group.
u=${user%%:*} g=
[[ "$user" == *:* ]] && g=${user#*:}
if [ -n "$u" ] && ! [[ "$u" =~ ^[0-9]+$ ]]; then
  u=$(awk -F: -v n="$u" '$1 == n { print $3 }' "$mnt/etc/passwd")
fi
if [ -z "$g" ] && [ -n "$u" ]; then
  g=$(awk -F: -v n="$u" '$3 == n { print $4 }' "$mnt/etc/passwd")
elif [ -n "$g" ] && ! [[ "$g" =~ ^[0-9]+$ ]]; then
  g=$(awk -F: -v n="$g" '$1 == n { print $3 }' "$mnt/etc/group")
fi
if [ -z "$user" ] || [ -z "$u" ] || [ "$u" -eq 0 ]; then
  bad "image runs as root (Config.User '${user}')"; u=65534 g=65534
else
  ok "image user '$user' = uid $u, gid ${g:=$u} (not root)"
fi

for v in /var/lib/feedarc/archive /var/lib/feedarc/state; do
  owner=$(stat -c '%u:%g' "$mnt$v" 2>/dev/null)
  [ "$owner" = "$u:$g" ] && ok "$v owned by $owner" || bad "$v owned by '${owner:-missing}', wanted $u:$g"
done

compilers=()
for c in cc gcc c99 c++ g++ clang ld cmake; do
  [ -e "$mnt/usr/bin/$c" ] && compilers+=("/usr/bin/$c")
done
[ ${#compilers[@]} -eq 0 ] && ok "no compiler or build tool in the image" ||
  bad "runtime image holds ${compilers[*]}"
[ -e "$mnt/src" ] && bad "runtime image holds the sources (/src)" || ok "no sources in the image"
[ -x "$mnt/usr/bin/feedarc" ] && ok "/usr/bin/feedarc" || die "no /usr/bin/feedarc in the image"

# Run the image's binary as the image's user.  The image is mounted
# read-only: a fresh /proc and a tmpfs /tmp (for the demo's archive) go on top.
mount -t proc proc "$mnt/proc" && mounts+=("$mnt/proc") || die "cannot mount /proc in the image"
mount -t tmpfs -o mode=1777,size=256m tmpfs "$mnt/tmp" && mounts+=("$mnt/tmp") ||
  die "cannot mount a tmpfs on the image's /tmp"
in_image() { # as the image's user, with the image's environment
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/var/lib/feedarc LANG=C.UTF-8 \
      timeout 120 chroot --userspec="$u:$g" --groups="$g" "$mnt" "$@"
}

missing=$(chroot "$mnt" /usr/bin/ldd /usr/bin/feedarc 2>&1 | grep 'not found')
[ -z "$missing" ] && ok "every shared library feedarc needs is in the image" ||
  bad "libraries missing from the image: $(tr '\n' ' ' <<<"$missing")"

out=$(in_image /usr/bin/feedarc --version 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^feedarc [0-9]' <<<"$out"; then ok "feedarc --version: $out"
else bad "feedarc --version exited $rc: $out"; fi

out=$(in_image /usr/bin/feedarc demo --out /tmp/demo 2>&1); rc=$?
[ $rc -eq 0 ] && ok "feedarc demo exited 0" || bad "feedarc demo exited $rc"
grep -q 'sources:  5 (0 failed)' <<<"$out" && ok "demo: sources:  5 (0 failed)" ||
  bad "demo summary has no 'sources:  5 (0 failed)'"
n_seg=$(find "$mnt/tmp/demo" -name '*.warc.zst' -user "$u" 2>/dev/null | wc -l)
[ "$n_seg" -ge 1 ] && ok "demo wrote $n_seg segment(s) as uid $u" || bad "demo wrote no segment as uid $u"
[ "$fails" -eq 0 ] || head -n 40 <<<"$out" | sed 's/^/    /' 

step "done: $fails failure(s); image $image $((size / 1000000)) MB (store: podman --root $cache/storage-$driver)"
[ "$fails" -eq 0 ]
