#!/usr/bin/env bash
# test_serve.sh FEEDARC - `feedarc serve` on loopback sample sites with short
# intervals: sources polled repeatedly, /metrics parses as Prometheus text
# and its counters move, /healthz turns 503 when the archive folder is not
# writable, SIGHUP adds a source (and a bad config is rejected), SIGTERM
# during active fetches exits 0 within the grace period with closed,
# verifiable segments.
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/../util/ports.sh"  # read_port, serve_port
tmp=$(mktemp -d /tmp/feedarc-serve-XXXXXX)
sites= serve=
cleanup() {
  [ -n "$serve" ] && kill -9 "$serve" 2>/dev/null
  [ -n "$sites" ] && kill "$sites" 2>/dev/null
  wait 2>/dev/null; chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
metric() { # name{labels} -> value (0 if absent)
  curl -s "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1==k {print $2; f=1} END {if (!f) print 0}'
}
# the metrics port serve took (listen 127.0.0.1:0: never a fixed port), from

"$bin" demo --serve --out "$tmp/sites" --sites 2 --articles 6 --delay 100 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
# every source polled every 2 s; the second site's feed is held back for SIGHUP
make_config() { # $1: number of sources to keep
  awk -v keep="$1" -v dir="$tmp" '
    /^storage:/ {print; print "  dir: " dir "/archive"; print "  state_dir: " dir "/state"; skip=1; next}
    skip && /^  (dir|state_dir):/ {next}
    {skip=0}
    /^sources:/ {print "metrics: { listen: \"127.0.0.1:0\" }"; print "service: { grace_period: 5s }"; print; insrc=1; next}
    insrc && /^  - / {n++}
    insrc && n > keep {next}
    {print}
    insrc && /^ *url:/ {print "    interval: 2s"}
  ' "$tmp/sites/feedarc-demo.yaml"
}
make_config 2 > "$tmp/serve.yaml"
"$bin" serve -c "$tmp/serve.yaml" >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve=$!
port=$(serve_port "$tmp/serve.log" "$serve") || { echo "FAIL: serve did not start"; cat "$tmp/serve.log"; exit 1; }
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && ok "/readyz 200" || bad "/readyz"
sleep 5
polls1=$(metric 'feedarc_source_polls_total{result="ok"}')
fetch1=$(metric 'feedarc_fetches_total{class="3xx"}')
sleep 4
polls2=$(metric 'feedarc_source_polls_total{result="ok"}')
fetch2=$(metric 'feedarc_fetches_total{class="3xx"}')
[ "${polls1%.*}" -ge 1 ] && [ "${polls2%.*}" -gt "${polls1%.*}" ] \
  && ok "sources polled repeatedly ($polls1 -> $polls2 polls)" || bad "polls $polls1 -> $polls2"
[ "${fetch2%.*}" -gt "${fetch1%.*}" ] && ok "conditional re-polls counted (304s $fetch1 -> $fetch2)" \
  || bad "3xx fetches $fetch1 -> $fetch2"
curl -s "http://127.0.0.1:$port/metrics" > "$tmp/metrics.txt"
if /usr/bin/python3 - "$tmp/metrics.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
assert all(f.name.startswith("feedarc_") for f in fams), [f.name for f in fams]
names = {f.name for f in fams}
for want in ("feedarc_fetches", "feedarc_fetch_duration_seconds", "feedarc_queue_depth",
             "feedarc_warc_records", "feedarc_event_loop_lag_seconds"):
    assert want in names, want
PY
then ok "/metrics parses as Prometheus text"; else bad "/metrics does not parse"; fi
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] \
  && ok "/healthz 200" || bad "/healthz not 200"
chmod a-w "$tmp/archive"
sleep 2
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 503 ] \
  && ok "/healthz 503 with the archive folder unwritable" || bad "/healthz did not turn 503"
chmod u+w "$tmp/archive"
sleep 2
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] \
  && ok "/healthz back to 200" || bad "/healthz did not recover"

# SIGHUP with a broken config: rejected, service goes on
cp "$tmp/serve.yaml" "$tmp/good.yaml"
printf 'sources:\n  - url: not a url\n' > "$tmp/serve.yaml"
kill -HUP "$serve"; sleep 3
kill -0 "$serve" 2>/dev/null && ok "bad config on SIGHUP: still running" || bad "died on a bad reload"
[ "$(metric 'feedarc_config_reloads_total{result="failed"}')" = 1 ] && ok "reload failure counted" \
  || bad "reload failure not counted"
# SIGHUP with one more source
make_config 3 > "$tmp/serve.yaml"
kill -HUP "$serve"; sleep 4
[ "$(metric feedarc_sources)" = 3 ] && ok "SIGHUP added a source (3 now)" || bad "sources: $(metric feedarc_sources)"

# SIGTERM (idle moment): exit 0, segments closed and verifiable
kill -TERM "$serve"
wait "$serve"; rc=$?
serve=
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
ls "$tmp/archive"/*.open >/dev/null 2>&1 && bad ".open segment left" || ok "segments closed"
"$bin" verify "$tmp/archive" >"$tmp/verify.out" 2>&1 && ok "feedarc verify passes" \
  || { bad "verify failed"; tail -5 "$tmp/verify.out"; }

# SIGTERM with transfers in flight: a site answering 2.5 s late
kill "$sites"; wait "$sites" 2>/dev/null
"$bin" demo --serve --out "$tmp/slow" --sites 1 --articles 4 --delay 2500 >"$tmp/slow.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/slow/urls.txt" ] && break; sleep 0.1; done
sed -e "s|^  dir: .*|  dir: $tmp/archive2|" -e "s|^  state_dir: .*|  state_dir: $tmp/state2|" \
    -e "s|^sources:|metrics: { listen: \"127.0.0.1:0\" }\nservice: { grace_period: 5s }\nsources:|" \
    "$tmp/slow/feedarc-demo.yaml" > "$tmp/slow.yaml"
"$bin" serve -c "$tmp/slow.yaml" >"$tmp/serve2.out" 2>"$tmp/serve2.log" &
serve=$!
port=$(serve_port "$tmp/serve2.log" "$serve") || { echo "FAIL: serve did not start"; cat "$tmp/serve2.log"; exit 1; }
for _ in $(seq 100); do
  [ "$(metric 'feedarc_queue_depth{queue="in_flight"}')" != 0 ] && break; sleep 0.1
done
start=$(date +%s%N)
kill -TERM "$serve"
wait "$serve"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
serve=
inflight=$(sed -n 's/.*SIGTERM: stopping; \([0-9]*\) transfer.*/\1/p' "$tmp/serve2.log")
[ "${inflight:-0}" -ge 1 ] && ok "SIGTERM with $inflight transfer(s) in flight" || bad "nothing was in flight"
[ "$rc" -eq 0 ] && ok "exit 0" || bad "exit $rc"
[ "$ms" -lt 6000 ] && ok "stopped in $ms ms (grace 5 s)" || bad "took $ms ms to stop"
"$bin" ls "$tmp/archive2" 2>/dev/null | grep -q robots.txt && ok "the transfer in flight was archived" \
  || bad "the in-flight transfer is not in the archive"
ls "$tmp/archive2"/*.open >/dev/null 2>&1 && bad ".open segment left" || ok "segment closed"
"$bin" verify "$tmp/archive2" >"$tmp/verify2.out" 2>&1 && ok "feedarc verify passes" \
  || { bad "verify failed"; tail -5 "$tmp/verify2.out"; }
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
