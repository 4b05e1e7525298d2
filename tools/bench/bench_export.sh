#!/usr/bin/env bash
# tools/bench/bench_export.sh - speed and memory of `feedarc export` (.warc.gz
# and WACZ) on a real crawl.
#
# The bundled sample sites are served on loopback (`feedarc demo --serve`,
# as bench_crawl.sh does) and `feedarc once` crawls them: feeds, every page,
# the dedup engine's metadata and conversion records.  The archive's
# segments are then copied COPIES times into one folder (the same records
# again under other segment names) to make an archive of a few hundred MB,
# and exported with /usr/bin/time: as .warc.gz at levels 0 (the default),
# 1 and 3, and as WACZ at level 0.  MB/s is uncompressed WARC per CPU second (user +
# system: the export runs on one core), next to wall time and peak RSS.
# The reference: `zstd -dc | gzip -6` of the same segments (what a user
# would do by hand without feedarc; gzip alone is timed, on the
# uncompressed WARC).
#
# usage: tools/bench/bench_export.sh [BUILD_DIR] [SITES] [ARTICLES] [COPIES]
#   defaults: build 20 200 8
set -euo pipefail
build=${1:-build} sites=${2:-20} articles=${3:-200} copies=${4:-8}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-bench-export-XXXXXX)
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
    -e "s|^  dir: .*|  dir: $work/crawl|" \
    -e "s|^  state_dir: .*|  state_dir: $work/crawl-state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"
"$bin" once -q -c "$work/bench.yaml" || true
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=

mkdir "$work/a"
for i in $(seq "$copies"); do
  for s in "$work/crawl"/*.warc.zst; do
    b=$(basename "$s" .warc.zst)
    cp "$s" "$work/a/$b-copy$(printf %03d "$i").warc.zst"
  done
done
zst_bytes=$(cat "$work/a"/*.warc.zst | wc -c)
records=$("$bin" ls "$work/a" | wc -l)

echo "archive: $(ls "$work/a" | wc -l) segments, $records records, $((zst_bytes / 1000000)) MB of warc.zst"
echo
echo "| run | WARC MB | output MB | CPU s | WARC MB/s per core | wall s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
run() { # name out-file args...
  local name=$1 out=$2
  shift 2
  rm -f "$out" "$out.cdxj"
  /usr/bin/time -f '%U %S %e %M' -o "$work/time.txt" "$bin" export "$@" > "$work/sum.txt"
  read -r u s e m < "$work/time.txt"
  local warc_mb out_mb
  warc_mb=$(grep -oE '[0-9.]+ MB of WARC' "$work/sum.txt" | grep -oE '^[0-9.]+')
  out_mb=$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.1f", b / 1e6 }')
  awk -v n="$name" -v w="$warc_mb" -v o="$out_mb" -v u="$u" -v s="$s" -v e="$e" -v m="$m" \
    'BEGIN { c = u + s; printf "| %s | %.1f | %s | %.2f | %.0f | %.2f | %.0f |\n", n, w, o, c, w / c, e, m / 1024 }'
}
run "export .warc.gz, level 0 (default)" "$work/x0.warc.gz" "$work/a" "$work/x0.warc.gz"
run "export .warc.gz, level 1" "$work/x1.warc.gz" "$work/a" "$work/x1.warc.gz" --level 1
run "export .warc.gz, level 3" "$work/x3.warc.gz" "$work/a" "$work/x3.warc.gz" --level 3
run "export --wacz, level 0" "$work/x.wacz" --wacz "$work/a" "$work/x.wacz"
gzip -dc "$work/x0.warc.gz" > "$work/all.warc" # = zstd -dc of the segments (some have a dictionary)
warc_mb=$(awk -v b="$(stat -c %s "$work/all.warc")" 'BEGIN { printf "%.1f", b / 1e6 }')
/usr/bin/time -f '%U %S %e %M' -o "$work/time.txt" gzip -6 -c "$work/all.warc" > "$work/all.warc.gz"
read -r u s e m < "$work/time.txt"
awk -v w="$warc_mb" -v o="$(stat -c %s "$work/all.warc.gz")" -v u="$u" -v s="$s" -v e="$e" -v m="$m" \
  'BEGIN { c = u + s; printf "| gzip -6 of the uncompressed WARC (one member) | %.1f | %.1f | %.2f | %.0f | %.2f | %.0f |\n", w, o / 1e6, c, w / c, e, m / 1024 }'
