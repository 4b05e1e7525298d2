#!/usr/bin/env bash
# cli_archive.sh - feedarc ls / get / verify / index / dict-extract end to
# end on a real archive written by the crawler (feedarc demo), and verify
# catching a flipped byte, a truncated frame and a bad digest.
# usage: cli_archive.sh FEEDARC_BIN
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/fa-cli-archive-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo --out "$work/a" --quiet >/dev/null 2>&1 || fail "demo crawl"
seg=$(ls "$work/a"/*.warc.zst | head -1)
[ -s "$seg.cdxj" ] || fail "no index next to $seg"

# ls: one line per record, the same count as the WARC-Type lines
"$bin" ls "$work/a" > "$work/ls.txt" || fail "ls exit $?"
n_ls=$(wc -l < "$work/ls.txt")
n_zstd=$(zstd -dc "$work/a"/*.warc.zst | grep -ac '^WARC-Type: ')
[ "$n_ls" = "$n_zstd" ] || fail "ls lists $n_ls records, zstd -d shows $n_zstd"
grep -qE '^[0-9]{14} response 200 [0-9]+ http://' "$work/ls.txt" || fail "ls line format"

# verify: clean
"$bin" verify "$work/a" > "$work/v.txt" || { cat "$work/v.txt"; fail "verify of a good archive"; }
grep -q ' 0 faults$' "$work/v.txt" || fail "verify summary"

# index: merged file, sorted, as many lines as the segment indexes
"$bin" index "$work/a" > /dev/null || fail "index"
LC_ALL=C sort -c "$work/a/index.cdxj" || fail "index.cdxj not sorted"
[ "$(cat "$work/a"/*.warc.zst.cdxj | wc -l)" = "$(wc -l < "$work/a/index.cdxj")" ] || fail "merge count"

# get: a page, the same bytes as the response body in the WARC
url=$(grep -o '"url":"[^"]*\.html"' "$work/a/index.cdxj" | head -1 | cut -d'"' -f4)
[ -n "$url" ] || fail "no page in the index"
"$bin" get "$work/a" "$url" > "$work/page.html" || fail "get $url"
grep -q '</html>' "$work/page.html" || fail "get: not the page"
"$bin" get "$work/a" "$url" --at 19990101000000 > "$work/page2.html" || fail "get --at"
cmp -s "$work/page.html" "$work/page2.html" || fail "get --at: another capture"
set +e
"$bin" get "$work/a" "http://nowhere.example/" > /dev/null 2>&1; rc=$?
set -e
[ $rc = 1 ] || fail "get of an unknown URL exits $rc, want 1"

# dict-extract on a segment without dictionary: 65
set +e
"$bin" dict-extract "$seg" "$work/x.zdict" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "dict-extract without a dictionary exits $rc"
# dict-train on the archive
"$bin" dict-train "$work/a" "$work/d.zdict" --size 16384 --records 60 2>/dev/null || fail "dict-train"
[ -s "$work/d.zdict" ] || fail "dict-train wrote nothing"

# faults: a flipped byte in the middle of a response frame
bad() { rm -rf "$work/b"; mkdir "$work/b"; cp "$seg" "$seg.cdxj" "$work/b/"; echo "$work/b/$(basename "$seg")"; }
off=$(grep -o '"offset":"[0-9]*"' "$seg.cdxj" | sed -n 3p | grep -o '[0-9]*')
len=$(grep -o '"length":"[0-9]*"' "$seg.cdxj" | sed -n 3p | grep -o '[0-9]*')
b=$(bad)
pos=$((off + len / 2))
byte=$(dd if="$b" bs=1 skip=$pos count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$b" bs=1 seek=$pos conv=notrunc 2>/dev/null
set +e
"$bin" verify "$work/b" > "$work/v.txt"; rc=$?
set -e
[ $rc = 65 ] || fail "verify of a flipped byte exits $rc"
grep -q "$(basename "$b"): offset $off: " "$work/v.txt" || { cat "$work/v.txt"; fail "flipped byte not reported at offset $off"; }

# a truncated last frame
b=$(bad)
size=$(stat -c %s "$b")
truncate -s $((size - 7)) "$b"
set +e
"$bin" verify "$work/b" > "$work/v.txt"; rc=$?
set -e
[ $rc = 65 ] || fail "verify of a truncated frame exits $rc"
grep -q "truncated" "$work/v.txt" || { cat "$work/v.txt"; fail "truncation not reported"; }

# a bad digest: one byte of a page changed, recompressed (one frame)
rm -rf "$work/b"; mkdir "$work/b"
zstd -q -dc "$seg" | sed '0,/<\/html>/s//<\/HTML>/' | zstd -q -o "$work/b/edited.warc.zst"
set +e
"$bin" verify "$work/b" > "$work/v.txt" 2>/dev/null; rc=$?
set -e
[ $rc = 65 ] || fail "verify of a bad digest exits $rc"
grep -q "Digest is sha1:" "$work/v.txt" || { cat "$work/v.txt"; fail "bad digest not reported"; }
echo "OK: ls $n_ls records, get, index, verify (clean, flipped byte, truncated frame, bad digest)"
