#!/usr/bin/env bash
# tools/bench/bench_newsweb.sh - the news-web benchmark of issue 14: a generated
# news web of 23 news sites and an aggregator (24 hosts on loopback) with
# 108 articles each - 2,539 pages - of which 40% are other sites' stories
# reprinted under a new headline (so dedup finds many relations), crawled
# by `feedarc once` (first run, then a later run with its dictionary) and
# by `wget --warc-file`, in the same run.  tools/bench/bench_crawl.sh does the
# work and prints the table: pages/s, CPU per page, CPU seconds per wall
# second, peak RSS, loop lag, archive bytes against wget's.
#
# usage: tools/bench/bench_newsweb.sh [BUILD_DIR] [PAGE_BYTES] [CONN_PER_HOST]
#   defaults: build 0 4   (PAGE_BYTES 0: the compact 7-17 KB pages; 100000
#   gives article pages of ~100 KB, the size of real news pages)
# For a quiet-machine run: nothing else running, `cut -d' ' -f1 /proc/loadavg`
# under 0.5; the script prints the load average it started with.
set -euo pipefail
here=$(dirname "$0")
exec "$here/bench_crawl.sh" "${1:-build}" 23 108 "${3:-4}" "${2:-0}" 40
