#!/usr/bin/env bash
# test_extract_batch.sh FEEDARC - `feedarc extract --batch FILE...` (issue 13,
# tools/bench/extract_eval's way in): one NUL-ended record per file, in order, the
# same text as one `feedarc extract FILE` each; a file that cannot be opened
# gives an empty record, its name on stderr and exit 66 while the others are
# still printed; --batch with --json or without files is bad usage (64).
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-xbatch-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

echo "$bin" > "$tmp/bin"
for n in 1 2; do
  printf '<html><body><nav><a href=/>Home</a></nav><article><h1>Story %s</h1><p>The ferry to the island runs again after the storm, the harbour master said on Monday morning.</p><p>Page %s has a second paragraph about the timetable and the fares for the winter.</p></article></body></html>' "$n" "$n" > "$tmp/p$n.html"
done
"$bin" extract --batch "$tmp/p1.html" "$tmp/p2.html" "$tmp/missing.html" "$tmp/p1.html" \
  > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 66 ] && ok "exit 66 for the file that cannot be opened" || bad "exit $rc, want 66"
python3 - "$tmp" <<'PY' && ok "4 records in order, each as extract prints it alone, the missing one empty" || bad "records"
import subprocess, sys
tmp = sys.argv[1]
recs = open(f"{tmp}/out", "rb").read().split(b"\0")
assert len(recs) == 5 and recs[4] == b"", len(recs)
for i, name in ((0, "p1"), (1, "p2"), (3, "p1")):
    alone = subprocess.run([open(f"{tmp}/bin").read().strip(), "extract", f"{tmp}/{name}.html"],
                           capture_output=True).stdout
    assert recs[i] == alone, (i, recs[i], alone)
    assert b"second paragraph" in recs[i] and b"Home" not in recs[i]
assert recs[2] == b""
PY
grep -q "missing.html" "$tmp/err" && ok "the missing file named on stderr" || bad "stderr: $(cat "$tmp/err")"
grep -q "^encoding:" "$tmp/err" && bad "encoding lines in batch mode" || ok "no encoding lines in batch mode"
"$bin" extract --batch --json "$tmp/p1.html" >/dev/null 2>&1
[ $? -eq 64 ] && ok "--batch --json is bad usage" || bad "--batch --json"
"$bin" extract --batch >/dev/null 2>&1
[ $? -eq 64 ] && ok "--batch without files is bad usage" || bad "--batch without files"
echo "passed $passed, failed $fails"
[ "$fails" -eq 0 ]
