#!/usr/bin/env bash
# test_serve_memory.sh FEEDARC - a serve gives back what a run freed.
# A first run under serve trains its dictionary (storage.dictionary: auto),
# its large sample buffers freed at the reload; glibc then raised its mmap
# and trim thresholds to their size, so every later run's large blocks came
# from the heap and stayed resident when freed (the soak's RSS crept up with
# each reload).  Here: serve a crawl big enough to train, reload four
# times, and the anonymous memory after the reloads must be well below what
# it was before the first one (the samples are gone: below 90 %), not above.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-servemem-XXXXXX)
sites= serve=
cleanup() {
  [ -n "$serve" ] && kill -9 "$serve" 2>/dev/null
  [ -n "$sites" ] && kill "$sites" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
if ldd "$bin" | grep -q libasan; then echo "skip: RSS says nothing under ASan"; exit 77; fi
"$bin" demo --serve --out "$tmp/sites" --sites 5 --articles 40 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL the sample sites did not start"; exit 1; }
sed -e "s|^  dir: .*|  dir: $tmp/archive|" -e "s|^  state_dir: .*|  state_dir: $tmp/state|" \
    -e "s|^sources:|metrics: { listen: none }\nservice: { grace_period: 2s }\nsources:|" \
    "$tmp/sites/feedarc-demo.yaml" > "$tmp/serve.yaml"
"$bin" serve -c "$tmp/serve.yaml" >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve=$!
anon() { awk '/^RssAnon:/ {print $2}' "/proc/$serve/status"; }
settle() { # until the archive has not changed for 2 s
  local prev=-1 n
  for _ in $(seq 60); do
    sleep 2
    n=$(cat "$tmp/archive"/*.warc.zst* 2>/dev/null | wc -c)
    [ "$n" -gt 0 ] && [ "$n" -eq "$prev" ] && return 0
    prev=$n
  done
}
settle
before=$(anon)
for i in 1 2 3 4; do
  kill -HUP "$serve"
  for _ in $(seq 100); do [ "$(grep -c 'config reloaded' "$tmp/serve.log")" -ge "$i" ] && break; sleep 0.1; done
  sleep 1
done
grep -q "trained a .* zstd dictionary on the run's records" "$tmp/serve.log" \
  && ok "the first run's dictionary was trained at the reload" || bad "no dictionary trained at the reload"
after=$(anon)
echo "  RssAnon ${before} KiB before the first reload, ${after} KiB after four"
[ "$after" -lt $((before * 9 / 10)) ] && ok "memory given back after the reloads ($before -> $after KiB)" \
  || bad "memory kept after the reloads: $before -> $after KiB"
kill -TERM "$serve"; wait "$serve"; rc=$?; serve=
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $rc"
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
