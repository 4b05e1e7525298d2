#!/usr/bin/env bash
# test_status_demo.sh FEEDARC - what an operator reads (issue 11):
# `feedarc status` shows a long last error whole (wrapped at word
# boundaries under its column, without the source's URL in front); a log
# line during a run clears the terminal progress line instead of being glued
# to it; `demo` works with 1-3 articles, counts its sites right and refuses
# --sites 0 (exit 64).
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-sd-XXXXXX)
sites=
trap '[ -n "$sites" ] && kill "$sites" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
expect_code() { # name expected command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else
    bad "$name: exit $got, wanted $want"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -20; fi
}

# ---- demo ----
for a in 1 2 3; do
  expect_code "demo --articles $a" 0 "$bin" demo --out "$tmp/demo$a" --articles "$a"
  grep -Eq 'pages: +[1-9][0-9]* archived, .* 0 failed' "$tmp/out" && ok "demo --articles $a archives pages" \
    || { bad "demo --articles $a pages line"; cat "$tmp/out"; }
done
expect_code "demo (default)" 0 "$bin" demo --out "$tmp/demo"
grep -q '^feedarc demo: 3 sample sites and an aggregator on loopback' "$tmp/out" \
  && ok "the default demo counts 3 sample sites" || { bad "site count"; head -1 "$tmp/out"; }
expect_code "demo --sites 1" 0 "$bin" demo --out "$tmp/demo1s" --sites 1 --articles 2
grep -q '^feedarc demo: 1 sample site and an aggregator' "$tmp/out" && ok "demo --sites 1 says 1" \
  || { bad "--sites 1 count"; head -1 "$tmp/out"; }
expect_code "demo --sites 0" 64 "$bin" demo --out "$tmp/demo0" --sites 0
grep -q -- '--sites: "0" is not a number from 1 to 250' "$tmp/err" && ok "--sites 0 says why" \
  || { bad "--sites 0 message"; cat "$tmp/err"; }
expect_code "demo --articles 0" 64 "$bin" demo --out "$tmp/demo0" --articles 0
expect_code "demo --sites x" 64 "$bin" demo --out "$tmp/demo0" --sites x
expect_code "demo --sites 251" 64 "$bin" demo --out "$tmp/demo0" --sites 251

# ---- status: a long last error ----
cat > "$tmp/dead.yaml" <<YAML
storage: {dir: $tmp/dead-archive, state_dir: $tmp/dead-state}
http: {retries: 0, connect_timeout: 1s}
sources:
  - url: http://127.0.0.1:1/a/rather/long/path/to/the/feed.xml
YAML
"$bin" once -q -c "$tmp/dead.yaml" >/dev/null 2>&1
url=http://127.0.0.1:1/a/rather/long/path/to/the/feed.xml
msg="robots.txt unavailable: Couldn't connect to server (connect to 127.0.0.1 port 1 after 0 ms: Connection refused); next try after the host backoff"
/usr/bin/python3 - "$tmp/dead-state/feedarc-state.sqlite" "$url: $msg" <<'PY' || bad "cannot set the error"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE sources SET last_error = ?", (sys.argv[2],)).rowcount
db.commit()
sys.exit(0 if n == 1 else 1)
PY
"$bin" status -c "$tmp/dead.yaml" >"$tmp/status.out" 2>&1
sed 's/^/    /' "$tmp/status.out"
cnt=$(grep -c "http://127.0.0.1:1/a/rather" "$tmp/status.out")
[ "$cnt" -eq 0 ] && ok "the table does not repeat the source's URL" || bad "the URL appears $cnt time(s)"
# every word of the message is whole in the table (no word cut)
words=$(tr -s ' \n' '\n\n' < "$tmp/status.out" | sort -u)
missing=
for w in $msg; do printf '%s\n' "$words" | grep -qxF -- "$w" || missing="$missing $w"; done
[ -z "$missing" ] && ok "the whole message is there, no word cut" || bad "cut or missing words:$missing"
col=$(head -1 "$tmp/status.out" | awk '{print index($0, "LAST STATUS")}')
cont=$(tail -n +3 "$tmp/status.out" | grep -c "^ \{$((col - 1))\}[^ ]")
[ "$cont" -ge 1 ] && ok "continuation lines sit under LAST STATUS ($cont)" || bad "no continuation under the column"

# ---- the progress line and a log line ----
if command -v script >/dev/null; then
  "$bin" demo --serve --out "$tmp/sites" --sites 1 --articles 4 --delay 1500 >"$tmp/sites.log" 2>&1 &
  sites=$!
  for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
  sed -e "s|^  dir: .*|  dir: $tmp/pa|" -e "s|^  state_dir: .*|  state_dir: $tmp/ps|" \
      "$tmp/sites/feedarc-demo.yaml" > "$tmp/p.yaml"
  origin=$(sed -n 's|^    url: "\(http://[^/]*\)/.*|\1|p' "$tmp/p.yaml" | head -1)
  printf '  - url: "%s/missing.xml"\n' "$origin" >> "$tmp/p.yaml"   # a 404: a warning mid-run
  timeout 60 script -qfec "$bin once -c $tmp/p.yaml" "$tmp/ts" >/dev/null 2>&1
  grep -aq 'findings [0-9]*' "$tmp/ts" && ok "a progress line was shown" || bad "no progress line"
  grep -aq 'level=warn' "$tmp/ts" && ok "a log line came during the run" || bad "no log line"
  if grep -aEq 'findings [0-9]+(time=|level=)' "$tmp/ts"; then
    bad "a log line is glued to the progress line:"; grep -aE 'findings [0-9]+time=' "$tmp/ts" | cat -v | head -3
  else
    ok "log lines clear the progress line first"
  fi
  kill "$sites"; wait "$sites" 2>/dev/null; sites=
else
  echo "skip progress line check: no script(1)"
fi

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
