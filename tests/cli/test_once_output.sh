#!/usr/bin/env bash
# test_once_output.sh FEEDARC - what `once` says, and where:
#  - --quiet with two failing sources: no summary, but one warning per
#    failing source on stderr (what feedarc-once.service puts in the journal);
#  - --verbose, and log.level: debug in the config: one line per fetch with
#    method, URL, status, bytes, ms (as many as the summary's requests);
#  - --json: one JSON object, per source its result, cause and new URLs.
set -u
bin=$(realpath "$1")
py=/usr/bin/python3
loopback=$(dirname "$(realpath "$0")")/../util/loopback.py
tmp=$(mktemp -d /tmp/feedarc-output-XXXXXX)
sites= refuser=
cleanup() {
  [ -n "$sites" ] && kill "$sites" 2>/dev/null
  [ -n "$refuser" ] && kill "$refuser" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
# a port that refuses (bound, never listened on) for as long as the test runs
$py "$loopback" refuse >"$tmp/dead.port" &
refuser=$!
for _ in $(seq 300); do [ -s "$tmp/dead.port" ] && break; sleep 0.1; done
dead=$(head -1 "$tmp/dead.port")
[ -n "$dead" ] || { echo "FAIL: loopback.py did not start"; exit 1; }
cat > "$tmp/fail.yaml" <<EOF
storage:
  dir: $tmp/archive1
  state_dir: $tmp/state1
http: { retries: 0 }
sources:
  - url: http://127.0.0.1:$dead/feed.xml
    name: refused
  - url: http://nohost.invalid/feed.xml
    name: nodns
EOF
"$bin" once -c "$tmp/fail.yaml" --quiet >"$tmp/q.out" 2>"$tmp/q.err"; rc=$?
[ "$rc" -eq 1 ] && ok "--quiet: exit 1" || bad "--quiet: exit $rc"
[ -s "$tmp/q.out" ] && bad "--quiet printed a summary" || ok "--quiet: no summary"
grep -q "level=warn.*source=refused" "$tmp/q.err" && grep -q "level=warn.*source=nodns" "$tmp/q.err" \
  && ok "--quiet: a warning for each failing source" || { bad "--quiet: failing sources not logged"; cat "$tmp/q.err"; }
grep -q "level=info" "$tmp/q.err" && bad "--quiet: info lines printed" || ok "--quiet: no info lines"

"$bin" once -c "$tmp/fail.yaml" --json >"$tmp/f.json" 2>/dev/null
if $py - "$tmp/f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "sources_failed", d["status"]
by = {s["name"]: s for s in d["sources"]}
assert by["refused"]["result"] == "failed" and by["refused"]["cause"] == "connection refused", by["refused"]
assert by["nodns"]["cause"] == "could not resolve host", by["nodns"]
PY
then ok "--json: failing sources with their cause"; else bad "--json for failing sources"; cat "$tmp/f.json"; fi

"$bin" demo --serve --out "$tmp/sites" --sites 1 --articles 6 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
mk() { # $1 name, $2 extra yaml
  sed -e "s|^  dir: .*|  dir: $tmp/$1/archive|" -e "s|^  state_dir: .*|  state_dir: $tmp/$1/state|" \
      -e "s|^sources:|$2\nsources:|" "$tmp/sites/feedarc-demo.yaml" > "$tmp/$1.yaml"
}
mk v ""
"$bin" once -c "$tmp/v.yaml" --verbose >"$tmp/v.out" 2>"$tmp/v.err"
req=$(sed -n 's/^requests: *\([0-9]*\) .*/\1/p' "$tmp/v.out")
n=$(grep -c 'comp=fetch msg=fetched method=GET url=[^ ]* status=[0-9]* bytes=[0-9]* ms=[0-9]*' "$tmp/v.err")
[ "${req:-0}" -gt 0 ] && [ "$n" -eq "$req" ] && ok "--verbose: one line per fetch ($n for $req requests)" \
  || { bad "--verbose: $n fetch lines for ${req:-?} requests"; grep comp=fetch "$tmp/v.err" | head -3; }
mk d "log: { level: debug }"
"$bin" once -c "$tmp/d.yaml" >"$tmp/d.out" 2>"$tmp/d.err"
n=$(grep -c 'comp=fetch msg=fetched' "$tmp/d.err")
[ "$n" -gt 0 ] && ok "log.level debug: $n fetch lines" || bad "log.level debug: no fetch lines"

mk j ""
"$bin" once -c "$tmp/j.yaml" --json >"$tmp/j.json" 2>"$tmp/j.err"; rc=$?
[ "$rc" -eq 0 ] && ok "--json: exit 0" || bad "--json: exit $rc"
if $py - "$tmp/j.json" "$tmp/sites/urls.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "ok", d["status"]
new = [u for s in d["sources"] for u in s["new_urls"]]
assert len(new) == d["pages_archived"] > 0, (len(new), d["pages_archived"])
urls = set(open(sys.argv[2]).read().split())
assert set(new) <= urls, set(new) - urls
assert all(s["result"] == "ok" and s["error"] is None for s in d["sources"])
PY
then ok "--json: per-source results, the new URLs = pages archived"; else bad "--json summary"; head -c 600 "$tmp/j.json"; fi
"$bin" once -c "$tmp/j.yaml" --json >"$tmp/j2.json" 2>/dev/null
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sum(len(s["new_urls"]) for s in d["sources"]) == 0' "$tmp/j2.json" \
  && ok "--json: a second run has no new URLs" || bad "--json: new URLs in a second run"
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
