#!/usr/bin/env bash
# bench/bench_crawl.sh - archive throughput of `feedarc once` against
# `wget --warc-file` on the same pages.
#
# The bundled sample sites are served on loopback by a separate process
# (`feedarc demo --serve`), so both clients meet the same servers and the
# server's CPU is not counted against either.  feedarc crawls the feeds and
# every item page with every feature it has on; wget fetches the same URL
# list (feeds + pages) into a gzip WARC.  Reported per client: wall time,
# pages/s, CPU seconds (user+sys) and CPU ms per page, peak RSS, archive
# bytes.
#
# usage: bench/bench_crawl.sh [BUILD_DIR] [SITES] [ARTICLES] [CONN_PER_HOST]
#   defaults: build 20 200 4
set -euo pipefail
build=${1:-build} sites=${2:-20} articles=${3:-200} conn=${4:-4}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-bench-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
urls=$(wc -l < "$work/sites/urls.txt")

# The demo config with politeness opened up for a benchmark on loopback.
sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: $conn|" \
    -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
    -e "s|max_connections: [0-9]*|max_connections: 128|" \
    -e "s|^  dir: .*|  dir: $work/feedarc|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"

measure() { # name command... ; prints "wall cpu rss"
  /usr/bin/time -f "%e %U %S %M" -o "$work/$1.time" "${@:2}" >"$work/$1.out" 2>"$work/$1.err" || true
  read -r wall user sys rss < "$work/$1.time"
  echo "$wall $(echo "$user + $sys" | bc -l) $rss"
}

# Run 1: a first crawl - no dictionary yet: the writer trains one on the
# first 500 records and writes the following segments with it, and one for
# later runs is trained at the end on records sampled over the whole run.
read -r f_wall f_cpu f_rss < <(measure feedarc "$bin" once -q -c "$work/bench.yaml")
f_pages=$(grep -c . "$work/sites/urls.txt")
f_bytes=$(cat "$work"/feedarc/*.warc.zst | wc -c)
f_records=$("$bin" ls "$work/feedarc" 2>/dev/null | wc -l)
# Run 2: the same pages into a new archive and state, with the dictionary
# run 1 trained (what every later run of a real deployment does).
dict=$(ls "$work"/feedarc-state/dictionaries/*.zdict 2>/dev/null | head -1)
sed -e "s|^  dir: .*|  dir: $work/feedarc2\n  dictionary: ${dict:-none}|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state2|" "$work/bench.yaml" > "$work/bench2.yaml"
read -r d_wall d_cpu d_rss < <(measure feedarc2 "$bin" once -q -c "$work/bench2.yaml")
d_bytes=$(cat "$work"/feedarc2/*.warc.zst | wc -c)
d_records=$("$bin" ls "$work/feedarc2" 2>/dev/null | wc -l)

mkdir -p "$work/wget"
read -r w_wall w_cpu w_rss < <(cd "$work/wget" && measure ../wget wget -q --no-config \
    --warc-file="$work/wget/out" --no-warc-keep-log -i "$work/sites/urls.txt" -P "$work/wget/files")
w_bytes=$(wc -c < "$work/wget/out.warc.gz")

rate() { echo "scale=0; $1 / $2" | bc -l; }
ms_per() { echo "scale=3; 1000 * $1 / $2" | bc -l; }
printf '\n%s sites x %s articles: %s URLs (feeds + pages); feedarc: %s connections/host, min_delay 0\n\n' \
  "$sites" "$articles" "$urls" "$conn"
printf '| client | wall s | pages/s | CPU s | CPU ms/page | peak RSS MiB | archive bytes | records |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
printf '| feedarc once, first run (warc.zst, dictionary trained after 500 records) | %s | %s | %s | %s | %s | %s | %s |\n' "$f_wall" \
  "$(rate "$f_pages" "$f_wall")" "$f_cpu" "$(ms_per "$f_cpu" "$f_pages")" "$((f_rss / 1024))" "$f_bytes" "$f_records"
printf '| feedarc once, with the trained dictionary | %s | %s | %s | %s | %s | %s | %s |\n' "$d_wall" \
  "$(rate "$f_pages" "$d_wall")" "$d_cpu" "$(ms_per "$d_cpu" "$f_pages")" "$((d_rss / 1024))" "$d_bytes" "$d_records"
printf '| wget --warc-file (warc.gz) | %s | %s | %s | %s | %s | %s | - |\n' "$w_wall" \
  "$(rate "$urls" "$w_wall")" "$w_cpu" "$(ms_per "$w_cpu" "$urls")" "$((w_rss / 1024))" "$w_bytes"
printf '\nfirst run: speed-up %.1fx, CPU per page %.2fx of wget, bytes %.2fx of wget\n' \
  "$(echo "$w_wall / $f_wall" | bc -l)" "$(echo "$f_cpu / $w_cpu" | bc -l)" "$(echo "$f_bytes / $w_bytes" | bc -l)"
printf 'with the dictionary: speed-up %.1fx, CPU per page %.2fx of wget, bytes %.2fx of wget\n' \
  "$(echo "$w_wall / $d_wall" | bc -l)" "$(echo "$d_cpu / $w_cpu" | bc -l)" "$(echo "$d_bytes / $w_bytes" | bc -l)"
