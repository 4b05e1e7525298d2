#!/usr/bin/env bash
# tools/bench/bench_cluster.sh - one feedarc node against three nodes of a
# cluster (issue 15, docs/SCALING.md) on the same pages, in the same run.
#
# The bundled sample sites are served on loopback by a separate process
# (`feedarc demo --serve`), and a redis-server of its own (loopback, a
# random port, a temporary folder; AOF everysec and the listpack limits of
# deploy/compose.yaml) holds the cluster's state and dedup index.  Three
# crawls of the same sites, each into fresh archive and state folders:
#
#   alone      one `feedarc once` without `cluster:` (SQLite state, the
#              local dedup index): the reference
#   cluster 1  one `feedarc once` with `cluster:` (Redis state, leases, the
#              host gate, page claims, the Redis dedup index)
#   cluster 3  three `feedarc once` nodes started together on one config
#              (each its own node name, archive and state folder)
#
# Redis is emptied (FLUSHALL) before each cluster run.  Reported per run:
# wall time (the last node's end), pages/s (feeds + pages of the URL list
# per wall second), CPU seconds of all feedarc processes (user+sys, from
# /usr/bin/time), Redis's CPU seconds (INFO cpu used_cpu_user+sys, before
# and after), CPU ms per page, records each node archived, and the dedup
# relations dedup-report finds over the run's archives.  Then the check:
# every URL archived exactly once across the three nodes, and the same
# URLs as the node alone.
#
# A `once` node claims up to max(2, politeness.max_connections / 4) sources
# at a time (32 here): with fewer sources than that the first node to start
# takes them all and the others find nothing left, so the default has more
# sources (one per site) than a node's window.
#
# usage: tools/bench/bench_cluster.sh [BUILD_DIR] [SITES] [ARTICLES] [CONN_PER_HOST]
#   defaults: build 100 20 4
#   KEEP=1 in the environment keeps the work folder (archives, logs).
# Exit status: 0, or 1 when a run failed or a URL was archived twice or
# missed.
set -euo pipefail
build=${1:-build} sites=${2:-100} articles=${3:-20} conn=${4:-4}
bin=$(realpath "$build/cli/feedarc")
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
  { echo "redis-server and redis-cli are needed (apt-get install redis-server)"; exit 1; }
work=$(mktemp -d /tmp/feedarc-bench-cluster-XXXXXX)
server_pid= redis_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- redis-server on a free loopback port ----
port=
for _ in $(seq 20); do
  p=$((20000 + RANDOM % 30000))
  rm -f "$work/redis.log"
  redis-server --port "$p" --bind 127.0.0.1 --dir "$work" --logfile "$work/redis.log" \
    --save "" --appendonly yes --appendfsync everysec \
    --hash-max-listpack-entries 512 --hash-max-listpack-value 128 --daemonize no &
  redis_pid=$!
  for _ in $(seq 50); do grep -q "Ready to accept" "$work/redis.log" 2>/dev/null && break; sleep 0.1; done
  if grep -q "Ready to accept" "$work/redis.log" 2>/dev/null; then port=$p; break; fi
  kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true; redis_pid=
done
[ -n "$port" ] || { echo "redis-server did not start"; exit 1; }
rcli() { redis-cli -p "$port" "$@"; }
redis_cpu() { rcli INFO cpu | tr -d '\r' |
  awk -F: '$1 == "used_cpu_user" || $1 == "used_cpu_sys" {s += $2} END {printf "%.2f", s}'; }

# ---- the sample sites ----
"$bin" demo --serve --out "$work/sites" --sites "$sites" --articles "$articles" \
  >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$work/sites/urls.txt" ] || { echo "sample sites did not start"; cat "$work/serve.log"; exit 1; }
urls=$(wc -l < "$work/sites/urls.txt")
hosts=$(grep -o '^http://[^/]*' "$work/sites/urls.txt" | sort -u | wc -l)
n_sources=$(grep -c '^  - name:' "$work/sites/feedarc-demo.yaml")
srv_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat"; }

# config NAME [NODE]: the demo config with politeness opened up for a
# benchmark on loopback (as bench_crawl.sh), NAME's folders, and with NODE
# the cluster section
config() {
  sed -e "s|max_connections_per_host: [0-9]*|max_connections_per_host: $conn|" \
      -e "s|min_delay: [0-9a-z]*|min_delay: 0s|" \
      -e "s|max_connections: [0-9]*|max_connections: 128|" \
      -e "s|^  dir: .*|  dir: $work/$1|" \
      -e "s|^  state_dir: .*|  state_dir: $work/$1-state|" \
      "$work/sites/feedarc-demo.yaml" > "$work/$1.yaml"
  if [ -n "${2:-}" ]; then
    printf 'cluster:\n  redis: "redis://127.0.0.1:%s/0"\n  node: %s\n' "$port" "$2" >> "$work/$1.yaml"
  fi
}
now() { date +%s.%N; }
# run NAME...: `feedarc once` of every NAME at once; sets wall (first start
# to last end), cpu (user+sys of all), rcpu (Redis), scpu (the sites' server)
run() {
  local t0 t1 r0 r1 s0 s1 pids=() rc=0
  r0=$(redis_cpu) s0=$(srv_cpu) t0=$(now)
  for n in "$@"; do
    /usr/bin/time -f "%e %U %S %M" -o "$work/$n.time" "$bin" once -c "$work/$n.yaml" \
      >"$work/$n.out" 2>"$work/$n.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  t1=$(now) r1=$(redis_cpu) s1=$(srv_cpu)
  [ "$rc" -eq 0 ] || { echo "a node of $* exited $rc:"; for n in "$@"; do tail -5 "$work/$n.err"; done; exit 1; }
  wall=$(echo "$t1 - $t0" | bc -l)
  cpu=$(for n in "$@"; do awk '{print $2 + $3}' "$work/$n.time"; done | awk '{s += $1} END {printf "%.2f", s}')
  rcpu=$(echo "$r1 - $r0" | bc -l) scpu=$(echo "$s1 - $s0" | bc -l)
}
archived() { # DIR: the URIs of its response and revisit records
  "$bin" ls "$work/$1" | awk '$2 == "response" || $2 == "revisit" {print $5}'
}
relations() { # DIR...: exact + near + containment, from dedup-report --summary
  local d=() ; for n in "$@"; do d+=("$work/$n"); done
  "$bin" dedup-report --summary "${d[@]}" 2>/dev/null |
    sed -n 's/.*"exact_duplicates":\([0-9]*\),"near_duplicates":\([0-9]*\),"containment_pairs":\([0-9]*\).*/\1 + \2 + \3/p' | bc
}
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# (c) alone, (a) one cluster node, (b) three cluster nodes
config alone
run alone
a_wall=$wall a_cpu=$cpu a_scpu=$scpu a_n=$(archived alone | wc -l) a_rel=$(relations alone)
rcli FLUSHALL >/dev/null
config one node-1
run one
o_wall=$wall o_cpu=$cpu o_rcpu=$rcpu o_scpu=$scpu o_n=$(archived one | wc -l) o_rel=$(relations one)
rcli FLUSHALL >/dev/null
for x in a b c; do config "three-$x" "node-$x"; done
run three-a three-b three-c
t_wall=$wall t_cpu=$cpu t_rcpu=$rcpu t_scpu=$scpu t_rel=$(relations three-a three-b three-c)
per_node=
for x in a b c; do
  archived "three-$x" > "$work/three-$x.urls"
  per_node="$per_node${per_node:+ / }$(wc -l < "$work/three-$x.urls")"
done
t_n=$(cat "$work"/three-?.urls | wc -l)
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# exactly once across the three, and the same URLs as the node alone
archived alone | sort > "$work/alone.sorted"
cat "$work"/three-?.urls | sort > "$work/three.sorted"
twice=$(uniq -d "$work/three.sorted" | wc -l)
missed=$(sort -u "$work/three.sorted" | comm -23 "$work/alone.sorted" - | wc -l)
extra=$(sort -u "$work/three.sorted" | comm -13 "$work/alone.sorted" - | wc -l)

rate() { echo "scale=0; $1 / $2" | bc -l; }
ms_per() { echo "scale=2; 1000 * $1 / $2" | bc -l; }
printf '\n%s sites x %s articles: %s URLs (feeds + pages) on %s hosts, %s sources; %s connections/host, min_delay 0\n' \
  "$sites" "$articles" "$urls" "$hosts" "$n_sources" "$conn"
printf 'load average before: %s, after: %s; %s cores\n\n' "$load0" "$load1" "$(nproc)"
printf '| run | wall s | pages/s | feedarc CPU s | Redis CPU s | CPU ms/page (feedarc + Redis) | responses + revisits archived per node | dedup relations |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
printf '| one node, no cluster | %.2f | %s | %s | - | %s | %s | %s |\n' "$a_wall" "$(rate "$urls" "$a_wall")" \
  "$a_cpu" "$(ms_per "$a_cpu" "$urls")" "$a_n" "$a_rel"
printf '| one node, cluster (Redis) | %.2f | %s | %s | %.2f | %s | %s | %s |\n' "$o_wall" "$(rate "$urls" "$o_wall")" \
  "$o_cpu" "$o_rcpu" "$(ms_per "$(echo "$o_cpu + $o_rcpu" | bc -l)" "$urls")" "$o_n" "$o_rel"
printf '| three nodes, cluster (Redis) | %.2f | %s | %s | %.2f | %s | %s | %s |\n' "$t_wall" "$(rate "$urls" "$t_wall")" \
  "$t_cpu" "$t_rcpu" "$(ms_per "$(echo "$t_cpu + $t_rcpu" | bc -l)" "$urls")" "$per_node" "$t_rel"
printf '\nsample-site server CPU s: %s alone, %s one cluster node, %s three nodes\n' "$a_scpu" "$o_scpu" "$t_scpu"
printf 'three nodes: %s records archived, %s URLs twice, %s of the lone node'"'"'s URLs missed, %s not in it\n' \
  "$t_n" "$twice" "$missed" "$extra"
[ "$twice" -eq 0 ] && [ "$missed" -eq 0 ] && [ "$extra" -eq 0 ] && [ "$o_n" -eq "$a_n" ] ||
  { echo "FAIL: not every URL archived exactly once"; exit 1; }
