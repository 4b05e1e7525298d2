#!/usr/bin/env bash
# export_warcio.sh - a .warc.gz written by `feedarc export` read by
# Webrecorder's warcio.js (npm, installed into NPM_DIR on first use; 77 =
# skipped without node/npm or registry access):
#   - warcio reads every record; every digest agrees (warcio_export.cjs);
#   - `warcio cdx-index OUT.warc.gz` prints exactly the lines of feedarc's
#     OUT.warc.gz.cdxj (sorted: warcio prints them in file order).
# usage: export_warcio.sh FEEDARC_BIN NPM_DIR
set -euo pipefail
bin=$1
npm_dir=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=npm_tools.sh
. "$here/npm_tools.sh"
npm_tools_install "$npm_dir"
work=$(mktemp -d /tmp/fa-export-warcio-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo --out "$work/a" --quiet >/dev/null 2>&1 || fail "demo crawl"
"$bin" demo --out "$work/a" --quiet >/dev/null 2>&1 || fail "second demo crawl"
mkdir "$work/x"
"$bin" export "$work/a" "$work/x/all.warc.gz" -q || fail "export"
node "$here/warcio_export.cjs" "$npm_dir" "$work/x/all.warc.gz" | tee "$work/check.txt"
grep -q '^OK ' "$work/check.txt" || fail "warcio.js disagrees"
warcio=$npm_dir/node_modules/warcio/dist/cli.js
(cd "$work/x" && node "$warcio" cdx-index all.warc.gz) | LC_ALL=C sort > "$work/warcio.cdxj"
[ -s "$work/warcio.cdxj" ] || fail "warcio cdx-index printed nothing"
if ! cmp -s "$work/warcio.cdxj" "$work/x/all.warc.gz.cdxj"; then
  diff "$work/warcio.cdxj" "$work/x/all.warc.gz.cdxj" | head -6
  fail "warcio cdx-index and feedarc's .cdxj differ"
fi
# a partial export too (its own offsets)
"$bin" export "$work/a" "$work/x/part.warc.gz" -q \
  --url-prefix "$("$bin" ls "$work/a" | awk '$2 == "response" {print $5; exit}' | grep -oE '^http://[^/]+/')" ||
  fail "export --url-prefix"
node "$here/warcio_export.cjs" "$npm_dir" "$work/x/part.warc.gz" | grep -q '^OK ' || fail "warcio.js on the partial export"
(cd "$work/x" && node "$warcio" cdx-index part.warc.gz) | LC_ALL=C sort | cmp -s - "$work/x/part.warc.gz.cdxj" ||
  fail "warcio cdx-index and feedarc's .cdxj differ (partial export)"
echo "OK warcio $(node -p "require('$npm_dir/node_modules/warcio/package.json').version"): $(wc -l < "$work/warcio.cdxj") CDXJ lines identical"
