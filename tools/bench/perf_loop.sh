#!/usr/bin/env bash
# tools/bench/perf_loop.sh - where the event-loop thread's CPU goes during
# `feedarc once` on the sample sites (bench_crawl.sh's crawl, first run).
#
# The loop thread should only dispatch I/O; how much CPU it spends per URL
# is the figure that stays comparable on a shared machine (wall-clock loop
# lag does not: it includes waiting for a core).  perf samples every
# thread on task-clock at a fixed period (PERIOD_US of the thread's own
# CPU time per sample), so samples x period is each thread's CPU time.
# Printed: CPU ms per thread (the loop thread is the process's main thread,
# tid = pid), the loop thread's ms per URL, and its top functions - self
# time and, with call graphs, inclusive time.
#
# usage: tools/bench/perf_loop.sh [BUILD_DIR] [SITES] [ARTICLES] [CONN_PER_HOST]
#   defaults: build 20 200 4
#   PERIOD_US=250  sample period in µs of CPU time
#   CALLGRAPH=dwarf  (dwarf unwinding, 16 KiB stacks: the inclusive table;
#                     "" for self time only, much lighter)
#   KEEP=1 keeps the work folder (perf.data, logs).
# Needs linux-perf and kernel.perf_event_paranoid <= 2.
set -euo pipefail
build=${1:-build} sites=${2:-20} articles=${3:-200} conn=${4:-4}
period_us=${PERIOD_US:-250}
callgraph=${CALLGRAPH-dwarf}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-perf-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
urls=$(wc -l < "$work/sites/urls.txt")
sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: $conn|" \
    -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
    -e "s|max_connections: [0-9]*|max_connections: 128|" \
    -e "s|^  dir: .*|  dir: $work/feedarc|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"

cg=()
[ "$callgraph" = dwarf ] && cg=(--call-graph dwarf,16384)
load=$(cut -d' ' -f1-3 /proc/loadavg)
perf record -q -e task-clock -c "$((period_us * 1000))" "${cg[@]}" -o "$work/perf.data" -- \
  "$bin" once -c "$work/bench.yaml" >"$work/once.out" 2>"$work/once.err"
pid=$(perf script -i "$work/perf.data" -F pid 2>/dev/null | awk 'NR == 1 { print $1 }')

echo "$sites sites x $articles articles: $urls URLs; load average before: $load"
grep -E '^(elapsed|loop lag|pages):' "$work/once.out" || true
echo
echo "CPU ms per thread (perf task-clock samples x ${period_us} µs):"
perf script -i "$work/perf.data" -F comm,pid,tid 2>/dev/null |
  awk -v p="$period_us" -v pid="$pid" -v urls="$urls" '
    { split($2, id, "/"); n[id[2] == pid ? "loop thread (main)" : "worker " id[2]] += 1 }
    END {
      for (k in n) printf "  %-28s %8.1f ms\n", k, n[k] * p / 1000
      printf "loop thread: %.3f ms per URL\n", n["loop thread (main)"] * p / 1000 / urls
    }' | sort -k1,1 -s
echo
# Self time: the sampled frame; inclusive: every function on the sampled
# stack, once per sample.  (perf report's --tid also counts the other
# threads' stacks in its --children totals, so this reads perf script.)
perf script -i "$work/perf.data" -F tid,ip,sym,dso 2>/dev/null |
  awk -v pid="$pid" -v cg="${#cg[@]}" '
    /^ *[0-9]+( |$)/ { # a sample: "tid", then its frames; "tid ip sym (dso)" without -g
      tid = $1; first = 1; delete seen; if (tid == pid) total++
      $1 = ""; if ($0 ~ /^ *$/) next }
    /^[ \t]*$/ || tid != pid { next }
    { $1 = ""; sym = $0; sub(/^ +/, "", sym); sub(/\(\/.*\//, "(", sym)
      if (first) { self[sym]++; first = 0 }
      if (!(sym in seen)) { seen[sym] = 1; incl[sym]++ } }
    END {
      print "loop thread, top functions by self time (% of the loop thread'"'"'s samples):"
      for (s in self) if (self[s] / total >= 0.01) printf "  %5.1f%%  %s\n", 100 * self[s] / total, s | "sort -k1,1nr | head -20"
      close("sort -k1,1nr | head -20")
      if (cg == 0) exit
      print ""
      print "loop thread, inclusive time (% of its samples with the function on the stack):"
      for (s in incl) if (incl[s] / total >= 0.03) printf "  %5.1f%%  %s\n", 100 * incl[s] / total, s | "sort -k1,1nr | head -60"
    }'
