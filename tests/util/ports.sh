# tests/util/ports.sh - sourced by the shell tests: ports a test learns
# instead of fixing them (servers bind port 0 and say which they got).

# read_port FILE: the first line of FILE once a helper (loopback.py, an
# inline server) wrote it - its port; 30 s at most.
read_port() {
  for _ in $(seq 300); do [ -s "$1" ] && { head -1 "$1"; return 0; }; sleep 0.1; done
  return 1
}

# serve_port LOG PID: the metrics port `feedarc serve` (PID) took with
# metrics.listen 127.0.0.1:0, from its start-up line in LOG; fails once the
# process is gone or after 60 s.
serve_port() {
  local p
  for _ in $(seq 600); do
    p=$(sed -n 's/.*metrics on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$1" | tail -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
