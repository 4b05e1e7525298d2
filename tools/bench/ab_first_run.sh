#!/usr/bin/env bash
# tools/bench/ab_first_run.sh - two or more builds (or settings) of feedarc,
# alternated on the same sample sites: the first run of each, round after
# round, so that a machine whose speed drifts treats them alike.
#
# Each variant is "LABEL:[VAR=VALUE ...] /path/to/feedarc"; the sample sites
# (`feedarc demo --serve`, compact pages unless PAGE_BYTES is set) are served
# once by the first variant's binary and every run starts from an empty
# archive and state.  Printed per run: wall s, CPU s (user + sys), CPU
# seconds per wall second, peak RSS MiB, minor page faults, the loop lag
# p99 / max it reports, and the archive's bytes on disk.  Then the medians
# per variant.
#
# A variant's MAXCONN=N word crawls with politeness.max_connections N
# (128 otherwise, as bench_crawl.sh).
#
# A variant whose words include NODEDUP=1 crawls with `dedup: { enabled:
# false }` (no extraction, no near-duplicate or containment analysis): the
# difference between a binary's run with and without it is what dedup costs
# that binary per page (issue 13 item 6).
#
# usage: tools/bench/ab_first_run.sh ROUNDS VARIANT...
#   SITES=20 ARTICLES=200 CONN=4 PAGE_BYTES=0 SYNDICATED=0 (bench_crawl.sh's)
#   DICT=FILE: every run uses that dictionary (a later run's; a first run's
#     state folder keeps it in dictionaries/), so no training happens
# example:
#   tools/bench/ab_first_run.sh 6 "old:/tmp/old/build/cli/feedarc" "new:build/cli/feedarc" \
#       "nice0:FEEDARC_WORKER_NICE=0 build/cli/feedarc"
#   tools/bench/ab_first_run.sh 5 "on:build/cli/feedarc" "off:NODEDUP=1 build/cli/feedarc"
set -euo pipefail
rounds=${1:?usage: ab_first_run.sh ROUNDS LABEL:[VAR=VALUE ...] FEEDARC ...}
shift
[ $# -ge 1 ] || { echo "no variant given" >&2; exit 2; }
first=${1#*:}
server_bin=$(realpath "${first##* }")
work=$(mktemp -d /tmp/feedarc-ab-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

demo_opts=()
[ "${PAGE_BYTES:-0}" != 0 ] && demo_opts+=(--page-size "$PAGE_BYTES")
[ "${SYNDICATED:-0}" != 0 ] && demo_opts+=(--syndicated "$SYNDICATED")
"$server_bin" demo --serve --out "$work/sites" --sites "${SITES:-20}" --articles "${ARTICLES:-200}" \
  "${demo_opts[@]}" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }

results="$work/results"
: > "$results"
for _ in $(seq "$rounds"); do
  for v in "$@"; do
    label=${v%%:*} cmd=${v#*:}
    rm -rf "$work/archive" "$work/state"
    # no dirty pages of the last run: feedarc's first fsync would write
    # them out (wget never syncs); up to ~0.1 s of a run here
    sync
    # a variant's MAXCONN=N word sets politeness.max_connections (128 otherwise)
    maxconn=$(printf '%s\n' " $cmd " | sed -n 's/.* MAXCONN=\([0-9]*\) .*/\1/p')
    sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: ${CONN:-4}|" \
        -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
        -e "s|max_connections: [0-9]*|max_connections: ${maxconn:-128}|" \
        -e "s|^  dir: .*|  dir: $work/archive|" \
        -e "s|^  state_dir: .*|  state_dir: $work/state|" \
        "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"
    # a later run: DICT=FILE crawls with that dictionary (from a first run's state)
    [ -n "${DICT:-}" ] && sed -i "s|^  dir: .*|&\n  dictionary: $DICT|" "$work/bench.yaml"
    case " $cmd " in *" NODEDUP=1 "*) printf 'dedup:\n  enabled: false\n' >> "$work/bench.yaml" ;; esac
    # shellcheck disable=SC2086 # the variant's words: VAR=VALUE ... binary
    /usr/bin/time -f "%e %U %S %M %R" -o "$work/time" env $cmd once -c "$work/bench.yaml" \
      > "$work/out" 2> "$work/err" < /dev/null || { echo "$label: feedarc failed"; cat "$work/err"; exit 1; }
    read -r wall user sys rss faults < "$work/time"
    crawl=$(sed -n 's/^crawling: .*(\([0-9.]*\) cores.*/\1/p' "$work/out")
    lag=$(sed -n 's/^loop lag: max \([0-9.]*\) ms, p99 < \([0-9]*\) ms.*/\2 \/ \1/p' "$work/out")
    bytes=$(du -sb "$work/archive" | cut -f1)
    awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v f="$faults" \
        -v g="$lag" -v b="$bytes" -v k="${crawl:-?}" 'BEGIN {
      printf "%-12s wall %5.2f  cpu %5.2f  cores %4.2f  crawling %4s  rss %3d MiB  faults %6d  lag p99/max %-10s bytes %d\n",
             l, w, u + s, (u + s) / w, k, r / 1024, f, g, b }' | tee -a "$results"
  done
done
echo
echo "medians:"
awk '{ w[$1] = w[$1] " " $3; c[$1] = c[$1] " " $5; k[$1] = k[$1] " " $7; p[$1] = p[$1] " " $9 }
     function med(list,   a, n, i, j, t) {
       n = split(list, a, " ")
       for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
       return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
     END { for (l in w) printf "%-12s wall %.3f  cpu %.3f  cores %.3f  crawling %.3f\n", l, med(w[l]), med(c[l]), med(k[l]), med(p[l]) }' "$results" | sort
