#!/usr/bin/env bash
# tools/bench/bench_crawl.sh - archive throughput and bytes of `feedarc once`
# against `wget --warc-file` on the same pages, in the same run.
#
# The bundled sample sites are served on loopback by a separate process
# (`feedarc demo --serve`), so both clients meet the same servers and the
# server's CPU is not counted against either.  feedarc crawls the feeds and
# every item page with every feature it has on; wget fetches the same URL
# list (feeds + pages) into a gzip WARC, once before feedarc's runs and once
# after them (the table's wget row is their mean: the machine's speed drifts).  Reported per client: wall time,
# pages/s, CPU seconds (user+sys) and CPU ms per page, CPU seconds per wall
# second, peak RSS, archive bytes and records; for feedarc also the loop
# lag it reports and the relations dedup found, and where the cores went
# during each of its runs: feedarc, the sample-site server, other
# processes, idle (/proc/stat).
#
# usage: tools/bench/bench_crawl.sh [BUILD_DIR] [SITES] [ARTICLES] [CONN_PER_HOST]
#                             [PAGE_BYTES] [SYNDICATED_PCT]
#   defaults: build 20 200 4 0 0
#   PAGE_BYTES: article pages of about this many bytes (16384-524288, a news
#     template around the story: `feedarc demo --page-size`); 0 = the compact
#     7-17 KB pages.
#   SYNDICATED_PCT: share of the articles that are other sites' stories
#     reprinted (`feedarc demo --syndicated`); tools/bench/bench_newsweb.sh sets it.
#   KEEP=1 in the environment keeps the work folder (archives, logs).
# FEEDARC_BENCH_NO_WGET=1 runs feedarc alone (its rows and loop lag only).
# FEEDARC_BENCH_CPUS=LIST runs both clients under `taskset -c LIST` (the
#   sizing table: LIST 0 = one core, 0,1 = two; the sample sites' server is
#   pinned to the other cores when there are any, else shares them).
set -euo pipefail
build=${1:-build} sites=${2:-20} articles=${3:-200} conn=${4:-4} page_bytes=${5:-0} synd=${6:-0}
bin=$(realpath "$build/cli/feedarc")
work=$(mktemp -d /tmp/feedarc-bench-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

demo_opts=()
[ "$page_bytes" != 0 ] && demo_opts+=(--page-size "$page_bytes")
[ "$synd" != 0 ] && demo_opts+=(--syndicated "$synd")
"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" "${demo_opts[@]}" \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
urls=$(wc -l < "$work/sites/urls.txt")
hosts=$(grep -o '^http://[^/]*' "$work/sites/urls.txt" | sort -u | wc -l)

# The demo config with politeness opened up for a benchmark on loopback.
sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: $conn|" \
    -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
    -e "s|max_connections: [0-9]*|max_connections: 128|" \
    -e "s|^  dir: .*|  dir: $work/feedarc|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state|" \
    "$work/sites/feedarc-demo.yaml" > "$work/bench.yaml"

pin=()
if [ -n "${FEEDARC_BENCH_CPUS:-}" ]; then
  pin=(taskset -c "$FEEDARC_BENCH_CPUS")
  rest=$(seq 0 $(($(nproc) - 1)) | grep -vxF -f <(echo "$FEEDARC_BENCH_CPUS" | tr ',' '\n') | paste -sd, || true)
  [ -n "$rest" ] && taskset -a -p -c "$rest" "$server_pid" >/dev/null
fi
measure() { # name command... ; prints "wall cpu rss"
  # Each client starts with no dirty pages of the run before: feedarc's
  # first fsync (its state's creation) would write them out and wait for
  # the disk, wget never syncs.  Up to ~0.1 s of a first run on this VM.
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$work/$1.time" "${@:2}" >"$work/$1.out" 2>"$work/$1.err" || true
  read -r wall user sys rss < "$work/$1.time"
  echo "$wall $(echo "$user + $sys" | bc -l) $rss"
}
# CPU seconds the sample-site server has used so far (it shares the cores:
# when it is busy the clients wait on it, not on themselves)
srv_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat"; }
# the machine's idle CPU seconds so far (idle + iowait of /proc/stat): with
# the clients' and the server's CPU it says where each core's time went
idle_cpu() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.2f", ($5 + $6) / hz}' /proc/stat; }
# "feedarc C, the sample-site server S, others O, idle I (of N cores)" over WALL s
cores_split() { # client_cpu server_cpu idle_cpu wall
  echo "$1 $2 $3 $4 $(nproc)" | awk '{o = $5 - ($1 + $2 + $3) / $4; if (o < 0) o = 0
    printf "%s %.2f, the sample-site server %.2f, others %.2f, idle %.2f (of %d cores)",
           "feedarc", $1 / $4, $2 / $4, o, $3 / $4, $5}'
}
# "p99 / max", then the same bounded by the loop thread's CPU (its own work)
lag() { sed -n 's/^loop lag: max \([0-9.]*\) ms, p99 < \([0-9]*\) ms (its own work at most: max \([0-9.]*\) ms, p99 < \([0-9]*\) ms.*/\2 \/ \1 (own \4 \/ \3)/p' "$work/$1.out"; }
# the crawl's own span (the loop's start to the last page archived): "S s, C cores"
phase() { sed -n 's/^crawling: \([0-9.]*\) s .*, \([0-9.]*\) CPU s (\([0-9.]*\) cores.*/\1 s, \3 cores/p' "$work/$1.out"; }
relations() { # exact + near + containment, from dedup-report --summary
  "$bin" dedup-report --summary "$1" 2>/dev/null |
    sed -n 's/.*"exact_duplicates":\([0-9]*\),"near_duplicates":\([0-9]*\),"containment_pairs":\([0-9]*\).*/\1 + \2 + \3/p' | bc
}

# wget runs twice, before feedarc's two runs and after them: the VM's speed
# drifts (the same client's CPU per page has moved by half within twenty
# minutes here), so the table compares feedarc with the mean of the two.
wget_run() { # name: one wget crawl into $work/name; prints "wall cpu rss"
  mkdir -p "$work/$1"
  (cd "$work/$1" && measure "../$1" "${pin[@]}" wget -q --no-config \
      --warc-file="$work/$1/out" --no-warc-keep-log -i "$work/sites/urls.txt" -P "$work/$1/files")
}
if [ "${FEEDARC_BENCH_NO_WGET:-0}" != 1 ]; then
  read -r w0_wall w0_cpu w0_rss < <(wget_run wget0)
fi

# Run 1: a first crawl - no dictionary yet: the writer trains one on the
# first 250 records and writes the following segments with it, and one for
# later runs is trained at the end on records sampled over the whole run.
s0=$(srv_cpu) i0=$(idle_cpu)
read -r f_wall f_cpu f_rss < <(measure feedarc "${pin[@]}" "$bin" once -c "$work/bench.yaml")
s1=$(srv_cpu) i1=$(idle_cpu)
f_pages=$(grep -c . "$work/sites/urls.txt")
f_bytes=$(cat "$work"/feedarc/*.warc.zst | wc -c)
f_records=$("$bin" ls "$work/feedarc" 2>/dev/null | wc -l)
f_lag=$(lag feedarc)
f_rel=$(relations "$work/feedarc")
# Run 2: the same pages into a new archive and state, with the dictionary
# run 1 trained (what every later run of a real deployment does).
dict=$(ls "$work"/feedarc-state/dictionaries/*.zdict 2>/dev/null | head -1)
sed -e "s|^  dir: .*|  dir: $work/feedarc2\n  dictionary: ${dict:-none}|" \
    -e "s|^  state_dir: .*|  state_dir: $work/feedarc-state2|" "$work/bench.yaml" > "$work/bench2.yaml"
s1b=$(srv_cpu) i1b=$(idle_cpu)
read -r d_wall d_cpu d_rss < <(measure feedarc2 "${pin[@]}" "$bin" once -c "$work/bench2.yaml")
s2=$(srv_cpu) i2=$(idle_cpu)
f_split=$(cores_split "$f_cpu" "$(echo "$s1 - $s0" | bc -l)" "$(echo "$i1 - $i0" | bc -l)" "$f_wall")
d_split=$(cores_split "$d_cpu" "$(echo "$s2 - $s1b" | bc -l)" "$(echo "$i2 - $i1b" | bc -l)" "$d_wall")
d_bytes=$(cat "$work"/feedarc2/*.warc.zst | wc -c)
d_records=$("$bin" ls "$work/feedarc2" 2>/dev/null | wc -l)
d_lag=$(lag feedarc2)

if [ "${FEEDARC_BENCH_NO_WGET:-0}" = 1 ]; then
  printf '| client | wall s | CPU s | peak RSS MiB | archive bytes | records |\n| --- | --- | --- | --- | --- | --- |\n'
  printf '| feedarc once, first run | %s | %s | %s | %s | %s |\n' "$f_wall" "$f_cpu" "$((f_rss / 1024))" "$f_bytes" "$f_records"
  printf '| feedarc once, with the trained dictionary | %s | %s | %s | %s | %s |\n' "$d_wall" "$d_cpu" "$((d_rss / 1024))" "$d_bytes" "$d_records"
  printf 'loop lag, first run: %s\n' "$(grep -h '^loop lag:' "$work/feedarc.out" | sed 's/^loop lag: //')"
  printf 'loop lag, with the dictionary: %s\n' "$(grep -h '^loop lag:' "$work/feedarc2.out" | sed 's/^loop lag: //')"
  printf 'sample-site server CPU s: %s during the first run, %s during the later run\n' \
    "$(echo "$s1 - $s0" | bc -l)" "$(echo "$s2 - $s1" | bc -l)"
  printf 'cores, first run: %s\ncores, later run: %s\n' "$f_split" "$d_split"
  printf 'while crawling (set-up and close left out), first run: %s; later run: %s\n' \
    "$(phase feedarc)" "$(phase feedarc2)"
  exit 0
fi
read -r w1_wall w1_cpu w1_rss < <(wget_run wget)
s3=$(srv_cpu)
w_wall=$(echo "scale=3; ($w0_wall + $w1_wall) / 2" | bc -l)
w_cpu=$(echo "scale=3; ($w0_cpu + $w1_cpu) / 2" | bc -l)
w_rss=$((w0_rss > w1_rss ? w0_rss : w1_rss))
w_bytes=$(wc -c < "$work/wget/out.warc.gz")
w_records=$(gzip -dc "$work/wget/out.warc.gz" | grep -ac '^WARC-Type: ' || true)
html=$(find "$work/wget/files" -type f -not -name '*.xml' -not -name '*.atom' -not -name 'rss' \
  -not -name 'robots.txt' -printf '%s\n' 2>/dev/null | sort -n |
  awk '{a[NR]=$1} END {if (NR) printf "%d-%d KB (5th-95th percentile, median %d KB)",
       a[int(NR*0.05)+1]/1024, a[int(NR*0.95)]/1024, a[int((NR+1)/2)]/1024}')

rate() { echo "scale=0; $1 / $2" | bc -l; }
ms_per() { echo "scale=3; 1000 * $1 / $2" | bc -l; }
cores() { echo "scale=2; $1 / $2" | bc -l; }
printf '\n%s sites x %s articles: %s URLs (feeds + pages) on %s hosts, pages %s, syndicated %s%%;\n' \
  "$sites" "$articles" "$urls" "$hosts" "${html:-?}" "$synd"
printf 'feedarc: %s connections/host, min_delay 0; load average before: %s\n\n' "$conn" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| client | wall s | pages/s | CPU s | CPU ms/page | CPU s per wall s | peak RSS MiB | loop lag p99 / max ms | archive bytes | vs wget | records |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
printf '| feedarc once, first run (dictionary trained after 250 records) | %s | %s | %s | %s | %s | %s | %s | %s | %.2fx | %s |\n' \
  "$f_wall" "$(rate "$f_pages" "$f_wall")" "$f_cpu" "$(ms_per "$f_cpu" "$f_pages")" \
  "$(cores "$f_cpu" "$f_wall")" "$((f_rss / 1024))" "${f_lag:-?}" "$f_bytes" \
  "$(echo "$f_bytes / $w_bytes" | bc -l)" "$f_records"
printf '| feedarc once, later run (the first run'"'"'s dictionary) | %s | %s | %s | %s | %s | %s | %s | %s | %.2fx | %s |\n' \
  "$d_wall" "$(rate "$f_pages" "$d_wall")" "$d_cpu" "$(ms_per "$d_cpu" "$f_pages")" \
  "$(cores "$d_cpu" "$d_wall")" "$((d_rss / 1024))" "${d_lag:-?}" "$d_bytes" \
  "$(echo "$d_bytes / $w_bytes" | bc -l)" "$d_records"
printf '| wget --warc-file (warc.gz), mean of the runs before and after | %s | %s | %s | %s | %s | %s | - | %s | 1.00x | %s |\n' \
  "$w_wall" "$(rate "$urls" "$w_wall")" "$w_cpu" "$(ms_per "$w_cpu" "$urls")" \
  "$(cores "$w_cpu" "$w_wall")" "$((w_rss / 1024))" "$w_bytes" "$w_records"
printf '\nwget before / after feedarc'"'"'s runs: %s / %s s, %s / %s CPU s\n' "$w0_wall" "$w1_wall" "$w0_cpu" "$w1_cpu"
printf 'first run: speed-up %.1fx, CPU per page %.2fx of wget, bytes %.2fx of wget\n' \
  "$(echo "$w_wall / $f_wall" | bc -l)" "$(echo "$f_cpu / $w_cpu" | bc -l)" "$(echo "$f_bytes / $w_bytes" | bc -l)"
printf 'later run: speed-up %.1fx, CPU per page %.2fx of wget, bytes %.2fx of wget\n' \
  "$(echo "$w_wall / $d_wall" | bc -l)" "$(echo "$d_cpu / $w_cpu" | bc -l)" "$(echo "$d_bytes / $w_bytes" | bc -l)"
printf 'loop lag, first run: %s\n' "$(grep -h '^loop lag:' "$work/feedarc.out" | sed 's/^loop lag: //')"
printf 'loop lag, with the dictionary: %s\n' "$(grep -h '^loop lag:' "$work/feedarc2.out" | sed 's/^loop lag: //')"
printf 'sample-site server CPU s: %s during the first run, %s during the later run, %s during wget\n' \
  "$(echo "$s1 - $s0" | bc -l)" "$(echo "$s2 - $s1" | bc -l)" "$(echo "$s3 - $s2" | bc -l)"
printf 'cores, first run: %s\ncores, later run: %s\n' "$f_split" "$d_split"
printf 'while crawling (set-up and close left out), first run: %s; later run: %s\n' \
  "$(phase feedarc)" "$(phase feedarc2)"
printf 'dedup relations found in the first run (exact + near + containment): %s\n' "${f_rel:-?}"
