#!/usr/bin/env bash
# test_outages.sh FEEDARC - network failures are network failures.
#  1. once against a refused port and a name that does not resolve: the
#     summary, `feedarc status` and the warnings name the real cause
#     (connection refused, could not resolve host), never robots.txt.
#  2. serve whose feed host is down at the first poll and up 6 s later: the
#     robots.txt failure is not kept as a robots decision; the host is asked
#     again within the source's interval and the feed and its page are
#     archived; /metrics counts the refused connections by cause.
#  3. serve against a host whose connections are reset and one that answers
#     too late (timeout): each named in status and metrics, none a robots
#     decision.
#  4. once: a page that failed with a 503 is fetched again by the next run.
#  5. serve: a host answering 503 is tried again at least every interval,
#     whatever its backoff would be.
set -u
bin=$(realpath "$1")
. "$(dirname "$(realpath "$0")")/../util/ports.sh"  # read_port, serve_port
py=/usr/bin/python3
loopback=$(dirname "$(realpath "$0")")/../util/loopback.py
tmp=$(mktemp -d /tmp/feedarc-outages-XXXXXX)
server= serve= rst= refuser=
cleanup() {
  [ -n "$serve" ] && kill -9 "$serve" 2>/dev/null
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$refuser" ] && kill "$refuser" 2>/dev/null
  [ -n "$rst" ] && kill "$rst" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
# No fixed port anywhere: servers bind port 0 and print the port once they
# listen (loopback.py; the inline ones likewise), serve's metrics listen on
# 127.0.0.1:0 and serve names the port in its log.
base_config() { # $1 dir; the sources follow
  cat <<EOF
storage:
  dir: $1/archive
  state_dir: $1/state
http: { retries: 1, backoff_base: 300ms, connect_timeout: 2s, timeout: 2s, low_speed_time: 2s }
EOF
}

# ---- 1: once, refused, unresolvable, TLS spoken to a plain HTTP server ----
$py "$loopback" refuse >"$tmp/dead.port" &
refuser=$!
$py "$loopback" http "$tmp" >"$tmp/plain.port" 2>/dev/null &
server=$!
dead=$(read_port "$tmp/dead.port") && plain=$(read_port "$tmp/plain.port") \
  || { echo "FAIL: the loopback servers did not start"; exit 1; }
mkdir -p "$tmp/o"
{ base_config "$tmp/o"; cat <<EOF
sources:
  - url: http://127.0.0.1:$dead/feed.xml
    name: refused
  - url: http://nohost.invalid/feed.xml
    name: nodns
  - url: https://127.0.0.1:$plain/feed.xml
    name: tls
EOF
} > "$tmp/once.yaml"
"$bin" once -c "$tmp/once.yaml" >"$tmp/once.out" 2>"$tmp/once.log"; rc=$?
[ "$rc" -eq 1 ] && ok "once: exit 1 (sources failed)" || bad "once: exit $rc"
grep -q "FAIL refused .*connection refused" "$tmp/once.out" && ok "once: summary names 'connection refused'" \
  || { bad "once: summary does not name the refused connection"; cat "$tmp/once.out"; }
grep -q "FAIL nodns .*[Cc]ould not resolve host" "$tmp/once.out" && ok "once: summary names 'could not resolve host'" \
  || bad "once: summary does not name the DNS failure"
grep -q "FAIL tls .*TLS error" "$tmp/once.out" && ok "once: summary names the TLS error" \
  || bad "once: summary does not name the TLS error"
kill "$server" "$refuser"; wait "$server" "$refuser" 2>/dev/null; server= refuser=
grep -qi "disallow\|robots.txt unavailable" "$tmp/once.out" && { bad "once: the summary blames robots.txt"; grep -i robots "$tmp/once.out"; } \
  || ok "once: no robots decision in the summary"
grep -q "disallowed\|unavailable (status 0)" "$tmp/once.log" && bad "once: a warning calls it a robots decision" \
  || ok "once: no warning calls it a robots decision"
grep -q "level=warn.*connection refused" "$tmp/once.log" && ok "once: the warning names the cause" \
  || bad "once: no warning names the cause"
"$bin" status -c "$tmp/once.yaml" --json >"$tmp/status.out" 2>&1
grep -qi "refused" "$tmp/status.out" && grep -qi "resolve" "$tmp/status.out" \
  && ok "status names both causes" || { bad "status does not name the causes"; cat "$tmp/status.out"; }

# ---- 2: serve, host down at the first poll, up 6 s later ----
mkdir -p "$tmp/site" "$tmp/s"
# the host's port is bound, refusing, until the file up exists
$py "$loopback" http "$tmp/site" --listen-when "$tmp/up" >"$tmp/http.port" 2>"$tmp/http.log" &
server=$!
port=$(read_port "$tmp/http.port") || { echo "FAIL: the loopback server did not start"; exit 1; }
cat > "$tmp/site/feed.xml" <<EOF
<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>http://127.0.0.1:$port/</link>
<item><title>one</title><link>http://127.0.0.1:$port/one.html</link><guid>one</guid></item>
</channel></rss>
EOF
echo '<html><body>one</body></html>' > "$tmp/site/one.html"
echo 'User-agent: *' > "$tmp/site/robots.txt"
{ base_config "$tmp/s"; cat <<EOF
metrics: { listen: "127.0.0.1:0" }
sources:
  - url: http://127.0.0.1:$port/feed.xml
    name: late
    interval: 2s
EOF
} > "$tmp/serve.yaml"
"$bin" serve -c "$tmp/serve.yaml" >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve=$!
mport=$(serve_port "$tmp/serve.log" "$serve") || { echo "FAIL: serve did not start"; cat "$tmp/serve.log"; exit 1; }
sleep 6
touch "$tmp/up"
got=
for _ in $(seq 150); do
  if grep -q "GET /one.html" "$tmp/http.log"; then got=1; break; fi
  sleep 0.1
done
[ -n "$got" ] && ok "serve: the feed's page fetched once the host came up" \
  || { bad "serve: nothing fetched after the host came up"; tail -5 "$tmp/serve.log"; }
sleep 1
grep -q "GET /robots.txt" "$tmp/http.log" && ok "serve: robots.txt asked for again" || bad "serve: robots.txt never asked for"
grep -q "disallowed" "$tmp/serve.log" && bad "serve: a network failure reported as disallowed" \
  || ok "serve: no 'disallowed' in the log"
m=$(curl -s "http://127.0.0.1:$mport/metrics")
refused=$(echo "$m" | awk '$1=="feedarc_fetch_errors_total{cause=\"refused\"}" {print $2}')
[ "${refused:-0}" -ge 1 ] && ok "serve: /metrics counts $refused refused connection(s)" \
  || bad "serve: feedarc_fetch_errors_total{cause=\"refused\"} is ${refused:-absent}"
rob=$(echo "$m" | awk '$1=="feedarc_robots_disallowed_total" {print $2}')
[ "${rob:-0}" = 0 ] && ok "serve: nothing counted as disallowed by robots" || bad "serve: robots_disallowed $rob"
kill -TERM "$serve"; wait "$serve"; rc=$?; serve=
[ "$rc" -eq 0 ] && ok "serve: exit 0" || bad "serve: exit $rc"
"$bin" ls "$tmp/s/archive" 2>/dev/null | grep -q "one.html" && ok "serve: the page is in the archive" \
  || bad "serve: the page is not in the archive"
kill "$server"; wait "$server" 2>/dev/null; server=

# ---- 3: serve, a host that resets connections and one that is too slow ----
$py - >"$tmp/rst.port" 2>"$tmp/rst.log" <<'PY' &
import socket, struct, sys, threading, time
def listening():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
    return s
def serve(s, handler):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()
def reset(c):
    c.recv(4096)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
def slow(c):
    c.recv(4096); time.sleep(30); c.close()
r, s = listening(), listening()
print(r.getsockname()[1], s.getsockname()[1], flush=True)
threading.Thread(target=serve, args=(r, reset), daemon=True).start()
serve(s, slow)
PY
rst=$!
read -r rport sport <<<"$(read_port "$tmp/rst.port")"
[ -n "$sport" ] || { echo "FAIL: the loopback servers did not start"; cat "$tmp/rst.log"; exit 1; }
mkdir -p "$tmp/r"
{ base_config "$tmp/r"; cat <<EOF
metrics: { listen: "127.0.0.1:0" }
service: { grace_period: 1s }
sources:
  - url: http://127.0.0.1:$rport/feed.xml
    name: reset
    interval: 2s
  - url: http://127.0.0.1:$sport/feed.xml
    name: slow
    interval: 2s
EOF
} > "$tmp/r.yaml"
"$bin" serve -c "$tmp/r.yaml" >"$tmp/r.out" 2>"$tmp/r.log" &
serve=$!
mport=$(serve_port "$tmp/r.log" "$serve") || { echo "FAIL: serve did not start"; cat "$tmp/r.log"; exit 1; }
sleep 12
m=$(curl -s "http://127.0.0.1:$mport/metrics")
reset=$(echo "$m" | awk '$1=="feedarc_fetch_errors_total{cause=\"reset\"}" {print $2}')
tmo=$(echo "$m" | awk '$1=="feedarc_fetch_errors_total{cause=\"timeout\"}" {print $2}')
[ "${reset:-0}" -ge 2 ] && ok "serve: /metrics counts $reset reset connection(s), retried" \
  || bad "serve: reset count ${reset:-absent}"
[ "${tmo:-0}" -ge 1 ] && ok "serve: /metrics counts $tmo timeout(s)" || bad "serve: timeout count ${tmo:-absent}"
kill -TERM "$serve"; wait "$serve"; rc=$?; serve=
[ "$rc" -eq 0 ] && ok "serve: exit 0" || bad "serve: exit $rc"
"$bin" status -c "$tmp/r.yaml" --json >"$tmp/rstatus.out" 2>&1
grep -qi "reset" "$tmp/rstatus.out" && ok "status names the reset" || { bad "status does not name the reset"; cat "$tmp/rstatus.out"; }
grep -qi "timeout\|timed out" "$tmp/rstatus.out" && ok "status names the timeout" || bad "status does not name the timeout"
grep -q "disallowed" "$tmp/r.log" && bad "serve: a network failure reported as disallowed" \
  || ok "serve: no 'disallowed' in the log"

# ---- 4: a page that failed (503) is tried again though its feed is unchanged ----
mkdir -p "$tmp/v"
$py - "$tmp/v.port" >"$tmp/v.log" 2>&1 <<'PY' &
import http.server, sys
state = {"a": 0}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, status, body, extra=()):
        self.send_response(status)
        for k, v in extra: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                return self.reply(304, b"", [("ETag", '"v1"')])
            return self.reply(200, feed, [("ETag", '"v1"'), ("Content-Type", "application/rss+xml")])
        if self.path == "/a.html":
            state["a"] += 1
            print("a.html", state["a"], flush=True)
            if state["a"] == 1:
                return self.reply(503, b"busy")
            return self.reply(200, b"<html><body>a</body></html>", [("Content-Type", "text/html")])
        return self.reply(404, b"no")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)  # listening
port = srv.server_address[1]
feed = ("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
        "<item><title>a</title><link>http://127.0.0.1:%d/a.html</link><guid>a</guid></item>"
        "</channel></rss>" % port).encode()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
server=$!
port=$(read_port "$tmp/v.port") || { echo "FAIL: the loopback server did not start"; cat "$tmp/v.log"; exit 1; }
{ base_config "$tmp/v"; cat <<EOF
sources:
  - url: http://127.0.0.1:$port/feed.xml
    name: etag
EOF
} > "$tmp/v.yaml"
sed -i 's/retries: 1,/retries: 0,/' "$tmp/v.yaml"
"$bin" once -c "$tmp/v.yaml" >"$tmp/v1.out" 2>&1; rc1=$?
"$bin" once -c "$tmp/v.yaml" >"$tmp/v2.out" 2>&1; rc2=$?
[ "$rc1" -eq 1 ] && ok "a 503 page: the first run fails" || bad "a 503 page: first run exit $rc1"
[ "$rc2" -eq 0 ] && grep -Eq '^pages: +1 archived' "$tmp/v2.out" \
  && ok "the second run fetches the page (the feed's ETag was not kept)" \
  || { bad "the second run did not fetch the failed page (exit $rc2)"; grep -E '^(pages|requests)' "$tmp/v2.out"; }
kill "$server"; wait "$server" 2>/dev/null; server=

# ---- 5: serve's backoff never outlasts the source's interval ----
# A feed that answers 503 for ever, interval 2 s, a host backoff that would
# double from 4 s (4, 8, 16 s): the feed is asked again at least every
# interval (+10 % jitter), so over 16 s no gap between two requests passes
# 3.5 s and there are at least 5 of them (uncapped: 3, 4 s then 8 s apart).
mkdir -p "$tmp/b"
$py - "$tmp/b/port" >"$tmp/b.log" 2>&1 <<'PY' &
import http.server, os, sys, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/robots.txt":
            return self.reply(200, b"User-agent: *\n")
        print("feed %.3f" % time.monotonic(), flush=True)
        self.reply(503, b"busy")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
server=$!
port=$(read_port "$tmp/b/port") || { bad "serve: the 503 server did not start"; port=1; }
{ base_config "$tmp/b"; cat <<EOF
metrics: { listen: "127.0.0.1:0" }
sources:
  - url: http://127.0.0.1:$port/feed.xml
    name: busy
    interval: 2s
EOF
} > "$tmp/b.yaml"
sed -i 's/backoff_base: 300ms/backoff_base: 4s/' "$tmp/b.yaml"
"$bin" serve -c "$tmp/b.yaml" >"$tmp/b.out" 2>"$tmp/b.err" &
serve=$!
sleep 16
kill -TERM "$serve"; wait "$serve"; rc=$?; serve=
kill "$server"; wait "$server" 2>/dev/null; server=
n=$(grep -c '^feed ' "$tmp/b.log")
gap=$(awk '/^feed /{ if (p) { g = $2 - p; if (g > m) m = g } p = $2 } END { printf "%.2f", m }' "$tmp/b.log")
[ "$n" -ge 5 ] && ok "serve: a host answering 503 asked $n times in 16 s (interval 2 s)" \
  || { bad "serve: a host answering 503 asked only $n times in 16 s"; cat "$tmp/b.log"; }
awk -v g="$gap" 'BEGIN { exit !(g <= 3.5) }' && ok "serve: longest gap between tries ${gap} s (interval 2 s)" \
  || { bad "serve: a gap of ${gap} s between tries, past the 2 s interval"; cat "$tmp/b.log"; }
[ "$rc" -eq 0 ] && ok "serve: exit 0" || bad "serve: exit $rc"

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
