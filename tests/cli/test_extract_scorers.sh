#!/usr/bin/env bash
# test_extract_scorers.sh FEEDARC SOURCE_DIR - the two extraction scorers of
# tools/bench (issue 13 item 1) on tiny sets made here, in the layouts of the
# public sets they read (which never enter this repository):
#   extract_articlebench: ground-truth.json beside html/<key>.html.gz (Zyte's
#     article-extraction-benchmark); a page whose truth is its extraction
#     scores 1/1, a page whose truth has four more tokens at its end scores
#     precision 1 and recall (m-3)/(m+1) on 4-token shingles (m tokens
#     extracted); --write-output writes {key: {"articleBody": text}};
#   extract_eval: evaldata.json beside eval/ (trafilatura's tests folder):
#     "with" snippets found, "without" snippets (the menu) left out.
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d /tmp/feedarc-scorers-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

page() { # page N: an article page with a menu around it
  printf '<html><body><nav><a href=/>Home</a> <a href=/about>About us</a></nav><article><h1>Harbour story %s</h1><p>The ferry to the island runs again after the storm, the harbour master said on Monday morning.</p><p>Page %s has a second paragraph about the timetable and the fares for the winter.</p></article><footer>Copyright the Gazette</footer></body></html>' "$1" "$1"
}

# ---- extract_articlebench
mkdir -p "$tmp/aeb/html"
for k in p1 p2; do page "$k" | gzip -c > "$tmp/aeb/html/$k.html.gz"; done
page p1 > "$tmp/p1.html"
page p2 > "$tmp/p2.html"
"$bin" extract "$tmp/p1.html" > "$tmp/p1.txt" 2>/dev/null
"$bin" extract "$tmp/p2.html" > "$tmp/p2.txt" 2>/dev/null
python3 - "$tmp" <<'PY' || bad "ground truth written"
import json, sys
tmp = sys.argv[1]
t1 = open(f"{tmp}/p1.txt").read()
t2 = open(f"{tmp}/p2.txt").read() + "\nalpha beta gamma delta"
json.dump({"p1": {"articleBody": t1, "url": "http://a.example/1"},
           "p2": {"articleBody": t2, "url": "http://a.example/2"}},
          open(f"{tmp}/aeb/ground-truth.json", "w"))
PY
out=$(python3 "$src/tools/bench/extract_articlebench" --feedarc "$bin" \
  --write-output "$tmp/out.json" "$tmp/aeb" 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ok "extract_articlebench runs" || bad "extract_articlebench exit $rc: $out"
python3 - "$tmp" "$out" <<'PY' && ok "articlebench figures: page 1 exact, page 2 recall (m-3)/(m+1)" || bad "articlebench figures: $out"
import json, re, sys
tmp, out = sys.argv[1], sys.argv[2]
m = len(re.findall(r"\w+", open(f"{tmp}/p2.txt").read()))
recall = (1 + (m - 3) / (m + 1)) / 2
f1 = 2 * recall / (1 + recall)
got = re.search(r"F1 ([\d.]+)  precision ([\d.]+)  recall ([\d.]+)  accuracy ([\d.]+)", out)
assert got, out
assert "pages 2 (failed to extract 0)" in out, out
assert got.group(2) == "1.000", got.group(2)
assert got.group(3) == f"{recall:.3f}", (got.group(3), recall)
assert got.group(1) == f"{f1:.3f}", (got.group(1), f1)
assert got.group(4) == "0.500", got.group(4)
written = json.load(open(f"{tmp}/out.json"))
assert sorted(written) == ["p1", "p2"], written.keys()
assert written["p1"]["articleBody"] == open(f"{tmp}/p1.txt").read()
assert "Home" not in written["p2"]["articleBody"]
PY
rm -f "$tmp/aeb/html/p2.html.gz"
python3 "$src/tools/bench/extract_articlebench" --feedarc "$bin" "$tmp/aeb" > "$tmp/o" 2>&1
rc=$?
[ "$rc" -ne 0 ] && grep -q "absent from html" "$tmp/o" && ok "a page missing from html/ is an error" \
  || bad "missing page: exit $rc, $(cat "$tmp/o")"

# ---- extract_eval
mkdir -p "$tmp/tests/eval"
page e1 > "$tmp/tests/eval/e1.html"
cat > "$tmp/tests/evaldata.json" <<'JSON'
{"http://a.example/e1": {"file": "e1.html",
  "with": ["The ferry to the island runs again after the storm", "second paragraph about the timetable"],
  "without": ["About us", "Copyright the Gazette"]}}
JSON
out=$(python3 "$src/tools/bench/extract_eval" --feedarc "$bin" "$tmp/tests" 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ok "extract_eval runs" || bad "extract_eval exit $rc: $out"
echo "$out" | grep -Eq '^all +1 +2 +0 +0 +2 +1\.000 +1\.000 +1\.000 +1\.000$' \
  && ok "extract_eval: both snippets found, both menus left out" || bad "extract_eval: $out"

echo "passed $passed, failed $fails"
[ "$fails" -eq 0 ]
