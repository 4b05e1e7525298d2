#!/usr/bin/env bash
# tools/scripts/setup.sh - install what is missing (Debian), then configure and
# build feedarc into build/.  Used by the README's first command, by the
# test runner and by the Dockerfile's build stage.
#   FEEDARC_BUILD_DIR   build folder (default: build)
#   FEEDARC_CMAKE_ARGS  extra cmake arguments
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t pkgs < <(grep -v '^#' deploy/debian-packages.txt | sed '/^$/d')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi
dir=${FEEDARC_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${FEEDARC_CMAKE_ARGS:-} >&2
cmake --build "$dir" -j"$(nproc)" >&2
