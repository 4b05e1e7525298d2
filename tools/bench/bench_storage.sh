#!/usr/bin/env bash
# tools/bench/bench_storage.sh - archive size and write speed: feedarc's warc.zst
# without and with a trained dictionary against wget --warc-file's gzip
# WARC of the same pages.
#
# The bundled sample sites are served on loopback (`feedarc demo --serve`,
# as bench_crawl.sh does); `feedarc once` crawls them (feeds + every page)
# and wget fetches the same URL list into a gzip WARC.  bench_storage then
# re-writes every exchange feedarc archived, from memory, with 1 and 2
# threads, without and with a 112 KiB dictionary trained on the first 1000
# records.  For speed, gzip -6 (wget's zlib level) over the same
# uncompressed WARC is timed as the reference.
#
# usage: tools/bench/bench_storage.sh [BUILD_DIR] [SITES] [ARTICLES]
#   defaults: build 20 200
set -euo pipefail
build=${1:-build} sites=${2:-20} articles=${3:-200}
bin=$(realpath "$build/cli/feedarc")
bench=$(realpath "$build/tools/bench/bench_storage")
work=$(mktemp -d /tmp/feedarc-bench-storage-XXXXXX)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: 4|" \
    -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
    -e "s|max_connections: [0-9]*|max_connections: 128|" \
    -e "s|^  dir: .*|  dir: $work/feedarc|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"
"$bin" once -q -c "$work/bench.yaml" || true
mkdir -p "$work/wget"
(cd "$work/wget" && wget -q --no-config --warc-file="$work/wget/out" --no-warc-keep-log \
    -i "$work/sites/urls.txt" -P "$work/wget/files" || true)
w_bytes=$(stat -c %s "$work/wget/out.warc.gz")
w_records=$(zcat "$work/wget/out.warc.gz" | grep -ac '^WARC-Type: ' || true)
f_bytes=$(cat "$work"/feedarc/*.warc.zst | wc -c)

echo "$(wc -l < "$work/sites/urls.txt") URLs; feedarc once: $f_bytes bytes; wget: $w_bytes bytes, $w_records records"
echo
"$bench" "$work/feedarc" "$work/runs" | tee "$work/bench.txt"
nd=$(grep '^| no dictionary | 1 ' "$work/bench.txt" | cut -d'|' -f6 | tr -d ' ')
d=$(grep '^| dictionary | 1 ' "$work/bench.txt" | cut -d'|' -f6 | tr -d ' ')

# gzip reference speed: wget's level (6) over the same uncompressed WARC
for s in "$work"/feedarc/*.warc.zst; do zstd -q -dc "$s"; done > "$work/all.warc"
raw=$(stat -c %s "$work/all.warc")
start=$(date +%s.%N); gzip -6 -c "$work/all.warc" > "$work/all.warc.gz"; end=$(date +%s.%N)
g_s=$(echo "$end - $start" | bc -l)
printf '\ngzip -6 of the same %s WARC bytes (one stream, reference): %.3f s, %.0f MB/s, %s bytes\n' \
  "$raw" "$g_s" "$(echo "$raw / 1000000 / $g_s" | bc -l)" "$(stat -c %s "$work/all.warc.gz")"
printf 'bytes vs wget: no dictionary %.2fx, dictionary %.2fx\n' \
  "$(echo "$nd / $w_bytes" | bc -l)" "$(echo "$d / $w_bytes" | bc -l)"
