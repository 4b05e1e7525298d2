#!/usr/bin/env bash
# tools/scripts/fuzz.sh - runs the libFuzzer targets of tools/fuzz/ (see tools/fuzz/README.md).
#
#   tools/scripts/fuzz.sh [-t SECONDS | -r RUNS] [-n] [HARNESS...]
#
#   -t SECONDS  time per harness (default 60 when -r is not given)
#   -r RUNS     executions per harness (e.g. -r 10000000); with -t too,
#               whichever comes first
#   -n          nice -n 19 (on a shared machine)
#   HARNESS     names as in tools/fuzz/CMakeLists.txt (feed_parser, robots, ...);
#               default: all of them, one after the other
#
# Builds the targets first (clang, FEEDARC_FUZZ=ON) in $FEEDARC_FUZZ_BUILD_DIR
# (default build-fuzz; FEEDARC_FUZZ_NO_BUILD=1 uses them as they are).  Each harness starts from tools/fuzz/corpus/<h> and
# tools/fuzz/regression/<h>; what it finds new goes to $FEEDARC_FUZZ_OUT/<h>
# (default build-fuzz/runs): corpus/ (new inputs), log, and crash-*,
# timeout-*, oom-* artifacts.  Limits: -rss_limit_mb=2048 -timeout=10
# -max_len=65536.
#
# A finding whose log matches a line of tools/fuzz/known-defects.txt (a known
# open defect: every "&&"-separated regexp of the line found in the log) is
# reported and kept but does not fail the run; any other finding fails it
# (exit 1) after printing the reproducer (its path, size, base64 and the
# command to replay it).  A timeout that does not reproduce when the input
# is run again alone (a busy machine) is kept as flaky-* and the harness
# goes on for the rest of its budget.  One line per harness at the end:
# execs, time, execs/s, coverage (cov: edges, ft: features), corpus size,
# findings.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs= runs= nice=
while getopts "t:r:n" o; do
  case $o in
    t) secs=$OPTARG ;;
    r) runs=$OPTARG ;;
    n) nice="nice -n 19" ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
build=${FEEDARC_FUZZ_BUILD_DIR:-build-fuzz}
out=${FEEDARC_FUZZ_OUT:-$build/runs}
all=$(sed -n 's/^feedarc_fuzz(\([a-z_]*\) .*/\1/p' tools/fuzz/CMakeLists.txt)
harnesses=${*:-$all}

# clang and its libFuzzer runtime (not in deploy/debian-packages.txt: the
# suite and the container image do not need them, only fuzzing does)
rt=$(dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null || true)
if ! command -v clang >/dev/null 2>&1 || [ "$rt" != "install ok installed" ]; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev >&2
fi
if [ ! -f "$build/CMakeCache.txt" ] && [ "${FEEDARC_FUZZ_NO_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DFEEDARC_FUZZ=ON -DFEEDARC_TESTS=OFF \
    -DFEEDARC_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
targets=()
for h in $harnesses; do targets+=("fuzz_$h"); done
if [ "${FEEDARC_FUZZ_NO_BUILD:-0}" != 1 ]; then
  # shellcheck disable=SC2086
  $nice cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >&2
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$out"
status=0
summary=()
for h in $harnesses; do
  dir=$out/$h
  mkdir -p "$dir/corpus"
  seeds=()
  for d in tools/fuzz/corpus/$h tools/fuzz/regression/$h; do [ -d "$d" ] && seeds+=("$d"); done
  start=$(date +%s)
  execs=0 attempt=0 flaky=0
  rm -f "$dir"/log*
  while :; do
    attempt=$((attempt + 1))
    budget=()
    if [ -n "$runs" ]; then budget+=(-runs=$((runs - execs))); fi
    if [ -n "$secs" ]; then budget+=(-max_total_time=$((secs - ($(date +%s) - start)))); fi
    [ -z "$runs$secs" ] && budget+=(-max_total_time=60)
    set +e
    # shellcheck disable=SC2086
    $nice "$build/tools/fuzz/fuzz_$h" "${budget[@]}" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "${seeds[@]}" \
      > "$dir/log.$attempt" 2>&1
    rc=$?
    set -e
    cp "$dir/log.$attempt" "$dir/log"
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    [ -z "$n" ] && n=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 | sed -n 's/^#\([0-9]*\).*/\1/p')
    execs=$((execs + ${n:-0}))
    # A timeout that does not reproduce (the input runs in well under a
    # minute on its own) was the machine being busy: noted, and fuzzing goes
    # on for the rest of the budget.
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/log" | tail -1)
    [ $rc -ne 0 ] && grep -q 'libFuzzer: timeout' "$dir/log" && [ -f "$artifact" ] || break
    if ! $nice "$build/tools/fuzz/fuzz_$h" -timeout=60 -rss_limit_mb=2048 "$artifact" >"$dir/recheck.log" 2>&1; then
      break
    fi
    echo "fuzz_$h: a timeout did not reproduce (busy machine): $artifact kept as $dir/flaky-*; going on" >&2
    mv "$artifact" "$dir/flaky-$(basename "$artifact")"
    flaky=$((flaky + 1))
    left_t=1 left_r=1
    [ -n "$secs" ] && left_t=$((secs - ($(date +%s) - start)))
    [ -n "$runs" ] && left_r=$((runs - execs))
    [ -z "$runs$secs" ] && left_t=$((60 - ($(date +%s) - start)))
    [ "$left_t" -gt 0 ] && [ "$left_r" -gt 0 ] || { rc=0; break; }
  done
  took=$(( $(date +%s) - start ))
  last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
  finding=0
  if [ $rc -ne 0 ]; then
    finding=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/log" | tail -1)
    known=
    while IFS=$'\t' read -r kh pattern what; do
      case $kh in ''|'#'*) continue ;; esac
      [ "$kh" = "$h" ] || continue
      all_match=1
      IFS='&' read -ra parts <<<"${pattern//&&/&}"
      for part in "${parts[@]}"; do
        part=$(sed 's/^ *//; s/ *$//' <<<"$part")
        grep -Eq -- "$part" "$dir/log" || { all_match=0; break; }
      done
      if [ $all_match = 1 ]; then known=$what; break; fi
    done < tools/fuzz/known-defects.txt
    if [ -n "$known" ]; then
      echo "fuzz_$h: known open defect ($known): $artifact - not a failure" >&2
      finding="1 known"
    else
      status=1
      finding="1 NEW"
      echo "==== fuzz_$h: NEW FINDING (exit $rc); log: $dir/log" >&2
      grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|ALARM|out-of-memory|deadly signal' "$dir/log" | head -5 >&2 || true
      if [ -n "$artifact" ] && [ -f "$artifact" ]; then
        echo "reproducer: $artifact ($(stat -c %s "$artifact") bytes), base64:" >&2
        base64 -w 76 "$artifact" | head -200 >&2
        echo "replay: $build/tools/fuzz/fuzz_$h $artifact   (or fuzz_${h}_replay in a test build)" >&2
        echo "keep it: cp $artifact tools/fuzz/regression/$h/  (and fix the defect)" >&2
      else
        tail -30 "$dir/log" >&2
      fi
    fi
  fi
  execs=${execs:-0}
  [ $flaky -gt 0 ] && finding="$finding ($flaky timeouts that did not reproduce)"
  rate=$(( took > 0 ? execs / took : execs ))
  summary+=("$(printf '%-16s %12s execs %6ss %8s/s  cov %-6s ft %-7s corpus %-10s findings %s' \
    "$h" "$execs" "$took" "$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$finding")")
done
printf '%s\n' "${summary[@]}"
exit $status
