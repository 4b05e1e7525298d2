#!/usr/bin/env bash
# export_replay.sh - a WACZ written by `feedarc export --wacz` opened by
# ReplayWeb.page in a real browser: Debian's chromium, headless, driven by
# puppeteer-core; the replayed article must show its title and first
# paragraph (from the conversion record feedarc wrote for it: the page's own
# text).  The screenshot of the replay is kept in ARTIFACTS/replay.png.
# Exit 77 (skipped), saying why, without chromium, node/npm or registry
# access.  usage: export_replay.sh FEEDARC_BIN NPM_DIR ARTIFACTS
set -euo pipefail
bin=$1
npm_dir=$(realpath -m "$2")
artifacts=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] ||
  { echo "SKIP: /usr/bin/chromium is not installed (apt-get install chromium; see deploy/debian-packages.txt)"; exit 77; }
# shellcheck source=npm_tools.sh
. "$here/npm_tools.sh"
npm_tools_install "$npm_dir"
npm_tools_replayweb "$npm_dir"
work=$(mktemp -d /tmp/fa-export-replay-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo --out "$work/a" --quiet >/dev/null 2>&1 || fail "demo crawl"
"$bin" export --wacz "$work/a" "$work/archive.wacz" -q || fail "export --wacz"
# the first article page of the package, and what it says
unzip_page() {
  python3 - "$work/archive.wacz" <<'PY'
import json, sys, zipfile
pages = zipfile.ZipFile(sys.argv[1]).read("pages/pages.jsonl").decode().splitlines()
print(json.loads(pages[1])["url"])
PY
}
url=$(unzip_page) || fail "no page in pages.jsonl"
"$bin" text "$work/a" "$url" > "$work/text.json" || fail "feedarc text $url"
title=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"].split("\n")[0])' "$work/text.json")
para=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"].split("\n")[1])' "$work/text.json")
[ -n "$title" ] && [ ${#para} -gt 40 ] || fail "no title or first paragraph for $url"
mkdir -p "$artifacts"
rm -f "$artifacts/replay.png"
node "$here/replay_check.cjs" "$npm_dir" "$npm_dir/replaywebpage" "$work/archive.wacz" "$url" \
  "$title" "$para" "$artifacts/replay.png" | tee "$work/replay.txt"
grep -q '^OK ' "$work/replay.txt" || fail "ReplayWeb.page did not show the article"
[ -s "$artifacts/replay.png" ] || fail "no screenshot"
echo "OK ReplayWeb.page $(node -p "require('$npm_dir/replaywebpage/package.json').version"), puppeteer-core $(node -p "require('$npm_dir/node_modules/puppeteer-core/package.json').version")"
