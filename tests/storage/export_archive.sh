#!/usr/bin/env bash
# export_archive.sh - feedarc export end to end on archives written by the
# crawler (two feedarc demo runs: two segments, the second compressed with
# the zstd dictionary the crawler trained on the first):
#   - the .warc.gz holds the very bytes of the source records (gzip -dc of
#     it equals zstd -dc of the segments), one gzip member per record, and
#     its .cdxj sits beside it;
#   - round trip: ls, get, verify, text, dedup-report (and --summary) give
#     the same answers over the export (.warc.gz, and the same as plain
#     .warc) as over the warc.zst segments it came from;
#   - selection: --url-prefix keeps exactly the source's requests,
#     responses and revisits of that prefix (with their metadata and
#     conversions), --since/--until past the archive's dates keep nothing;
#   - WACZ: a valid ZIP, every entry stored, datapackage.json resources with
#     the right sha256 and sizes, datapackage-digest.json, the pages list
#     (header line, one page per article, the feed item's title), the
#     archive/data.warc.gz identical to the .warc.gz export, the ZipNum
#     index (index.cdx.gz members + index.idx) equal to the .cdxj;
#   - failures: bad usage 64, missing DIR 66, unwritable OUT 73, a corrupt
#     segment 65 - and no OUT left behind.
# usage: export_archive.sh FEEDARC_BIN
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/fa-export-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 600 articles: enough records for the crawler to train a dictionary
"$bin" demo --out "$work/a" --sites 3 --articles 200 --quiet >/dev/null 2>&1 || fail "demo crawl"
"$bin" demo --out "$work/a" --sites 3 --articles 200 --quiet >/dev/null 2>&1 || fail "second demo crawl"
[ "$(ls "$work/a"/*.warc.zst | wc -l)" -ge 2 ] || fail "want two segments"

mkdir "$work/x"
"$bin" export "$work/a" "$work/x/all.warc.gz" > "$work/export.txt" || fail "export exit $?"
[ -s "$work/x/all.warc.gz" ] && [ -s "$work/x/all.warc.gz.cdxj" ] || fail "no .warc.gz or .cdxj"
[ -z "$(ls "$work/x" | grep '\.tmp$' || true)" ] || fail "temporary files left"
# (issue 14: the first run writes two segments - its first 250 records, then
# the rest with the dictionary it trained on them)
n_seg=$(ls "$work/a"/*.warc.zst | wc -l)
grep -q "records from $n_seg files" "$work/export.txt" || fail "summary: $(cat "$work/export.txt")"

# the same bytes, record for record
n_dict=0
for s in "$work/a"/*.warc.zst; do
  if "$bin" dict-extract "$s" "$work/seg.zdict" > /dev/null 2>&1; then
    zstd -dcq -D "$work/seg.zdict" "$s"
    n_dict=$((n_dict + 1))
  else
    zstd -dcq "$s"
  fi
done > "$work/src.warc"
[ $n_dict -ge 1 ] || fail "no segment with a dictionary: the test wants one"
gzip -dc "$work/x/all.warc.gz" > "$work/x.warc"
cmp -s "$work/src.warc" "$work/x.warc" || fail "exported records differ from the source records"
# one gzip member per record: as many members as records (each index
# offset starts a member: 1f 8b 08)
n_records=$(grep -ac '^WARC-Type: ' "$work/src.warc")
python3 - "$work/x/all.warc.gz" "$work/x/all.warc.gz.cdxj" "$n_records" <<'EOF' || fail "gzip members"
import json, sys, zlib
data = open(sys.argv[1], "rb").read()
for line in open(sys.argv[2]):
    j = json.loads(line.split(" ", 2)[2])
    off, n = int(j["offset"]), int(j["length"])
    assert data[off:off + 3] == b"\x1f\x8b\x08", f"offset {off} is not the start of a gzip member"
    d = zlib.decompressobj(31)
    rec = d.decompress(data[off:off + n])
    assert d.eof and not d.unused_data and rec.startswith(b"WARC/1.1\r\n"), f"{off}+{n} is not one member"
# members: as many as records
members, pos, view = 0, 0, memoryview(data)
while pos < len(data):
    d = zlib.decompressobj(31)
    while not d.eof:
        chunk = view[pos:pos + 65536]
        if not chunk:
            raise SystemExit(f"a gzip member cut short at {pos}")
        d.decompress(chunk)
        pos += len(chunk)
    pos -= len(d.unused_data)
    members += 1
assert members == int(sys.argv[3]), f"{members} gzip members for {sys.argv[3]} records"
EOF
LC_ALL=C sort -c "$work/x/all.warc.gz.cdxj" || fail ".cdxj not sorted"
[ "$(wc -l < "$work/x/all.warc.gz.cdxj")" = "$(cat "$work/a"/*.warc.zst.cdxj | wc -l)" ] ||
  fail "index line count"

# round trip: every reader answers the same over the export
mkdir "$work/p"
cp "$work/x.warc" "$work/p/all.warc"
for d in x p; do
  for cmd in ls text dedup-report "dedup-report --summary"; do
    # shellcheck disable=SC2086
    "$bin" $cmd "$work/a" > "$work/1.out" 2>&1 || fail "$cmd over the segments"
    # shellcheck disable=SC2086
    "$bin" $cmd "$work/$d" > "$work/2.out" 2>&1 || fail "$cmd over $d"
    cmp -s "$work/1.out" "$work/2.out" || { diff "$work/1.out" "$work/2.out" | head; fail "$cmd differs over $d"; }
  done
  "$bin" verify "$work/$d" > "$work/v.txt" 2>/dev/null || { cat "$work/v.txt"; fail "verify $d"; }
  n_src=$("$bin" verify "$work/a" 2>/dev/null | grep -o '[0-9]* records, 0 faults')
  grep -q "1 segments, $n_src" "$work/v.txt" || fail "verify $d: $(cat "$work/v.txt") (source: $n_src)"
  n=0
  for url in $(grep -o '"url":"[^"]*"' "$work/a"/*.warc.zst.cdxj | cut -d'"' -f4 | sort -u | head -15); do
    "$bin" get "$work/a" "$url" -H > "$work/g1" 2>&1 || true
    "$bin" get "$work/$d" "$url" -H > "$work/g2" 2>&1 || true
    cmp -s "$work/g1" "$work/g2" || fail "get $url differs over $d"
    n=$((n + 1))
  done
  [ $n -ge 10 ] || fail "only $n URLs tried"
done
# verify checks the export's own index too: a wrong offset is found
sed '1s/"offset":"[0-9]*"/"offset":"1"/' "$work/x/all.warc.gz.cdxj" > "$work/bad.cdxj"
mkdir "$work/vb" && cp "$work/x/all.warc.gz" "$work/vb/" && cp "$work/bad.cdxj" "$work/vb/all.warc.gz.cdxj"
set +e
"$bin" verify "$work/vb" > "$work/v.txt" 2>&1; rc=$?
set -e
[ $rc = 65 ] && grep -q "not the start of a readable frame" "$work/v.txt" || fail "verify missed a bad .cdxj line ($rc)"

# selection by URL prefix: exactly the source's exchanges of that prefix
"$bin" ls "$work/a" > "$work/ls.a"
prefix=$(awk '$2 == "response" && $5 ~ /\.html/ {print $5; exit}' "$work/ls.a" | grep -oE '^http://[^/]+/')
[ -n "$prefix" ] || fail "no prefix"
"$bin" export "$work/a" "$work/x/part.warc.gz" --url-prefix "$prefix" -q || fail "export --url-prefix"
mkdir "$work/q" && mv "$work/x/part.warc.gz"* "$work/q/"
"$bin" ls "$work/q" > "$work/ls.q"
awk -v p="$prefix" '($2 == "request" || $2 == "response" || $2 == "revisit") && index($5, p) == 1' "$work/ls.a" > "$work/want"
awk '$2 == "request" || $2 == "response" || $2 == "revisit"' "$work/ls.q" > "$work/got"
[ -s "$work/want" ] && cmp -s "$work/want" "$work/got" || fail "--url-prefix $prefix: exchanges differ"
# a warcinfo for each source segment that gave records (the demo's second
# run serves its sites on other ports: one segment here)
n_seg=0
for s in "$work/a"/*.warc.zst; do
  mkdir -p "$work/one" && rm -f "$work/one"/* && cp "$s" "$work/one/"
  if [ "$("$bin" ls "$work/one" | awk -v p="$prefix" 'index($5, p) == 1' | wc -l)" -gt 0 ]; then
    n_seg=$((n_seg + 1))
  fi
done
[ "$(awk '$2 == "warcinfo"' "$work/ls.q" | wc -l)" = "$n_seg" ] || fail "--url-prefix: not one warcinfo per source segment ($n_seg)"
[ "$(head -1 "$work/ls.q" | awk '{print $2}')" = warcinfo ] || fail "--url-prefix: warcinfo first"
n_meta=$(awk '$2 == "metadata"' "$work/ls.q" | wc -l)
n_resp=$(awk -v p="$prefix" '$2 == "response" && $5 ~ /\.html/ && index($5, p) == 1' "$work/ls.a" | wc -l)
[ "$n_meta" -ge "$n_resp" ] || fail "--url-prefix: $n_meta metadata records for $n_resp pages"
"$bin" verify "$work/q" > /dev/null 2>&1 || fail "verify of the partial export"
"$bin" dedup-report "$work/q" > /dev/null || fail "dedup-report over the partial export"
# by time: nothing before 2000, nothing after 2999
"$bin" export "$work/a" "$work/x/none.warc.gz" --until 1999 > "$work/none.txt" || fail "export --until"
grep -q ": 0 of " "$work/none.txt" || fail "--until 1999 kept records: $(cat "$work/none.txt")"
"$bin" export "$work/a" "$work/x/none2.warc.gz" --since 2999-01-01T00:00:00Z -q || fail "export --since ISO"
[ ! -s "$work/x/none2.warc.gz" ] || fail "--since 2999 kept records"
"$bin" export "$work/a" "$work/x/some.warc.gz" --since 2000 --until 2998 -q || fail "export --since --until"
cmp -s "$work/x/some.warc.gz" "$work/x/all.warc.gz" || fail "--since 2000 --until 2998 is not everything"

# progress: a line redrawn on a terminal, nothing on a pipe
"$bin" export "$work/a" "$work/x/p.warc.gz" 2> "$work/p.err" > /dev/null || fail "export to a pipe"
[ ! -s "$work/p.err" ] || fail "progress written to a pipe: $(cat "$work/p.err")"
if command -v script > /dev/null; then
  script -qec "'$bin' export '$work/a' '$work/x/p.warc.gz'" /dev/null > "$work/p.tty" || fail "export on a terminal"
  grep -aq 'export: [0-9]* records, .* MB/s' "$work/p.tty" || fail "no progress line on a terminal"
  script -qec "'$bin' export -q '$work/a' '$work/x/p.warc.gz'" /dev/null > "$work/p.tty" || fail "export -q"
  [ ! -s "$work/p.tty" ] || fail "export -q printed: $(cat "$work/p.tty")"
fi

# WACZ
"$bin" export --wacz "$work/a" "$work/x/all.wacz" > "$work/wacz.txt" || fail "export --wacz exit $?"
grep -qE '[0-9]+ pages' "$work/wacz.txt" || fail "wacz summary: $(cat "$work/wacz.txt")"
python3 - "$work/x/all.wacz" "$work/x/all.warc.gz" "$work/x/all.warc.gz.cdxj" "$work/a" <<'EOF' || fail "WACZ check"
import gzip, hashlib, json, os, sys, zipfile, re
wacz, warcgz, cdxj, src = sys.argv[1:5]
z = zipfile.ZipFile(wacz)
assert z.testzip() is None, "CRC"
names = [i.filename for i in z.infolist()]
want = ["archive/data.warc.gz", "indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl",
        "datapackage.json", "datapackage-digest.json"]
assert names == want, names
raw = open(wacz, "rb").read()
for i in z.infolist():
    assert i.compress_type == zipfile.ZIP_STORED, (i.filename, i.compress_type)
    # the local header's extra field as long as the central one: ReplayWeb.page
    # finds the data with the central length when that is 0
    lh = raw[i.header_offset:i.header_offset + 30]
    assert lh[:4] == b"PK\x03\x04", i.filename
    local_extra = int.from_bytes(lh[28:30], "little")
    assert local_extra == len(i.extra), (i.filename, local_extra, len(i.extra))
dp = json.loads(z.read("datapackage.json"))
assert dp["profile"] == "data-package" and dp["wacz_version"] == "1.1.1", dp
assert [r["path"] for r in dp["resources"]] == want[:4], dp["resources"]
for r in dp["resources"]:
    data = z.read(r["path"])
    assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), r
    assert r["bytes"] == len(data) and r["name"] == os.path.basename(r["path"]), r
dg = json.loads(z.read("datapackage-digest.json"))
assert dg == {"path": "datapackage.json",
              "hash": "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()}, dg
assert z.read("archive/data.warc.gz") == open(warcgz, "rb").read(), "data.warc.gz != the .warc.gz export"
# the ZipNum index: members of sorted lines, the .idx naming each member
cdx = z.read("indexes/index.cdx.gz")
lines = gzip.decompress(cdx).decode().splitlines()
# the .cdxj's lines but the conversion records' (ReplayWeb.page would take
# them for the page: same URL, same time)
gz = open(warcgz, "rb").read()
def rtype(l):
    j = json.loads(l.split(" ", 2)[2])
    rec = gzip.decompress(gz[int(j["offset"]):int(j["offset"]) + int(j["length"])])
    return re.search(rb"\r\nWARC-Type: (\w+)\r\n", rec).group(1).decode()
all_lines = open(cdxj).read().splitlines()
ours = [l.replace('"filename":"all.warc.gz"', '"filename":"data.warc.gz"')
        for l in all_lines if rtype(l) != "conversion"]
assert len(ours) < len(all_lines), "no conversion record in the .cdxj?"
assert lines == ours, "index.cdx.gz != the .cdxj without conversions"
idx = z.read("indexes/index.idx").decode().splitlines()
assert idx[0].startswith("!meta 0 {") and json.loads(idx[0][8:])["format"] == "cdxj-gzip-1.0", idx[0]
for l in idx[1:]:
    key, js = l.split(" {", 1)
    e = json.loads("{" + js)
    block = gzip.decompress(cdx[e["offset"]:e["offset"] + e["length"]]).decode().splitlines()
    assert " ".join(block[0].split(" ")[:2]) == key, (key, block[0])
# pages: the header, then one line per article page with the feed item's title
pages = z.read("pages/pages.jsonl").decode().splitlines()
assert json.loads(pages[0]) == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}, pages[0]
ps = [json.loads(p) for p in pages[1:]]
assert len(ps) >= 20, len(ps)
for p in ps:
    assert p["url"].startswith("http://") and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", p["ts"]), p
    assert p.get("title") and " | " not in p["title"], p  # the feed's title, not the page's <title>
assert len({p["id"] for p in ps}) == len(ps), "page ids repeat"
print("wacz ok", len(ps), "pages")
EOF

# failures
set +e
"$bin" export "$work/a" > /dev/null 2>&1; [ $? = 64 ] || fail "usage"
"$bin" export "$work/a" "$work/x/y.warc.gz" --since 20x > /dev/null 2>&1; [ $? = 64 ] || fail "bad --since"
"$bin" export "$work/nope" "$work/x/y.warc.gz" > /dev/null 2>&1; [ $? = 66 ] || fail "missing DIR"
"$bin" export "$work/a" "$work/nope/y.warc.gz" > /dev/null 2>&1; rc=$?
[ $rc = 73 ] || fail "unwritable OUT exits $rc"
mkdir "$work/c" && cp "$work/a"/*.warc.zst "$work/c/"
seg=$(ls "$work/c"/*.warc.zst | head -1)
size=$(stat -c %s "$seg")
truncate -s $((size - 100)) "$seg"
"$bin" export "$work/c" "$work/x/c.warc.gz" > /dev/null 2> "$work/c.err"; rc=$?
set -e
[ $rc = 65 ] || fail "corrupt segment exits $rc: $(cat "$work/c.err")"
[ ! -e "$work/x/c.warc.gz" ] && [ ! -e "$work/x/c.warc.gz.tmp" ] || fail "a failed export left files"
# a damaged .warc.gz: verify names the member; the scan goes on after it
mkdir "$work/d"
cp "$work/x/all.warc.gz" "$work/d/"
size=$(stat -c %s "$work/d/all.warc.gz")
printf 'XXXXXXXX' | dd of="$work/d/all.warc.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
set +e
"$bin" verify "$work/d" > "$work/v.txt" 2>&1; rc=$?
set -e
[ $rc = 65 ] || fail "verify of a damaged .warc.gz exits $rc"
grep -qE "gzip member|does not inflate|not a gzip member" "$work/v.txt" || { cat "$work/v.txt"; fail "verify: no gzip fault named"; }
n_ok=$(grep -o '[0-9]* records' "$work/v.txt" | grep -o '[0-9]*')
[ "$n_ok" -ge $((n_records - 3)) ] || fail "verify stopped at the damage: $n_ok of $n_records records read"
truncate -s $((size - 10)) "$work/x/all.warc.gz"
mkdir "$work/t" && mv "$work/x/all.warc.gz" "$work/t/"
set +e
"$bin" ls "$work/t" > /dev/null 2> "$work/t.err"; rc=$?
set -e
[ $rc = 65 ] && grep -q "truncated" "$work/t.err" || fail "ls of a truncated .warc.gz: $rc $(cat "$work/t.err")"
echo "OK export: $(cat "$work/export.txt")"
