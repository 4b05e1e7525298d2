#!/usr/bin/env bash
# test_zstd_cli.sh FEEDARC SOURCE_DIR - reading segments with the zstd
# command line exactly as README.md says (issue 11): a segment written with
# a dictionary (storage.dictionary: auto from the second run on, or a file)
# is self-contained - its dictionary is in its first (skippable) frame - but
# plain `zstd -d` cannot use it ("Dictionary mismatch"); the README's
# commands extract it first.  Each command line run here is also checked to
# be in README.md word for word.  Last, dictionary_trained_while_serving: a
# first `serve` gets its dictionary after 250 records without stopping, and
# the segments after it carry it and read back by the README's loop.
set -u
bin=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d /tmp/feedarc-zstd-XXXXXX)
sites= serve=
trap '[ -n "$serve" ] && kill -9 "$serve" 2>/dev/null; [ -n "$sites" ] && kill "$sites" 2>/dev/null; rm -rf "$tmp"' EXIT
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

# ---- dictionary_trained_while_serving ----
# A first run under `serve` (storage.dictionary: auto, no dictionary yet):
# the segment writer trains a dictionary after its first 250 records while
# serve keeps running - it used to wait for the run's end, which a serve
# that is never reloaded never reaches - and every segment from then on
# carries it; the README's loop reads the whole archive.
cd "$tmp" || exit 1
kill "$sites" 2>/dev/null; wait "$sites" 2>/dev/null
"$bin" demo --serve --out "$tmp/big" --sites 5 --articles 40 >"$tmp/big.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/big/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/big/urls.txt" ] || { echo "FAIL the sample sites did not start"; cat "$tmp/big.log"; exit 1; }
sed -e "s|^  dir: .*|  dir: $tmp/served|" -e "s|^  state_dir: .*|  state_dir: $tmp/served-state|" \
    -e "s|^sources:|metrics: { listen: none }\nservice: { grace_period: 2s }\nsources:|" \
    "$tmp/big/feedarc-demo.yaml" > "$tmp/served.yaml"
"$bin" serve -c "$tmp/served.yaml" >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve=$!
# the first poll fetches every page; wait until it is over (the archive
# unchanged for 2 s after the switch to the dictionary, or for 10 s: writers wait
# while the dictionary is trained)
prev=-1 still=0 trained=
for _ in $(seq 60); do
  sleep 2
  trained=$(grep -o 'dictionary ([0-9]*) trained in [0-9.]* s on the first [0-9]* records' "$tmp/serve.log")
  n=$(cat "$tmp/served"/*.warc.zst* 2>/dev/null | wc -c)   # the .open segment too
  if [ "$n" -gt 0 ] && [ "$n" -eq "$prev" ]; then still=$((still + 1)); else still=0; fi
  { [ "$still" -ge 1 ] && [ -n "$trained" ]; } || [ "$still" -ge 5 ] && break
  prev=$n
done
alive=no; kill -0 "$serve" 2>/dev/null && alive=yes
kill -TERM "$serve" 2>/dev/null; wait "$serve"; rc=$?; serve=
[ -n "$trained" ] && [ "$alive" = yes ] && ok "serve trained a dictionary while running: $trained" \
  || { bad "no dictionary trained while serve ran (alive: $alive)"; grep -m3 'comp=warc' "$tmp/serve.log"; }
[ "$rc" -eq 0 ] && ok "serve: SIGTERM, exit 0" || bad "serve: exit $rc"
id=$(echo "$trained" | sed -n 's/^dictionary (\([0-9]*\)).*/\1/p')
segs=$(ls "$tmp/served"/*.warc.zst 2>/dev/null | wc -l) with=0 without=0 wrong=0
for s in "$tmp/served"/*.warc.zst; do
  if "$bin" dict-extract "$s" "$tmp/x.zdict" 2>/dev/null; then
    with=$((with + 1))
    got=$(od -An -tu4 -j4 -N4 "$tmp/x.zdict" | tr -d ' ')
    [ "$got" = "$id" ] || wrong=$((wrong + 1))
  else
    without=$((without + 1))
  fi
done
[ "$without" -eq 1 ] && [ "$with" -ge 1 ] && [ "$wrong" -eq 0 ] \
  && ok "$segs segments: the first without a dictionary, the $with after it carry dictionary $id" \
  || bad "$segs segments: $without without a dictionary, $with with ($wrong not dictionary $id)"
rm -rf "$tmp/work2" && mkdir -p "$tmp/work2" && cd "$tmp/work2" || exit 1
ln -s "$tmp/served" archive
PATH="$(dirname "$bin"):$PATH" bash -c "$loop" 2>"$tmp/err"; rc=$?
want=$("$bin" ls "$tmp/served" | wc -l)
got=$(grep -ac '^WARC/1.1' all.warc)
[ "$rc" -eq 0 ] && [ "$got" -eq "$want" ] && [ "$got" -gt 500 ] \
  && ok "README's loop over the served archive: $got records, as many as feedarc ls lists" \
  || { bad "README's loop over the served archive: exit $rc, $got records, feedarc ls $want"; head -3 "$tmp/err"; }
responses=$(grep -ac '^WARC-Type: response' all.warc)
pages=$(grep -c . "$tmp/big/urls.txt")
[ "$responses" -ge "$pages" ] && ok "all.warc: $responses responses for $pages listed URLs" \
  || bad "all.warc: $responses responses for $pages listed URLs"

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
