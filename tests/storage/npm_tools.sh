# npm_tools.sh - sourced by the export tests: installs the independent tools
# they check feedarc's output with, once, into a folder of the build tree,
# from the npm registry (the tests exit 77 = skipped when that fails).
#   npm_tools_install DIR    warcio (Webrecorder's warcio.js) and
#                            puppeteer-core (drives a browser; downloads none)
#   npm_tools_replayweb DIR  ReplayWeb.page's static app (index.html, sw.js,
#                            ui.js) in DIR/replaywebpage: unpacked from the
#                            package tarball (`npm pack`), since the app is
#                            prebuilt and needs none of its dependencies
# Both are serialised with flock (ctest -j runs the tests in parallel).
WARCIO_VERSION=2.4.11
PUPPETEER_VERSION=25.16.0
REPLAYWEB_VERSION=2.5.3

npm_tools_install() {
  local dir=$1
  for t in node npm flock; do
    command -v "$t" > /dev/null || { echo "SKIP: $t is not installed"; exit 77; }
  done
  mkdir -p "$dir"
  flock "$dir/.lock" bash -c '
    dir=$1
    [ -f "$dir/node_modules/warcio/package.json" ] && [ -f "$dir/node_modules/puppeteer-core/package.json" ] && exit 0
    echo "installing warcio@$2 puppeteer-core@$3 into $dir" >&2
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$dir" --no-audit --no-fund --no-save \
      "warcio@$2" "puppeteer-core@$3" > "$dir/install.log" 2>&1' _ "$dir" "$WARCIO_VERSION" "$PUPPETEER_VERSION" ||
    { echo "SKIP: npm install failed (no registry access?); see $dir/install.log"; exit 77; }
}

npm_tools_replayweb() {
  local dir=$1
  mkdir -p "$dir"
  flock "$dir/.lock" bash -c '
    dir=$1
    [ -f "$dir/replaywebpage/sw.js" ] && exit 0
    echo "fetching replaywebpage@$2 into $dir/replaywebpage" >&2
    tmp=$(mktemp -d "$dir/rwp-XXXXXX")
    (cd "$tmp" && npm pack "replaywebpage@$2" > pack.log 2>&1 && tar xzf replaywebpage-*.tgz) &&
      rm -rf "$dir/replaywebpage" && mv "$tmp/package" "$dir/replaywebpage"
    rc=$?
    cp "$tmp/pack.log" "$dir/replaywebpage-pack.log" 2>/dev/null
    rm -rf "$tmp"
    exit $rc' _ "$dir" "$REPLAYWEB_VERSION" ||
    { echo "SKIP: npm pack replaywebpage failed (no registry access?); see $dir/replaywebpage-pack.log"; exit 77; }
}
