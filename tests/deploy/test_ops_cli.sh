#!/usr/bin/env bash
# test_ops_cli.sh FEEDARC - the operator's commands end to end:
# `feedarc config check` (effective config, every error with its line, exit
# codes) and `feedarc status` (no state yet; sources failing repeatedly
# flagged, exit 1, --json; healthy sources after a demo crawl; a source no
# longer in the config; and reading while another process holds the state's
# lock, as a running `feedarc serve` does).
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-ops-XXXXXX)
lockpid=
trap '[ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
expect_code() { # name expected command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else
    bad "$name: exit $got, wanted $want"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -20; fi
}
has() { # name file pattern (fixed string)
  grep -qF -- "$3" "$2" && ok "$1" || { bad "$1: no '$3' in"; sed 's/^/    /' "$2" | head -20; }
}

# ---- config check ----
cat > "$tmp/good.yaml" <<'YAML'
sources:
  - url: https://a.example/feed.xml
metrics: {listen: "[::1]:9464"}
YAML
expect_code "config check valid" 0 "$bin" config check "$tmp/good.yaml"
has "effective config has defaults" "$tmp/out" "grace_period: 10s"
has "effective config has metrics.listen" "$tmp/out" 'listen: "[::1]:9464"'
has "paths are absolute" "$tmp/out" "dir: \"$tmp/archive\""
cp "$tmp/out" "$tmp/effective.yaml"
expect_code "the effective config is itself valid" 0 "$bin" config check "$tmp/effective.yaml"
expect_code "config check -q" 0 "$bin" config check -q "$tmp/good.yaml"
[ -s "$tmp/out" ] && bad "-q printed something" || ok "-q prints nothing"
printf 'sources:\n  - url: ftp://x/\nlog:\n  level: loud\nservice: {grace_period: 5x}\n' > "$tmp/bad.yaml"
expect_code "config check invalid" 78 "$bin" config check "$tmp/bad.yaml"
has "error 1 with file:line" "$tmp/err" "$tmp/bad.yaml:2: sources[0].url:"
has "error 2 with file:line" "$tmp/err" "$tmp/bad.yaml:4: log.level: \"loud\" is not a log level"
has "error 3 with file:line" "$tmp/err" "$tmp/bad.yaml:5: service.grace_period: \"5x\" is not a duration"
[ -s "$tmp/out" ] && bad "invalid config printed to stdout" || ok "nothing on stdout when invalid"
expect_code "config check missing file" 78 "$bin" config check "$tmp/none.yaml"
expect_code "config without action" 64 "$bin" config
expect_code "config check without file" 64 "$bin" config check
expect_code "config frobnicate" 64 "$bin" config frobnicate "$tmp/good.yaml"
expect_code "help config" 0 "$bin" help config
expect_code "help status" 0 "$bin" help status

# ---- status: nothing crawled yet ----
cat > "$tmp/dead.yaml" <<'YAML'
storage: {dir: ./dead-archive, state_dir: ./dead-state}
http: {retries: 0, connect_timeout: 1s}
sources:
  - url: http://127.0.0.1:1/feed.xml
    name: Dead source
  - url: http://127.0.0.1:1/other.xml
    name: Second dead source
YAML
expect_code "status before any crawl" 0 "$bin" status -c "$tmp/dead.yaml"
has "status says there is no state" "$tmp/out" "no state in $tmp/dead-state yet"
has "status lists a never-polled source" "$tmp/out" "Dead source"
[ -e "$tmp/dead-state" ] && bad "status created the state folder" || ok "status created nothing"
expect_code "status without -c" 64 "$bin" status
expect_code "status with a bad config" 78 "$bin" status -c "$tmp/bad.yaml"

# ---- status: failing sources ----
for i in 1 2; do "$bin" once -q -c "$tmp/dead.yaml" >/dev/null 2>&1; done
expect_code "status after 2 failures" 0 "$bin" status -c "$tmp/dead.yaml"
grep -q FAILING "$tmp/out" && bad "flagged after 2 failures" || ok "not flagged after 2 failures"
"$bin" once -q -c "$tmp/dead.yaml" >/dev/null 2>&1
expect_code "status after 3 failures" 1 "$bin" status -c "$tmp/dead.yaml"
has "failing source flagged" "$tmp/out" "FAILING"
has "summary names the failing source" "$tmp/out" "2 sources failing (3 or more failures in a row)"
expect_code "status --json" 1 "$bin" status -c "$tmp/dead.yaml" --json
if /usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in d["sources"]}
src = s["Dead source"]
assert d["sources_failing"] == 2, d
assert src["consecutive_failures"] == 3 and src["failing"] is True, src
assert src["last_success"] is None and src["last_attempt"].endswith("Z"), src
assert src["last_error"] and src["configured"] is True, src
assert src["url"] == "http://127.0.0.1:1/feed.xml", src
PY
then ok "status --json fields"; else bad "status --json fields"; sed 's/^/    /' "$tmp/out"; fi

# ---- status while the state is locked (a running feedarc holds it) ----
/usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(60)' "$tmp/dead-state/feedarc.lock" "$tmp/locked" &
lockpid=$!
for _ in $(seq 50); do [ -e "$tmp/locked" ] && break; sleep 0.1; done
expect_code "once refused while locked" 73 "$bin" once -c "$tmp/dead.yaml"
if grep -q "locked by another feedarc" "$tmp/err" "$tmp/out"; then ok "the lock is really held"
else bad "once did not report the lock"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head; fi
expect_code "status while locked" 1 "$bin" status -c "$tmp/dead.yaml"
has "status while locked reads the state" "$tmp/out" "FAILING"
kill "$lockpid" 2>/dev/null; wait "$lockpid" 2>/dev/null; lockpid=

# ---- a source dropped from the config ----
sed '/Second dead source/d; /other.xml/d' "$tmp/dead.yaml" > "$tmp/dead1.yaml"
expect_code "status after a source was removed" 1 "$bin" status -c "$tmp/dead1.yaml"
has "removed source listed as such" "$tmp/out" "(not in the config)"
has "only configured sources count as failing" "$tmp/out" "1 source failing"

# ---- healthy sources: the demo's crawl ----
"$bin" demo --out "$tmp/demo" --print-config > "$tmp/demo.yaml" 2>/dev/null
"$bin" demo --out "$tmp/demo" -q >/dev/null 2>&1
expect_code "status after the demo crawl" 0 "$bin" status -c "$tmp/demo.yaml"
grep -q FAILING "$tmp/out" && bad "a demo source is failing" || ok "no demo source failing"
has "demo sources polled" "$tmp/out" "The Harbour Ledger"
if grep "The Harbour Ledger  " "$tmp/out" | grep -q " 200 "; then ok "last status 200"
else bad "no 200 for The Harbour Ledger"; sed 's/^/    /' "$tmp/out" | head; fi

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
