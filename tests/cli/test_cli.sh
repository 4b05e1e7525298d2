#!/usr/bin/env bash
# test_cli.sh FEEDARC NPM_PREFIX WARCIO_CHECK - the command line end to end:
# help/version, `demo` (must archive every page, quickly, into a readable
# archive), `once` over the bundled config, and each documented exit code.
set -u
bin=$(realpath "$1") npm=$(realpath -m "$2") check=$(realpath "$3")
tmp=$(mktemp -d /tmp/feedarc-cli-XXXXXX)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
bad()  { fails=$((fails+1)); echo "FAIL $1"; }
expect_code() { # name expected command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else
    bad "$name: exit $got, wanted $want"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -20; fi
}

expect_code "--version" 0 "$bin" --version
grep -q '^feedarc [0-9]' "$tmp/out" && ok "version line" || bad "version line"
# the optimised build allocates with jemalloc (common/fa_alloc.h), a
# sanitizer build with the sanitizer's malloc
if ldd "$bin" | grep -q 'libasan\|libubsan'; then
  grep -q ", AddressSanitizer's)$" "$tmp/out" && ok "version names the allocator (sanitizer build)" \
    || bad "version line under sanitizers: $(cat "$tmp/out")"
else
  grep -q ', jemalloc [0-9]' "$tmp/out" && ok "version: the executable allocates with jemalloc" \
    || bad "version line does not name jemalloc: $(cat "$tmp/out")"
fi
expect_code "--help" 0 "$bin" --help
grep -q 'once' "$tmp/out" && ok "help lists once" || bad "help lists once"
expect_code "help once" 0 "$bin" help once
grep -q 'Exit status' "$tmp/out" && ok "help once documents exit status" || bad "help once text"
expect_code "unknown command" 64 "$bin" frobnicate
expect_code "once without -c" 64 "$bin" once

# demo: archives every page of the bundled sites, in well under 10 s - a
# promise of the optimised build, judged there only: a sanitizer build runs
# several times slower (10.4 s once on a loaded machine) and says nothing of
# it (the demo's speed proper: tools/bench/bench_crawl.sh)
start=$(date +%s%N)
expect_code "demo" 0 "$bin" demo --out "$tmp/demo"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cp "$tmp/out" "$tmp/demo.out"
if ldd "$bin" | grep -q 'libasan\|libubsan'; then ok "demo took ${ms} ms (not judged under sanitizers)"
else [ "$ms" -lt 10000 ] && ok "demo took ${ms} ms (< 10 s)" || bad "demo took ${ms} ms"; fi
grep -q 'sources:  5 (0 failed)' "$tmp/demo.out" && ok "demo: 5 sources, none failed" || bad "demo sources line"
grep -Eq 'pages: +[1-9][0-9]* archived, .* 0 failed' "$tmp/demo.out" && ok "demo: pages archived" || bad "demo pages line"
n_seg=$(ls "$tmp/demo"/*.warc.zst 2>/dev/null | wc -l)
[ "$n_seg" -ge 1 ] && ok "demo: $n_seg closed segment(s)" || bad "demo: no closed segment"
ls "$tmp/demo"/*.open >/dev/null 2>&1 && bad "demo left an .open segment" || ok "no .open segment left"
records=$(sed -n 's/^records: *\([0-9]*\) .*/\1/p' "$tmp/demo.out")

# the demo archive decompresses with plain zstd and warcio.js reads it all
if command -v zstd >/dev/null; then
  zstd -q -dc "$tmp/demo"/*.warc.zst > "$tmp/demo.warc" && ok "zstd -dc" || bad "zstd -dc"
  n=$(grep -ac '^WARC/1.1' "$tmp/demo.warc")
  [ "$n" = "$records" ] && ok "records in archive = summary ($n)" || bad "archive has $n records, summary $records"
  if [ ! -f "$npm/node_modules/warcio/package.json" ] && command -v npm >/dev/null; then
    mkdir -p "$npm" && npm install --prefix "$npm" --no-audit --no-fund warcio@2 >"$npm/install.log" 2>&1
  fi
  if [ -f "$npm/node_modules/warcio/package.json" ] && command -v node >/dev/null; then
    if node "$check" "$npm" "$tmp/demo.warc" >"$tmp/warcio.out" 2>&1; then
      ok "warcio.js reads the demo archive: $(cat "$tmp/warcio.out")"
    else bad "warcio.js: $(cat "$tmp/warcio.out")"; fi
  else
    echo "skip warcio.js check: node/npm or the npm registry unavailable"
  fi
fi

# once with the bundled config printed by the demo (sites no longer running:
# every source fails to connect -> exit 1, nothing crashes)
expect_code "demo --print-config" 0 "$bin" demo --out "$tmp/cfgout" --print-config
cp "$tmp/out" "$tmp/demo.yaml"
expect_code "once, sources unreachable" 1 "$bin" once -q -c "$tmp/demo.yaml"

# bad config -> 78 with file:line
printf 'sources:\n  - url: http://127.0.0.1:1/f.xml\n    intervall: 5m\n' > "$tmp/bad.yaml"
expect_code "once, bad config" 78 "$bin" once -c "$tmp/bad.yaml"
grep -q 'bad.yaml:3' "$tmp/err" && ok "config error names file:line" || { bad "config error location"; cat "$tmp/err"; }

# archive folder that cannot be created -> 73
mkdir -p "$tmp/ro" && chmod 0555 "$tmp/ro"
printf 'storage: { dir: %s/ro/archive }\nsources:\n  - url: http://127.0.0.1:1/f.xml\n' "$tmp" > "$tmp/ro.yaml"
if [ "$(id -u)" -eq 0 ]; then
  echo "skip read-only archive check: root ignores directory permissions"
else
  expect_code "once, archive not creatable" 73 "$bin" once -q -c "$tmp/ro.yaml"
fi
printf 'storage: { dir: /proc/feedarc-archive }\nsources:\n  - url: http://127.0.0.1:1/f.xml\n' > "$tmp/proc.yaml"
expect_code "once, archive not creatable (/proc)" 73 "$bin" once -q -c "$tmp/proc.yaml"

# disk full during a run -> 74 (EX_IOERR): the archive on a 256 KiB tmpfs (root only)
if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/small" && mount -t tmpfs -o size=256k tmpfs "$tmp/small" 2>/dev/null; then
  "$bin" demo --serve --out "$tmp/full-sites" --sites 3 --articles 30 >/dev/null 2>&1 &
  sites=$!
  for _ in $(seq 50); do [ -s "$tmp/full-sites/urls.txt" ] && break; sleep 0.1; done
  sed -e "s|^  dir: .*|  dir: $tmp/small/archive|" -e "s|^  state_dir: .*|  state_dir: $tmp/full-state|" \
      -e "s|^  state_dir:|  dictionary: none\n  state_dir:|" \
      "$tmp/full-sites/feedarc-demo.yaml" > "$tmp/full.yaml"
  expect_code "once, disk full" 74 "$bin" once -q -c "$tmp/full.yaml"
  grep -qi "no space" "$tmp/err" && ok "disk full reported as such" || { bad "disk-full message"; head -3 "$tmp/err"; }
  kill "$sites"; wait "$sites" 2>/dev/null
  umount "$tmp/small"
else
  echo "skip disk-full check: needs root and a tmpfs mount"
fi

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
