#!/usr/bin/env bash
# usage: tools/bench/soak_serve.sh [BUILD_DIR]   (results in $SOAK_DIR/samples.txt, default /tmp/feedarc-soak)
mkdir -p "${SOAK_DIR:-/tmp/feedarc-soak}"
# 11 minutes of `feedarc serve` polling 21 sources every 5 s: RSS and open fds every 30 s
bin=$(realpath "${1:-build}/cli/feedarc")
$bin demo --serve --out ${SOAK_DIR:-/tmp/feedarc-soak}/sites --sites 20 --articles 10 >${SOAK_DIR:-/tmp/feedarc-soak}/sites.log 2>&1 &
sites=$!
sleep 2
sed -e "s|^  dir: .*|  dir: ${SOAK_DIR:-/tmp/feedarc-soak}/archive|" -e "s|^  state_dir: .*|  state_dir: ${SOAK_DIR:-/tmp/feedarc-soak}/state|" \
    -e 's|^    url: \(.*\)|    url: \1\n    interval: 5s|' \
    -e 's|^sources:|metrics: { listen: "127.0.0.1:19470" }\nsources:|' \
    ${SOAK_DIR:-/tmp/feedarc-soak}/sites/feedarc-demo.yaml > ${SOAK_DIR:-/tmp/feedarc-soak}/serve.yaml
$bin serve -q -c ${SOAK_DIR:-/tmp/feedarc-soak}/serve.yaml 2>${SOAK_DIR:-/tmp/feedarc-soak}/serve.log &
pid=$!
echo "t_s rss_kib fds polls_ok fetches" > ${SOAK_DIR:-/tmp/feedarc-soak}/samples.txt
for i in $(seq 0 22); do
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  fds=$(ls /proc/$pid/fd | wc -l)
  polls=$(curl -s http://127.0.0.1:19470/metrics | awk '$1=="feedarc_source_polls_total{result=\"ok\"}"{print $2}')
  fetches=$(curl -s http://127.0.0.1:19470/metrics | awk '$1 ~ /^feedarc_fetches_total/ {s+=$2} END {print s}')
  echo "$((i*30)) $rss $fds $polls $fetches" >> ${SOAK_DIR:-/tmp/feedarc-soak}/samples.txt
  [ $i -lt 22 ] && sleep 30
done
start=$(date +%s%N); kill -TERM $pid; wait $pid; rc=$?
echo "shutdown_ms $(( ($(date +%s%N) - start) / 1000000 )) rc $rc" >> ${SOAK_DIR:-/tmp/feedarc-soak}/samples.txt
kill $sites
