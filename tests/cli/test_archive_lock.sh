#!/usr/bin/env bash
# test_archive_lock.sh FEEDARC - two processes, one archive folder (issue 11):
# two `once` runs with different state folders and the same storage.dir.
# The second must not "recover" the first one's live .open segment: it exits
# 73 naming the holder's pid, the first finishes cleanly, verify is clean.
# Reading commands (ls, verify, dedup-report, text) work meanwhile and leave
# the .open segment alone.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-alock-XXXXXX)
sites= first=
trap '[ -n "$first" ] && kill "$first" 2>/dev/null; [ -n "$sites" ] && kill "$sites" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

# sample sites answering every request 800 ms late: a run lasts seconds
"$bin" demo --serve --out "$tmp/sites" --sites 1 --articles 6 --delay 800 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL the sample sites did not start"; cat "$tmp/sites.log"; exit 1; }
for x in a b; do
  sed -e "s|^  dir: .*|  dir: $tmp/archive|" -e "s|^  state_dir: .*|  state_dir: $tmp/state-$x|" \
      "$tmp/sites/feedarc-demo.yaml" > "$tmp/$x.yaml"
done
grep -q "state_dir: $tmp/state-b" "$tmp/b.yaml" || { echo "FAIL config not rewritten"; cat "$tmp/b.yaml"; exit 1; }

"$bin" once -q -c "$tmp/a.yaml" >"$tmp/a.out" 2>"$tmp/a.err" &
first=$!
for _ in $(seq 200); do ls "$tmp/archive"/*.open >/dev/null 2>&1 && break; sleep 0.05; done
open=$(ls "$tmp/archive"/*.open 2>/dev/null | head -1)
[ -n "$open" ] && ok "the first run writes $(basename "$open")" || bad "no .open segment seen"
size_before=$(stat -c %s "$open" 2>/dev/null || echo 0)

# a second writer: refused, with the holder's pid
"$bin" once -q -c "$tmp/b.yaml" >"$tmp/b.out" 2>"$tmp/b.err"; rc=$?
[ "$rc" -eq 73 ] && ok "second run on the same archive: exit 73" || bad "second run: exit $rc, wanted 73"
cat "$tmp/b.out" "$tmp/b.err" > "$tmp/b.all"
grep -q "locked by another feedarc (pid $first)" "$tmp/b.all" && ok "the message names the holder's pid" \
  || { bad "no holder pid $first in:"; sed 's/^/    /' "$tmp/b.all"; }
[ -e "$open" ] && ok "the live .open segment is still there" || bad "the second run took the live .open segment"
size_after=$(stat -c %s "$open" 2>/dev/null || echo 0)
[ "$size_after" -ge "$size_before" ] && ok "and was not truncated" || bad "truncated: $size_before -> $size_after"

# reading commands: no lock taken, the live segment untouched
"$bin" ls "$tmp/archive" >"$tmp/ls.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "ls while a run writes (exit 0)" || { bad "ls exit $rc"; cat "$tmp/ls.out"; }
"$bin" verify "$tmp/archive" >"$tmp/verify.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "verify while a run writes (exit 0)" || { bad "verify exit $rc"; cat "$tmp/verify.out"; }
"$bin" dedup-report "$tmp/archive" >/dev/null 2>"$tmp/dr.err"; rc=$?
[ "$rc" -eq 0 ] && ok "dedup-report while a run writes (exit 0)" || { bad "dedup-report exit $rc"; cat "$tmp/dr.err"; }
"$bin" text "$tmp/archive" >/dev/null 2>"$tmp/text.err"; rc=$?
[ "$rc" -eq 0 ] && ok "text while a run writes (exit 0)" || { bad "text exit $rc"; cat "$tmp/text.err"; }

if kill -0 "$first" 2>/dev/null; then   # still writing: its .open must be there
  [ -e "$open" ] && ok "the reading commands left the .open segment alone" || bad ".open gone after the reading commands"
else
  echo "note: the first run ended before the reading commands were done (slow machine)"
fi

wait "$first"; rc=$?
first=
[ "$rc" -eq 0 ] && ok "the first run ends well (exit 0)" || { bad "first run: exit $rc"; sed 's/^/    /' "$tmp/a.err" | head; }
ls "$tmp/archive"/*.open >/dev/null 2>&1 && bad ".open segment left" || ok "no .open segment left"
"$bin" verify "$tmp/archive" >"$tmp/verify.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "verify after both runs (exit 0)" || { bad "verify exit $rc"; tail -5 "$tmp/verify.out"; }
pid=$(cat "$tmp/archive/feedarc-archive.lock" 2>/dev/null)
[ -n "$pid" ] && ok "the lock file keeps the last holder's pid ($pid)" || bad "empty lock file"

# the lock is free again: the second config runs now (its own state: it
# fetches everything again)
"$bin" once -q -c "$tmp/b.yaml" >"$tmp/b.out" 2>"$tmp/b.err"; rc=$?
[ "$rc" -eq 0 ] && ok "once the first is done the second runs (exit 0)" || { bad "exit $rc"; cat "$tmp/b.err"; }

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
