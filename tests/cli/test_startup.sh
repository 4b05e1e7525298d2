#!/usr/bin/env bash
# test_startup.sh FEEDARC - start-up failures and reloads, as an operator
# meets them:
#  - once whose archive folder cannot be created, or whose state is locked
#    by another process: the error alone (stderr), no summary, exit 73;
#  - serve whose metrics port is in use: exit 75 (EX_TEMPFAIL, which the
#    unit restarts on); a metrics address that is no address: exit 78;
#  - serve given a bad config on SIGHUP: each error its own log record;
#  - SIGHUP with a changed metrics.listen: a warning names the key.
set -u
bin=$(realpath "$1")
# No fixed port: loopback.py binds port 0 and prints the port once ready;
# serve's metrics listen on 127.0.0.1:0 and serve names the port in its log.
. "$(dirname "$(realpath "$0")")/../util/ports.sh"  # read_port, serve_port
py=/usr/bin/python3
loopback=$(dirname "$(realpath "$0")")/../util/loopback.py
tmp=$(mktemp -d /tmp/feedarc-startup-XXXXXX)
holder= serve= refuser=
cleanup() {
  [ -n "$serve" ] && kill -9 "$serve" 2>/dev/null
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  [ -n "$refuser" ] && kill "$refuser" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
$py "$loopback" refuse >"$tmp/dead.port" &
refuser=$!
dead=$(read_port "$tmp/dead.port") || { echo "FAIL: loopback.py did not start"; exit 1; }
config() { # $1 archive dir, $2 state dir, $3 extra yaml
  printf 'storage:\n  dir: %s\n  state_dir: %s\n%s\nsources:\n  - url: http://127.0.0.1:%s/feed.xml\n    name: one\n' \
    "$1" "$2" "$3" "$dead"
}

# archive folder under a regular file
touch "$tmp/afile"
config "$tmp/afile/archive" "$tmp/state1" "" > "$tmp/c1.yaml"
"$bin" once -c "$tmp/c1.yaml" >"$tmp/c1.out" 2>"$tmp/c1.err"; rc=$?
[ "$rc" -eq 73 ] && ok "unusable archive folder: exit 73" || bad "unusable archive folder: exit $rc"
[ -s "$tmp/c1.out" ] && { bad "a summary was printed"; cat "$tmp/c1.out"; } || ok "no summary printed"
grep -q "Not a directory" "$tmp/c1.err" && ok "the error is printed" || { bad "no error printed"; cat "$tmp/c1.err"; }

# a read-only archive folder (root writes anywhere: run as nobody then)
mkdir -p "$tmp/ro/archive" "$tmp/ro/state"
chmod 555 "$tmp/ro/archive"; chmod 777 "$tmp/ro/state"; chmod 755 "$tmp" "$tmp/ro"
config "$tmp/ro/archive" "$tmp/ro/state" "" > "$tmp/ro.yaml"; chmod 644 "$tmp/ro.yaml"
as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${as_user[@]}" "$bin" once -c "$tmp/ro.yaml" >"$tmp/ro.out" 2>"$tmp/ro.err"; rc=$?
[ "$rc" -eq 73 ] && ok "read-only archive folder: exit 73" || bad "read-only archive folder: exit $rc"
[ -s "$tmp/ro.out" ] && bad "read-only archive: a summary was printed" || ok "read-only archive: no summary"
grep -q "not writable" "$tmp/ro.err" && ok "read-only archive: the error is printed" \
  || { bad "read-only archive: no error"; cat "$tmp/ro.err"; }
chmod 755 "$tmp/ro/archive"

# state locked by another process (the flock the state takes)
mkdir -p "$tmp/state2"
$py -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(60)' \
  "$tmp/state2/feedarc.lock" >"$tmp/holder.out" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/holder.out" ] && break; sleep 0.1; done
config "$tmp/archive2" "$tmp/state2" "" > "$tmp/c2.yaml"
"$bin" once -c "$tmp/c2.yaml" >"$tmp/c2.out" 2>"$tmp/c2.err"; rc=$?
[ "$rc" -eq 73 ] && ok "locked state: exit 73" || bad "locked state: exit $rc"
[ -s "$tmp/c2.out" ] && { bad "locked state: a summary was printed"; cat "$tmp/c2.out"; } \
  || ok "locked state: no summary printed"
[ -s "$tmp/c2.err" ] && ok "locked state: $(head -1 "$tmp/c2.err")" || bad "locked state: no error printed"
kill "$holder"; wait "$holder" 2>/dev/null; holder=

# metrics port in use, and a bad metrics address
$py "$loopback" hold >"$tmp/held.port" &
holder=$!
mport=$(read_port "$tmp/held.port") || { echo "FAIL: loopback.py did not start"; exit 1; }
config "$tmp/archive3" "$tmp/state3" "metrics: { listen: \"127.0.0.1:$mport\" }" > "$tmp/c3.yaml"
timeout 10 "$bin" serve -c "$tmp/c3.yaml" >"$tmp/c3.out" 2>"$tmp/c3.err"; rc=$?
[ "$rc" -eq 75 ] && ok "metrics port in use: exit 75 (restarted by the unit)" \
  || { bad "metrics port in use: exit $rc"; cat "$tmp/c3.err"; }
kill "$holder"; wait "$holder" 2>/dev/null; holder=
config "$tmp/archive3" "$tmp/state3" "metrics: { listen: \"localhost:x\" }" > "$tmp/c4.yaml"
timeout 10 "$bin" serve -c "$tmp/c4.yaml" >"$tmp/c4.out" 2>"$tmp/c4.err"; rc=$?
[ "$rc" -eq 78 ] && ok "bad metrics address: exit 78" || bad "bad metrics address: exit $rc"

# reloads: a bad config's errors one per record; a changed metrics.listen named
config "$tmp/archive5" "$tmp/state5" "metrics: { listen: \"127.0.0.1:0\" }" > "$tmp/c5.yaml"
cp "$tmp/c5.yaml" "$tmp/good.yaml"
"$bin" serve -c "$tmp/c5.yaml" >"$tmp/c5.out" 2>"$tmp/c5.err" &
serve=$!
mport=$(serve_port "$tmp/c5.err" "$serve") || { echo "FAIL: serve did not start"; cat "$tmp/c5.err"; exit 1; }
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$mport/readyz" >/dev/null && break; sleep 0.1; done
printf 'http:\n  retries: many\nsources:\n  - url: not a url\n' > "$tmp/c5.yaml"
kill -HUP "$serve"; sleep 1.5
n=$(grep -c 'comp=config' "$tmp/c5.err")
[ "$n" -ge 3 ] && ok "bad config: $n log records (a heading and one per error)" \
  || { bad "bad config: $n config records"; cat "$tmp/c5.err"; }
grep -q '\\n' "$tmp/c5.err" && { bad "a log line holds a literal \\n"; grep '\\n' "$tmp/c5.err"; } \
  || ok "no literal \\n in the log"
# (another address: a restart would listen there; this one is never bound)
sed "s/127.0.0.1:0/127.0.0.2:0/" "$tmp/good.yaml" > "$tmp/c5.yaml"
kill -HUP "$serve"; sleep 1.5
grep -q 'level=warn.*metrics.listen.*restart' "$tmp/c5.err" && ok "changed metrics.listen: named in a warning" \
  || { bad "changed metrics.listen: no warning"; tail -3 "$tmp/c5.err"; }
curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null && ok "still serving on the old address" \
  || bad "the old address stopped answering"
kill -TERM "$serve"; wait "$serve"; rc=$?; serve=
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
