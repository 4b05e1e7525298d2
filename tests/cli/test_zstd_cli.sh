#!/usr/bin/env bash
# test_zstd_cli.sh FEEDARC SOURCE_DIR - reading segments with the zstd
# command line exactly as README.md says (issue 11): a segment written with
# a dictionary (storage.dictionary: auto from the second run on, or a file)
# is self-contained - its dictionary is in its first (skippable) frame - but
# plain `zstd -d` cannot use it ("Dictionary mismatch"); the README's
# commands extract it first.  Each command line run here is also checked to
# be in README.md word for word.
set -u
bin=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d /tmp/feedarc-zstd-XXXXXX)
sites=
trap '[ -n "$sites" ] && kill "$sites" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
command -v zstd >/dev/null || { echo "skip: no zstd"; exit 77; }
readme="$src/README.md"
in_readme() { grep -qxF -- "$1" "$readme" && ok "README says: $1" || bad "README lacks the line: $1"; }

"$bin" demo --serve --out "$tmp/sites" --sites 2 --articles 10 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL the sample sites did not start"; cat "$tmp/sites.log"; exit 1; }
for x in plain dict; do
  sed -e "s|^  dir: .*|  dir: $tmp/$x|" -e "s|^  state_dir: .*|  state_dir: $tmp/$x-state|" \
      "$tmp/sites/feedarc-demo.yaml" > "$tmp/$x.yaml"
done
"$bin" once -q -c "$tmp/plain.yaml" >"$tmp/out" 2>&1 || { bad "first run"; cat "$tmp/out"; }
"$bin" dict-train "$tmp/plain" "$tmp/trained.zdict" --records 200 >"$tmp/out" 2>&1 \
  || { bad "dict-train"; cat "$tmp/out"; }
# the second archive: the same pages, with that dictionary
sed -i "s|^storage:|storage:\n  dictionary: $tmp/trained.zdict|" "$tmp/dict.yaml"
"$bin" once -q -c "$tmp/dict.yaml" >"$tmp/out" 2>&1 || { bad "run with a dictionary"; cat "$tmp/out"; }

mkdir -p "$tmp/work" && cd "$tmp/work" || exit 1
ln -s "$tmp/dict" archive
SEG=$(ls archive/*.warc.zst | head -1)
records=$(ls archive/*.warc.zst | wc -l)
[ "$records" -ge 1 ] && ok "$records dictionary segment(s)" || bad "no segment"

# what plain zstd does with a dictionary segment, as README says
zstd -dc "$SEG" >/dev/null 2>"$tmp/plain.err" && bad "plain zstd -d read a dictionary segment?" \
  || { grep -q "Dictionary mismatch" "$tmp/plain.err" && ok "plain zstd -d: Dictionary mismatch" \
       || { bad "plain zstd -d failed otherwise"; cat "$tmp/plain.err"; }; }
grep -q 'Dictionary mismatch' "$readme" && ok "README names the error" || bad "README does not name the error"
grep -q 'with plain `zstd -d` and any WARC tool' "$readme" \
  && bad "README still says plain zstd -d reads segments" || ok "README no longer says plain zstd -d reads every segment"

# one segment, exactly as README.md says
line1='feedarc dict-extract SEG.warc.zst seg.zdict && zstd -dc -D seg.zdict SEG.warc.zst > SEG.warc'
in_readme "$line1"
cp "$SEG" SEG.warc.zst
PATH="$(dirname "$bin"):$PATH" bash -c "$line1" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 0 ] && ok "that command line (exit 0)" || { bad "exit $rc"; cat "$tmp/err"; }
n=$(grep -ac '^WARC/1.1' SEG.warc)
[ "$n" -gt 2 ] && ok "SEG.warc holds $n records" || bad "SEG.warc holds $n records"
grep -aq '^WARC-Type: warcinfo' SEG.warc && grep -aq '^WARC-Type: response' SEG.warc \
  && ok "warcinfo and responses in SEG.warc" || bad "records missing from SEG.warc"

# a whole archive of either kind, exactly as README.md says
loop=$(sed -n '/^for s in archive\/\*.warc.zst; do$/,/^done > all.warc$/p' "$readme")
[ -n "$loop" ] && ok "README has the loop over an archive" || bad "README has no loop over an archive"
for x in dict plain; do
  rm -f archive all.warc && ln -s "$tmp/$x" archive
  PATH="$(dirname "$bin"):$PATH" bash -c "$loop" 2>"$tmp/err"; rc=$?
  want=0
  for s in archive/*.warc.zst; do
    want=$((want + $(zstd -dc -D "$tmp/trained.zdict" "$s" 2>/dev/null | grep -ac '^WARC/1.1' || true)))
  done
  [ "$x" = plain ] && want=$(zstd -dc archive/*.warc.zst | grep -ac '^WARC/1.1')
  got=$(grep -ac '^WARC/1.1' all.warc)
  [ "$rc" -eq 0 ] && [ "$got" -eq "$want" ] && [ "$got" -gt 0 ] \
    && ok "the loop over the $x archive: $got records" || { bad "the loop over the $x archive: exit $rc, $got records, want $want"; head -3 "$tmp/err"; }
done

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
