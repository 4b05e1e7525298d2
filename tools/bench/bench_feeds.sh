#!/usr/bin/env bash
# tools/bench/bench_feeds.sh - what `feedarc serve` costs per 1,000 feeds
# (issue 14's sizing table): CPU, RSS and state size while every feed is
# unchanged (each poll a conditional request answered 304), and while 10 %
# of the feeds carry a new item each cycle (a 200, a parse, a new page).
#
# tools/bench/feeds_origin.py serves FEEDS small RSS feeds on HOSTS loopback
# addresses (127.0.1.x); one OPML source lists them all, polled every
# INTERVAL.  After a warm-up (the first poll of every feed and the pages of
# its 3 items, then one whole interval so every feed has its validators),
# the serve process's CPU (user+sys from /proc) is read over one interval
# of 304s, then over one interval with 10 % new.  A 15-minute interval costs
# the same per poll: scale the per-interval figures by INTERVAL/15 min.
#
# usage: tools/bench/bench_feeds.sh [BUILD_DIR] [FEEDS] [HOSTS] [INTERVAL_S]
#   defaults: build 10000 100 60
#   KEEP=1 keeps the work folder.
set -euo pipefail
build=${1:-build} feeds=${2:-10000} hosts=${3:-100} interval=${4:-60}
per_host=$((feeds / hosts))
feeds=$((per_host * hosts))
bin=$(realpath "$build/cli/feedarc")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/feedarc-feeds-XXXXXX)
origin_pid= serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null
  [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

python3 "$here/feeds_origin.py" "$work" "$hosts" "$per_host" "$interval" >"$work/origin.log" 2>&1 &
origin_pid=$!
for _ in $(seq 300); do [ -e "$work/ready" ] && break; sleep 0.1; done
[ -e "$work/ready" ] || { echo "origin did not start"; cat "$work/origin.log"; exit 1; }

port=$((20000 + RANDOM % 20000))
cat >"$work/feedarc.yaml" <<EOF
storage:
  dir: $work/archive
  state_dir: $work/state
politeness:
  max_connections_per_host: 2
  min_delay: 0s
  max_connections: 64
metrics:
  listen: "127.0.0.1:$port"
sources:
  - opml: $work/feeds.opml
    interval: ${interval}s
EOF

cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$serve_pid/stat"; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$serve_pid/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$serve_pid/status"; }
counts() { cat "$work/counts" 2>/dev/null || echo "0 0 0"; }
# the state without SQLite's write-ahead log (checkpointed into the
# database as it fills; its file is kept up to 64 MiB), reported apart
state_kib() { du -sk --exclude='*-wal' --exclude='*-shm' "$work/state" | cut -f1; }
wal_kib() { du -sk "$work"/state/*-wal 2>/dev/null | cut -f1 || echo 0; }
archive_kib() { du -sk "$work/archive" | cut -f1; }

"$bin" serve -q -c "$work/feedarc.yaml" >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
t_start=$(date +%s.%N)
# Warm-up: until every feed has answered once and its pages are in (the
# page counter stops moving), then one more interval for the second polls.
want_pages=$((feeds * 3))
while :; do
  sleep 2
  kill -0 "$serve_pid" 2>/dev/null || { echo "serve exited"; tail "$work/serve.err"; exit 1; }
  read -r c200 c304 cpages < <(counts)
  [ "$c200" -ge "$feeds" ] && [ "$cpages" -ge "$want_pages" ] && break
done
warm=$(echo "$(date +%s.%N) - $t_start" | bc -l)
warm_cpu=$(cpu)
sleep "$interval"

measure_interval() { # label -> one table row
  local c0 r0 p0 s0 c1 r1 p1 s1 n200 n304 np
  read -r r0 s0 p0 < <(counts)
  c0=$(cpu)
  sleep "$interval"
  c1=$(cpu)
  read -r r1 s1 p1 < <(counts)
  n200=$((r1 - r0)) n304=$((s1 - s0)) np=$((p1 - p0))
  local per=$(echo "($c1 - $c0) * 1000 / $feeds" | bc -l)
  printf '| %s | %s | %s | %s | %.2f | %.3f | %.3f %% | %s MiB | %.1f MiB |\n' "$1" "$n304" "$n200" \
    "$np" "$(echo "$c1 - $c0" | bc -l)" "$per" "$(echo "$per / 900 * 100" | bc -l)" "$(rss)" \
    "$(echo "$(state_kib) / 1024" | bc -l)"
}

printf '\n%s feeds on %s hosts (loopback), one OPML source, interval %ss; warm-up %.0f s (%s CPU s: first polls + %s pages)\n\n' \
  "$feeds" "$hosts" "$interval" "$warm" "$warm_cpu" "$want_pages"
printf '| phase | 304s | 200s | pages | CPU s per interval | CPU s per 1,000 feeds per poll | share of one core per 1,000 feeds at a 15-min interval | RSS | state |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
measure_interval "all unchanged (304)"
echo 10 >"$work/new_pct"
sleep "$interval" # the first cycle with growth
measure_interval "10 % with a new item"
printf '\npeak RSS %s MiB; state %s KiB (%.1f KiB per 1,000 feeds; of it the dedup index and\n' \
  "$(hwm)" "$(state_kib)" "$(echo "$(state_kib) * 1000 / $feeds" | bc -l)"
printf 'stored texts %s KiB) and a write-ahead log of %s KiB; archive %s KiB\n' \
  "$(du -sk "$work/state/dedup" | cut -f1)" "$(wal_kib)" "$(archive_kib)"
