#!/usr/bin/env bash
# usage: tools/bench/soak_ops.sh [BUILD_DIR] [MINUTES]   (default build, 30)
#
# The operator's soak: MINUTES of `feedarc serve` polling 6 loopback sites
# every 5 s while they misbehave (tools/bench/soak_origin.py: each goes down for
# 20 s in turn, 503 bursts, every 7th page 2.5 s late, a new story every 15 s
# per site), a SIGHUP every minute, RSS and open fds sampled every 30 s; then
# SIGTERM while a transfer is in flight.  Then the sites calm down, one
# `once` catches up, and every page ever listed must be in the archive
# exactly once, `feedarc verify` clean.  Loopback only; runs niced.
# Results: $SOAK_DIR (default /tmp/feedarc-soak-ops): samples.txt, result.txt.
# For measuring where memory goes: SOAK_GROW=0 (the feeds never change: no
# new data after the first minute; default 15 s per story), SOAK_ENV
# ("VAR=value ..." set for serve only, e.g. heaptrack's LD_PRELOAD),
# SOAK_SAMPLE (seconds between samples, default 30), SOAK_DICTIONARY
# (storage.dictionary, default auto), SOAK_DEDUP (dedup.enabled, true).
set -u
bin=$(realpath "${1:-build}/cli/feedarc")
minutes=${2:-30}
here=$(dirname "$(realpath "$0")")
dir=${SOAK_DIR:-/tmp/feedarc-soak-ops}
py=/usr/bin/python3
rm -rf "$dir"; mkdir -p "$dir"
origin= pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$origin" ] && kill "$origin" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ports=() ; for _ in 1 2 3 4 5 6; do ports+=("$(free_port)"); done
mport=$(free_port)
nice $py "$here/soak_origin.py" "$dir" "${ports[@]}" >"$dir/origin.log" 2>&1 &
origin=$!
sleep 1
{
  cat <<EOF
storage:
  dir: $dir/archive
  state_dir: $dir/state
  dictionary: ${SOAK_DICTIONARY:-auto}
dedup: { enabled: ${SOAK_DEDUP:-true} }
http: { connect_timeout: 2s, timeout: 10s, retries: 2, backoff_base: 1s }
metrics: { listen: "127.0.0.1:$mport" }
service: { grace_period: 1s }
sources:
EOF
  for i in "${!ports[@]}"; do
    printf '  - url: http://127.0.0.1:%s/feed.xml\n    name: site%d\n    interval: 5s\n' "${ports[$i]}" "$i"
  done
} > "$dir/serve.yaml"
# SIGHUP back to its default for serve: under nohup it comes ignored, and
# feedarc keeps an ignored SIGHUP ignored (no reloads would happen)
# shellcheck disable=SC2086
nice env --default-signal=HUP ${SOAK_ENV:-} "$bin" serve -c "$dir/serve.yaml" >"$dir/serve.out" 2>"$dir/serve.log" &
pid=$!; echo "$pid" > "$dir/serve.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null && break; sleep 0.1; done
metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v k="$1" '$1==k {print $2; f=1} END {if (!f) print 0}'; }
echo "t_s rss_kib fds polls_ok polls_failed fetches errors_refused errors_reset errors_timeout reloads healthz" > "$dir/samples.txt"
end=$(( $(date +%s) + minutes * 60 ))
t0=$(date +%s) last_hup=$t0 next_sample=$t0 unhealthy=0
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(date +%s)
  if [ $((now - last_hup)) -ge 60 ]; then kill -HUP "$pid"; last_hup=$now; fi
  if [ "$now" -ge "$next_sample" ]; then
    fds=1000000
    for _ in 1 2 3 4 5; do n=$(ls "/proc/$pid/fd" | wc -l); [ "$n" -lt "$fds" ] && fds=$n; sleep 0.1; done
    h=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/healthz")
    [ "$h" = 200 ] || unhealthy=$((unhealthy + 1))
    echo "$((now - t0)) $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") $fds" \
         "$(metric 'feedarc_source_polls_total{result="ok"}') $(metric 'feedarc_source_polls_total{result="failed"}')" \
         "$(curl -s "http://127.0.0.1:$mport/metrics" | awk '$1 ~ /^feedarc_fetches_total/ {s+=$2} END {print s+0}')" \
         "$(metric 'feedarc_fetch_errors_total{cause="refused"}') $(metric 'feedarc_fetch_errors_total{cause="reset"}')" \
         "$(metric 'feedarc_fetch_errors_total{cause="timeout"}') $(metric 'feedarc_config_reloads_total{result="ok"}') $h" \
      >> "$dir/samples.txt"
    next_sample=$((next_sample + ${SOAK_SAMPLE:-30}))
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
# SIGTERM with a transfer in flight
for _ in $(seq 300); do
  [ "$(metric 'feedarc_queue_depth{queue="in_flight"}')" != 0 ] && break; sleep 0.05
done
inflight=$(metric 'feedarc_queue_depth{queue="in_flight"}')
start=$(date +%s%N); kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
stop_ms=$(( ($(date +%s%N) - start) / 1000000 ))
open_left=$(ls "$dir/archive"/*.open 2>/dev/null | wc -l)
# calm sites, one catch-up run, then the checks
touch "$dir/frozen"; sleep 1
nice "$bin" once -c "$dir/serve.yaml" >"$dir/catchup.out" 2>"$dir/catchup.log"; crc=$?
# captures: 2xx responses and revisits (a 503 is archived too, as evidence)
"$bin" ls "$dir/archive" | awk '($2 == "response" && $3 ~ /^2/) || $2 == "revisit" {print $5}' \
  | sort > "$dir/responses.txt"
sort -u "$dir/pages.txt" > "$dir/pages.sorted"
pages=$(wc -l < "$dir/pages.sorted")
missing=$(comm -23 "$dir/pages.sorted" <(sort -u "$dir/responses.txt") | wc -l)
dup=$(grep '/p/' "$dir/responses.txt" | uniq -d | wc -l)
"$bin" verify "$dir/archive" >"$dir/verify.out" 2>&1; vrc=$?
first=$(sed -n 3p "$dir/samples.txt"); last=$(tail -1 "$dir/samples.txt")
{
  echo "minutes $minutes"
  echo "serve_exit $rc stop_ms $stop_ms in_flight_at_sigterm $inflight open_segments_left $open_left"
  echo "healthz_not_200_samples $unhealthy"
  echo "rss_kib first_after_1min $(echo "$first" | cut -d' ' -f2) last $(echo "$last" | cut -d' ' -f2) max $(awk 'NR>1 {if ($2>m) m=$2} END {print m}' "$dir/samples.txt")"
  echo "fds first_after_1min $(echo "$first" | cut -d' ' -f3) last $(echo "$last" | cut -d' ' -f3) max $(awk 'NR>1 {if ($3>m) m=$3} END {print m}' "$dir/samples.txt")"
  echo "last_sample $last"
  echo "catchup_exit $crc pages_listed $pages missing $missing archived_twice $dup verify_exit $vrc"
  echo "disallowed_in_log $(grep -c 'disallowed' "$dir/serve.log")"
} > "$dir/result.txt"
cat "$dir/result.txt"
[ "$rc" -eq 0 ] && [ "$open_left" -eq 0 ] && [ "$missing" -eq 0 ] && [ "$dup" -eq 0 ] && [ "$vrc" -eq 0 ]
