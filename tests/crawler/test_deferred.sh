#!/usr/bin/env bash
# test_deferred.sh FEEDARC - `once` never sleeps through a long host backoff,
# and --max-duration caps a run.
#  1. a dead host (refused) whose backoff is minutes long, beside a healthy
#     one: the first run does not wait for a retry; the second run does not
#     wait for the stored backoff - its URLs are deferred and counted, and
#     both runs end in seconds while the healthy source is archived.
#  2. once --max-duration 2s over slow sites: it stops within the cap plus
#     the grace period, says so, counts what it deferred, exits 0; the next
#     run archives the rest, and no page is archived twice or lost.
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/../util/ports.sh"  # read_port, serve_port
py=/usr/bin/python3
loopback=$(dirname "$(realpath "$0")")/../util/loopback.py
tmp=$(mktemp -d /tmp/feedarc-deferred-XXXXXX)
server= sites= refuser=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$refuser" ] && kill "$refuser" 2>/dev/null
  [ -n "$sites" ] && kill "$sites" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

# ---- 1 ----
mkdir -p "$tmp/site"
# the healthy host listens before the port is known; the dead one refuses
$py "$loopback" http "$tmp/site" >"$tmp/http.port" 2>"$tmp/http.log" &
server=$!
$py "$loopback" refuse >"$tmp/dead.port" &
refuser=$!
port=$(read_port "$tmp/http.port") && dead=$(read_port "$tmp/dead.port") \
  || { echo "FAIL: the loopback servers did not start"; exit 1; }
cat > "$tmp/site/feed.xml" <<EOF
<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>http://127.0.0.1:$port/</link>
<item><title>one</title><link>http://127.0.0.1:$port/one.html</link><guid>one</guid></item>
</channel></rss>
EOF
echo '<html><body>one</body></html>' > "$tmp/site/one.html"
cat > "$tmp/c.yaml" <<EOF
storage:
  dir: $tmp/archive
  state_dir: $tmp/state
http: { retries: 2, backoff_base: 2m, backoff_max: 5m }
sources:
  - url: http://127.0.0.1:$port/feed.xml
    name: healthy
  - url: http://127.0.0.1:$dead/feed.xml
    name: dead
EOF
for run in 1 2; do
  start=$(date +%s%N)
  timeout 100 "$bin" once -c "$tmp/c.yaml" >"$tmp/run$run.out" 2>"$tmp/run$run.log"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$ms" -lt 15000 ] && ok "run $run: done in $ms ms (no sleeping through a 2-minute backoff)" \
    || bad "run $run took $ms ms"
  grep -q "ok   healthy" "$tmp/run$run.out" && ok "run $run: the healthy source is ok" \
    || { bad "run $run: healthy source not ok"; cat "$tmp/run$run.out"; }
done
grep -q "FAIL dead .*connection refused" "$tmp/run1.out" && ok "run 1: the dead source failed, cause named" \
  || { bad "run 1: dead source"; cat "$tmp/run1.out"; }
grep -q "^deferred: 1 URL" "$tmp/run2.out" && ok "run 2: the dead host's feed deferred and counted" \
  || { bad "run 2: no deferred count"; cat "$tmp/run2.out"; }
grep -q "level=warn.*deferred to the next run" "$tmp/run2.log" && ok "run 2: a warning says the host's URLs are deferred" \
  || bad "run 2: no warning about the deferral"
kill "$server" "$refuser"; wait "$server" "$refuser" 2>/dev/null; server= refuser=

# ---- 2 ----
"$bin" demo --serve --out "$tmp/sites" --sites 2 --articles 30 --delay 250 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
sed -e "s|^  dir: .*|  dir: $tmp/archive2|" -e "s|^  state_dir: .*|  state_dir: $tmp/state2|" \
    -e "s|^sources:|service: { grace_period: 2s }\nsources:|" \
    "$tmp/sites/feedarc-demo.yaml" > "$tmp/d.yaml"
start=$(date +%s%N)
"$bin" once -c "$tmp/d.yaml" --max-duration 2s >"$tmp/d1.out" 2>"$tmp/d1.log"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 0 ] && ok "--max-duration: exit 0" || { bad "--max-duration: exit $rc"; cat "$tmp/d1.out"; }
# The cap and the grace period count from the crawl's start: its own clock
# (the summary's elapsed) is held to them closely; the wall clock around the
# process adds start-up and exit, which a sanitizer build on a loaded
# machine made 2-6 s (a 3.8 s crawl in a 9.9 s process).  Slack past cap +
# grace (4 s), for the wrap-up (archive, commit) and for start-up and exit:
if ldd "$bin" | grep -q 'libasan\|libubsan'; then crawl_slack=2000 slack=10000
else crawl_slack=500 slack=1000; fi
elapsed=$(sed -n 's/^elapsed: *\([0-9.]*\) s.*/\1/p' "$tmp/d1.out" | awk '{printf "%d", $1 * 1000}')
[ "${elapsed:-99999}" -lt $((4000 + crawl_slack)) ] \
  && ok "--max-duration 2s: the crawl stopped after $elapsed ms (grace 2 s)" \
  || bad "--max-duration 2s: the crawl took ${elapsed:-?} ms"
[ "$ms" -lt $((4000 + slack)) ] && ok "--max-duration 2s: the process ended in $ms ms" \
  || bad "--max-duration 2s: the process took $ms ms"
grep -q "stopped at --max-duration" "$tmp/d1.out" && ok "--max-duration: the summary says so" \
  || bad "--max-duration: the summary does not say so"
deferred=$(sed -n 's/^deferred: \([0-9]*\) URL.*/\1/p' "$tmp/d1.out")
[ "${deferred:-0}" -gt 0 ] && ok "--max-duration: $deferred URLs deferred" || bad "--max-duration: nothing deferred"
ls "$tmp/archive2"/*.open >/dev/null 2>&1 && bad "--max-duration: .open segment left" || ok "--max-duration: no .open segment"
"$bin" once -c "$tmp/d.yaml" >"$tmp/d2.out" 2>"$tmp/d2.log"; rc=$?
[ "$rc" -eq 0 ] && ok "the next run: exit 0" || { bad "the next run: exit $rc"; cat "$tmp/d2.out"; }
# (feedarc ls, not zstd -d: segments may use a trained dictionary)
"$bin" ls "$tmp/archive2" | awk '$2 == "response" || $2 == "revisit" {print $5}' | sort > "$tmp/responses.txt"
feeds=$(grep -c '^ *url: ' "$tmp/d.yaml")
missing=0 dup=0 line=0
while read -r url; do
  line=$((line + 1)); [ "$line" -le "$feeds" ] && continue
  n=$(grep -cxF "$url" "$tmp/responses.txt")
  [ "$n" -eq 0 ] && missing=$((missing + 1))
  [ "$n" -gt 1 ] && dup=$((dup + 1))
done < "$tmp/sites/urls.txt"
[ "$missing" -eq 0 ] && ok "no page lost" || bad "$missing pages missing"
[ "$dup" -eq 0 ] && ok "no page archived twice" || bad "$dup pages archived twice"
"$bin" verify "$tmp/archive2" >/dev/null 2>&1 && ok "verify passes" || bad "verify fails"
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
