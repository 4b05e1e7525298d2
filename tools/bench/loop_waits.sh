#!/usr/bin/env bash
# tools/bench/loop_waits.sh - where the event-loop thread WAITS during
# `feedarc once` on the sample sites: every futex wait and sched_yield()
# of the loop thread longer than MIN_MS, by cause (from its call stack).
#
# perf_loop.sh says what the loop thread computes; a stalled loop can also
# be one that waits - for a lock a worker holds (SQLite's handle, an
# allocator arena), or, with libuv's own thread pool (libuv < 1.45), for a
# worker in the middle of telling it of finished work (uv__async_spin's
# sched_yield).  Each such wait is a loop lag the thread's CPU time does
# not show.  perf trace slows every traced syscall a little, so the lags
# it prints are not the benchmark's; the waits' causes are what it is for.
#
# usage: tools/bench/loop_waits.sh [BUILD_DIR] [RUNS] [SITES] [ARTICLES] [SYNDICATED]
#   defaults: build 3 20 200 0 (bench_crawl.sh's sites; 23 108 40 is the news web)
#   MIN_MS=0.5  the shortest wait listed
#   FIRST=1     first runs (no dictionary); default: later runs, with the
#               dictionary a first run trained
#   KEEP=1 keeps the work folder.
# Needs linux-perf (perf trace) and kernel.perf_event_paranoid <= 1.
set -euo pipefail
build=${1:-build} runs=${2:-3} sites=${3:-20} articles=${4:-200} synd=${5:-0}
min_ms=${MIN_MS:-0.5}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-waits-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

synd_opt=()
[ "$synd" != 0 ] && synd_opt=(--syndicated "$synd")
"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" \
  "${synd_opt[@]}" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
conf() { # ARCHIVE STATE [DICTIONARY]
  sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: 4|" \
      -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
      -e "s|max_connections: [0-9]*|max_connections: 128|" \
      -e "s|^  dir: .*|  dir: $1${3:+\\n  dictionary: $3}|" \
      -e "s|^  state_dir: .*|  state_dir: $2|" \
      "$work/sites/feedarc-demo.yaml"
}
dict=
if [ -z "${FIRST:-}" ]; then # a first run for the dictionary
  conf "$work/a0" "$work/s0" > "$work/first.yaml"
  "$bin" once -c "$work/first.yaml" > "$work/first.out" 2>&1
  dict=$(ls "$work"/s0/dictionaries/*.zdict | head -1)
fi
echo "$sites sites x $articles articles ($synd% syndicated), $(wc -l < "$work/sites/urls.txt") URLs;" \
  "${FIRST:+first runs}${FIRST:-later runs}; waits of the loop thread over $min_ms ms"
for i in $(seq "$runs"); do
  rm -rf "$work/a" "$work/s"
  conf "$work/a" "$work/s" "$dict" > "$work/run.yaml"
  sync
  # (the shell execs feedarc: its pid, written first, is the loop thread's tid)
  perf trace -e futex,sched_yield --duration "$min_ms" --call-graph dwarf,8192 \
    -o "$work/trace.txt" -- sh -c 'echo $$ > "$1"; exec "$2" once -c "$3"' sh \
    "$work/pid" "$bin" "$work/run.yaml" > "$work/run.out" 2>&1
  echo "run $i: $(grep -o 'loop lag: max [0-9.]* ms, p99 < [0-9]* ms' "$work/run.out" || true)"
  main="feedarc/$(cat "$work/pid")"
  awk -v m="$main" '
    function flush() {
      if (!dur) return
      c = "other: " first
      if (stack ~ /uv_library_shutdown|uv_thread_join|pthread_join/) c = "exit: threads joined"
      else if (stack ~ /uv__async|sched_yield/ && kind == "sched_yield") c = "sched_yield (libuv async spin)"
      else if (match(stack, /crawl_state_[a-z_]+/)) c = "state mutex: " substr(stack, RSTART, RLENGTH)
      else if (stack ~ /jemalloc|malloc|free/) c = "allocator lock"
      else if (stack ~ /sqlite3/) c = "SQLite"
      n[c]++; sum[c] += dur; if (dur > mx[c]) mx[c] = dur
      dur = 0
    }
    /^ *[0-9.]+ \( *[0-9.]+ ms\): / {
      flush()
      if (index($0, m " ") == 0) next
      d = $0; sub(/^[^(]*\( */, "", d); sub(/ ms.*/, "", d); dur = d + 0
      kind = ($0 ~ /sched_yield\(/) ? "sched_yield" : "futex"
      stack = ""; first = ""
      next
    }
    dur && NF { stack = stack " " $1; if (first == "" && $1 !~ /futex|lll_|mutex_lock|^__GI|^\[/) first = $1 }
    END {
      flush()
      if (length(n) == 0) print "   (none)"
      for (c in n) printf "   %-44s %4d waits, %7.1f ms, longest %5.1f ms\n", c, n[c], sum[c], mx[c]
    }' "$work/trace.txt" | sort -k1,1
done
