#!/usr/bin/env bash
# tools/bench/bench_second_run.sh - what a second `feedarc once` costs over
# unchanged sources: wall time, requests and records of run 1 and run 2.
# The sample sites (feedarc demo --serve, a separate process) publish
# SITES x ARTICLES items with ETag/Last-Modified on their feeds; the crawl
# uses the demo config's politeness (2 connections/host, 20 ms delay).
#
# usage: tools/bench/bench_second_run.sh [BUILD_DIR] [SITES] [ARTICLES]   (default build 10 100)
set -euo pipefail
build=${1:-build} sites=${2:-10} articles=${3:-100}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-bench2-XXXXXX)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
sed -e "s|^  dir: .*|  dir: $work/archive|" -e "s|^  state_dir: .*|  state_dir: $work/state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"
run() {
  local start end
  start=$(date +%s%N)
  "$bin" once -c "$work/bench.yaml" > "$work/run$1.out" 2>"$work/run$1.err" || true
  end=$(date +%s%N)
  local req items pages unchanged records
  req=$(sed -n 's/^requests: *\([0-9]*\) (\([0-9]*\) not modified.*/\1 \2/p' "$work/run$1.out")
  items=$(sed -n 's/^items: *\([0-9]*\).*/\1/p' "$work/run$1.out")
  pages=$(sed -n 's/^pages: *\([0-9]*\) archived, \([0-9]*\) unchanged.*/\1 \2/p' "$work/run$1.out")
  records=$(sed -n 's/^records: *\([0-9]*\).*/\1/p' "$work/run$1.out")
  printf '| %s | %.2f | %s | %s | %s | %s | %s | %s |\n' "$1" "$(echo "($end - $start) / 1000000000" | bc -l)" \
    ${req:-? ?} "${items:-?}" ${pages:-? ?} "${records:-?}"
}
echo
echo "$sites sites x $articles articles ($(wc -l < "$work/sites/urls.txt") feed and page URLs), demo politeness"
echo
echo '| run | wall s | requests | of which 304 | items read | pages archived | pages unchanged | records written |'
echo '| --- | --- | --- | --- | --- | --- | --- | --- |'
run 1
run 2
echo
echo "segments after run 2: $(ls "$work/archive" | grep -c '\.warc\.zst$')"
