#!/usr/bin/env bash
# test_feed_cli.sh - `feedarc feed` and `feedarc import-opml` end to end:
# output lines, detected kind, exit codes (0, 64, 65, 66, 69, 78), stdin,
# a configured JSON source (-c/--source), and one fetch over HTTP from a
# loopback server (redirect + gzip Content-Encoding).
#   usage: test_feed_cli.sh FEEDARC DATA_DIR
set -u
bin=$1
data=$2
tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
check() { # check NAME CONDITION...
  local name=$1
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
code() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

# a feed file: one JSON line per item, kind on stderr
check "rss exit 0" [ "$(code "$bin" feed --base https://g.example.org/f.xml "$data/rss2.xml")" = 0 ]
check "rss 4 items" [ "$(grep -c '"id"' "$tmp/out")" = 4 ]
check "rss kind" grep -qx 'kind: rss' "$tmp/err"
check "rss first item" grep -q '^{"id":"gazette-1001","link":"https://g.example.org/2026/11/lighthouse-keeper","title":"Lighthouse keeper retires after 40 years","author":"Mira Quillfeather","published":"2026-11-23T15:37:00Z","updated":"2026-11-24T07:00:00Z","summary_len":67,"content_len":44,"enclosures":\["https://g.example.org/audio/keeper.mp3","https://cdn.example.org/img/lamp.jpg"\]}$' "$tmp/out"

# stdin, JSON Feed with its next page
check "stdin exit 0" [ "$(code "$bin" feed - <"$data/jsonfeed11.json")" = 0 ]
check "stdin kind" grep -qx 'kind: jsonfeed' "$tmp/err"
check "next page line" grep -qx '{"link_kind":"next_page","url":"https://ledger.example.net/feed.json?page=2","title":""}' "$tmp/out"

# sitemap index and OPML give links
check "sitemapindex" [ "$(code "$bin" feed "$data/sitemapindex.xml")" = 0 ]
check "sitemap links" [ "$(grep -c '"link_kind":"sitemap"' "$tmp/out")" = 2 ]
check "opml links" [ "$(code "$bin" feed "$data/subscriptions.opml")" = 0 ]
check "opml feed link" grep -q '{"link_kind":"feed","url":"https://ledger.example.net/feed.json","title":"Ledger & Co"}' "$tmp/out"

# exit codes
check "missing file 66" [ "$(code "$bin" feed "$tmp/nope.xml")" = 66 ]
check "html without feeds 65" [ "$(code "$bin" feed "$data/page.html")" = 65 ]
check "65 message" grep -q 'HTML page with no feed link' "$tmp/err"
check "garbage 65" [ "$(echo 'hello' | code "$bin" feed -)" = 65 ]
check "usage 64" [ "$(code "$bin" feed)" = 64 ]
check "bad type 64" [ "$(code "$bin" feed --type xml "$data/rss2.xml")" = 64 ]
check "json without mapping 64" [ "$(code "$bin" feed --type json "$data/api-posts.json")" = 64 ]

# hostile bodies (issue 12): libxml2's limit is named, not a quiet success;
# a bad UTF-8 byte or a \u0000 in JSON costs a character, not the feed
check "billion laughs 65" [ "$(code "$bin" feed "$data/laughs.xml")" = 65 ]
check "billion laughs named" grep -q 'XML parser stopped at a limit after 1 items' "$tmp/err"
printf '{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"a"},{"id":"2","title":"b\377"},{"id":"a\\u0000x"},{"id":"a\\u0000y"}]}' >"$tmp/bad.json"
check "bad utf-8 json exit 0" [ "$(code "$bin" feed "$tmp/bad.json")" = 0 ]
check "bad utf-8 json 4 items" grep -qx 'items: 4' "$tmp/err"
check "bad byte replaced" grep -q "\"title\":\"b$(printf '\357\277\275')\"" "$tmp/out"

# a configured type: json source
cat >"$tmp/c.yaml" <<'YAML'
sources:
  - url: https://news.example.io/api/v1/stories
    name: stories
    type: json
    json:
      items: /data/stories
      id: /uid
      url: /permalink
      title: /headline/text
      date: /published_at
      paginate: cursor
      cursor: /meta/next_cursor
      cursor_param: after
YAML
check "config source exit 0" [ "$(code "$bin" feed -c "$tmp/c.yaml" --source stories "$data/api-posts.json")" = 0 ]
check "config source kind" grep -qx 'kind: json' "$tmp/err"
check "config source items" [ "$(grep -c '"id"' "$tmp/out")" = 3 ]
check "config source cursor" grep -q '"url":"https://news.example.io/api/v1/stories?after=c2Vjb25k%2Fpage%2B2"' "$tmp/out"
echo "sources: [{url: 'x'}]" >"$tmp/bad.yaml"
check "bad config 78" [ "$(code "$bin" feed -c "$tmp/bad.yaml" --source 0 "$data/rss2.xml")" = 78 ]

# import-opml
check "import exit 0" [ "$(code "$bin" import-opml "$data/subscriptions.opml")" = 0 ]
check "import yaml" diff -u - "$tmp/out" <<'YAML'
sources:
  - url: "https://gazette.example.org/feed.xml"
    name: "Harbour Town Gazette"   # category: News/Local
    type: auto
  - url: "http://valley.example.com/rss.rdf"
    name: "Valley Notes"   # category: News/Local
    type: auto
  - url: "https://ledger.example.net/feed.json"
    name: "Ledger & Co"   # category: News
    type: auto
  - url: "https://orchard.example.org/atom.xml"
    name: "Orchard"   # category: Blogs
    type: auto
  - url: "https://top.example.org/index.xml"
    name: "Top level"
    type: auto
YAML
check "import warnings" grep -q 'subscriptions.opml:17: skipped: https://orchard.example.org/atom.xml is listed twice' "$tmp/err"
check "import ftp warning" grep -q 'subscriptions.opml:18: skipped: xmlUrl "ftp://files.example.org/feed.xml"' "$tmp/err"
# the YAML it prints is a valid config
{ cat "$tmp/out"; } >"$tmp/imported.yaml"
check "imported config loads" [ "$(code "$bin" feed -c "$tmp/imported.yaml" --source 0 "$data/rss2.xml")" = 0 ]
check "import missing 66" [ "$(code "$bin" import-opml "$tmp/nope.opml")" = 66 ]
check "import not opml 65" [ "$(code "$bin" import-opml "$data/rss2.xml")" = 65 ]
check "import usage 64" [ "$(code "$bin" import-opml)" = 64 ]

# over HTTP: a redirect, then a gzip-encoded feed; and a 404
py=$(command -v python3 || true)
if [ -n "$py" ]; then
  cat >"$tmp/srv.py" <<'PY'
import gzip, http.server, sys, threading
data = open(sys.argv[1], 'rb').read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == '/old':
            self.send_response(301); self.send_header('Location', '/feeds/main.xml'); self.end_headers(); return
        if self.path == '/feeds/main.xml':
            body = gzip.compress(data)
            self.send_response(200); self.send_header('Content-Type', 'application/rss+xml')
            self.send_header('Content-Encoding', 'gzip'); self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body); return
        self.send_response(404); self.send_header('Content-Length', '0'); self.end_headers()
s = http.server.HTTPServer(('127.0.0.1', 0), H)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
  "$py" "$tmp/srv.py" "$data/rss2.xml" "$tmp/port" &
  server_pid=$!
  for _ in $(seq 300); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  port=$(cat "$tmp/port")
  check "http exit 0" [ "$(code "$bin" feed "http://127.0.0.1:$port/old")" = 0 ]
  check "http items" [ "$(grep -c '"id"' "$tmp/out")" = 4 ]
  check "http base after redirect" grep -q '"link":"http://127.0.0.1:'"$port"'/2026/11/lighthouse-keeper"' "$tmp/out"
  check "http 404 69" [ "$(code "$bin" feed "http://127.0.0.1:$port/missing")" = 69 ]
  check "http 404 message" grep -q 'HTTP 404' "$tmp/err"
else
  echo "skip http checks: no python3"
fi

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
