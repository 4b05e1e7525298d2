#!/usr/bin/env bash
# test_kill9.sh FEEDARC [KILLS] - kill -9 a real crawl at random moments,
# KILLS times (default 20), then let one run finish: every page must be
# archived exactly once, no .open segment may remain, and every segment
# must decompress.  The sample sites answer 25 ms late so each crawl takes
# a few seconds and the kills land in the middle of fetching and writing.
set -u
bin=$(realpath "$1") kills=${2:-20}
tmp=$(mktemp -d /tmp/feedarc-kill9-XXXXXX)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$bin" demo --serve --out "$tmp/sites" --sites 4 --articles 40 --delay 25 >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL: sample sites did not start"; exit 1; }
sed -e "s|^  dir: .*|  dir: $tmp/archive|" -e "s|^  state_dir: .*|  state_dir: $tmp/state|" \
    "$tmp/sites/feedarc-demo.yaml" > "$tmp/crawl.yaml"

for i in $(seq "$kills"); do
  "$bin" once -c "$tmp/crawl.yaml" >/dev/null 2>>"$tmp/runs.log" &
  pid=$!
  sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
"$bin" once -c "$tmp/crawl.yaml" > "$tmp/final.out" 2>>"$tmp/runs.log"
rc=$?
fails=0
[ "$rc" -eq 0 ] || { echo "FAIL: the final run exited $rc"; cat "$tmp/final.out"; tail -20 "$tmp/runs.log"; fails=1; }
if ls "$tmp/archive"/*.open >/dev/null 2>&1; then echo "FAIL: .open segments left"; fails=1; fi
: > "$tmp/all.warc"
for f in "$tmp/archive"/*.warc.zst; do
  # (issue 14) a first run writes with a dictionary after 250 records
  if "$bin" dict-extract "$f" "$tmp/seg.zdict" >/dev/null 2>&1; then d=(-D "$tmp/seg.zdict"); else d=(); fi
  zstd -q -dc "${d[@]}" "$f" >> "$tmp/all.warc" || { echo "FAIL: $f does not decompress"; fails=1; }
done
# response target URIs, one per line
# (an exact duplicate is archived as a revisit record: it counts as archived)
awk '/^WARC-Type: /{t=$2} /^WARC-Target-URI: /{if (t ~ /^(response|revisit)/) print $2}' "$tmp/all.warc" \
  | tr -d '\r' | sort > "$tmp/responses.txt"
# urls.txt lists the feeds first (as many as the config's sources), then pages
feeds=$(grep -c '^ *url: ' "$tmp/crawl.yaml")
pages=0 missing=0 dup=0 line=0
while read -r url; do
  line=$((line + 1))
  [ "$line" -le "$feeds" ] && continue
  pages=$((pages + 1))
  n=$(grep -cxF "$url" "$tmp/responses.txt")
  if [ "$n" -eq 0 ]; then missing=$((missing + 1)); echo "missing: $url"; fi
  if [ "$n" -gt 1 ]; then dup=$((dup + 1)); echo "archived $n times: $url"; fi
done < "$tmp/sites/urls.txt"
# feedarc verify: every frame, record, digest and index offset
"$bin" verify "$tmp/archive" > "$tmp/verify.out" 2>&1 || { echo "FAIL: feedarc verify"; tail -5 "$tmp/verify.out"; fails=1; }
# the state matches the segments: a third run finds every page archived and fetches none
"$bin" once -c "$tmp/crawl.yaml" > "$tmp/again.out" 2>>"$tmp/runs.log"
grep -Eq '^pages: +0 archived' "$tmp/again.out" || { echo "FAIL: the state missed pages:"; grep '^pages' "$tmp/again.out"; fails=1; }
# every revisit refers to a record the archive really holds
awk '/^WARC-Record-ID: /{print $2}' "$tmp/all.warc" | tr -d '\r' | sort -u > "$tmp/ids.txt"
awk '/^WARC-Refers-To: /{print $2}' "$tmp/all.warc" | tr -d '\r' | sort -u > "$tmp/refs.txt"
dangling=$(comm -13 "$tmp/ids.txt" "$tmp/refs.txt" | wc -l)
[ "$dangling" -eq 0 ] || { echo "FAIL: $dangling WARC-Refers-To name no record in the archive"; fails=1; }
segments=$(ls "$tmp/archive"/*.warc.zst | wc -l)
echo "$kills kills; $(grep -c 'recovered ' "$tmp/runs.log") segments recovered at start-up;" \
     "$segments segments; $pages pages: $missing missing, $dup archived more than once"
[ "$missing" -eq 0 ] && [ "$dup" -eq 0 ] && [ "$fails" -eq 0 ] && [ "$pages" -gt 100 ]
