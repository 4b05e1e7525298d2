#!/usr/bin/env bash
# tools/scripts/test.sh - the whole test suite, as CI runs it: installs what is
# missing, builds twice (normal, and with ASan+UBSan) and runs every test
# under ctest in both builds (tools/fuzz/'s corpora and regression cases are
# replayed there); in CI also a short fuzz run of every harness
# (tools/scripts/fuzz.sh, 10 s each).  Benchmarks and long fuzz runs are not here.
set -euo pipefail
cd "$(dirname "$0")/../.."
# node + npm for the warcio interoperability test (Debian's, if absent)
if ! command -v npm >/dev/null 2>&1; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >&2 || true
fi
# The container image test (podman, a debootstrap'd bookworm: ~5 min cold)
# runs in CI, and locally when FEEDARC_CONTAINER_TEST=1.
container=OFF
if [ "${CI:-}" = true ] || [ "${FEEDARC_CONTAINER_TEST:-0}" = 1 ]; then container=ON; fi
FEEDARC_BUILD_DIR=build FEEDARC_CMAKE_ARGS="-DFEEDARC_CONTAINER_TEST=$container" tools/scripts/setup.sh
FEEDARC_BUILD_DIR=build-asan FEEDARC_CMAKE_ARGS="-DFEEDARC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" \
  tools/scripts/setup.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
echo "== tests (RelWithDebInfo) =="
ctest --test-dir build --output-on-failure -j2 || status=1
echo "== tests (ASan + UBSan) =="
ctest --test-dir build-asan --output-on-failure -j2 -LE container || status=1
if [ "${CI:-}" = true ]; then
  # a new crash, hang or OOM fails this and prints its reproducer; known open
  # defects (tools/fuzz/known-defects.txt) are reported only
  echo "== short fuzz run (10 s per harness) =="
  (unset ASAN_OPTIONS UBSAN_OPTIONS; tools/scripts/fuzz.sh -t 10) || status=1
fi
exit $status
