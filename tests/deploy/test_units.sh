#!/usr/bin/env bash
# test_units.sh FEEDARC SOURCE_DIR - the systemd units in deploy/systemd:
# `systemd-analyze verify` (offline: no running systemd needed) on copies
# whose ExecStart= points at the feedarc just built (verify insists the
# binary exists), with no complaint at all - warnings count; a negative
# control proves a typo would be caught; `systemd-analyze security
# --offline` keeps the exposure score low; the directives the service
# relies on are there; both services carry the same hardening; and the
# example config deploy/feedarc.yaml passes `feedarc config check`; serve's
# exit codes for a transient start-up failure and a config error meet the
# unit's restart policy.
set -u
bin=$(realpath "$1") src=$(realpath "$2")
units=$src/deploy/systemd
tmp=$(mktemp -d /tmp/feedarc-units-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

if ! command -v systemd-analyze >/dev/null; then
  echo "FAIL systemd-analyze not found: apt-get install systemd (deploy/debian-packages.txt)"
  echo "0 passed, 1 failed"
  exit 1
fi

for f in feedarc.service feedarc-once.service feedarc-once.timer; do
  [ -f "$units/$f" ] || { bad "$f missing"; continue; }
  sed "s|^ExecStart=/usr/local/bin/feedarc |ExecStart=$bin |" "$units/$f" > "$tmp/$f"
done
grep -q "^ExecStart=$bin serve " "$tmp/feedarc.service" && ok "ExecStart rewritten to the build" \
  || bad "feedarc.service ExecStart is not /usr/local/bin/feedarc serve ..."

verify() { # name files...: verify must pass with no output at all
  local name=$1; shift
  systemd-analyze verify --man=no "$@" >"$tmp/verify.out" 2>&1; local rc=$?
  if [ $rc -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then ok "verify $name"; else
    bad "verify $name (exit $rc):"; sed 's/^/    /' "$tmp/verify.out"; fi
}
verify "feedarc.service" "$tmp/feedarc.service"
verify "feedarc-once.service + timer" "$tmp/feedarc-once.service" "$tmp/feedarc-once.timer"

# negative controls: the check notices a misspelt directive and a bad value
sed 's/^ProtectHome=yes/ProtectHoem=yes/' "$tmp/feedarc.service" > "$tmp/typo.service"
sed 's/^Type=notify/Type=notfy/' "$tmp/feedarc.service" > "$tmp/typo2.service"
for t in typo typo2; do
  systemd-analyze verify --man=no "$tmp/$t.service" >"$tmp/verify.out" 2>&1
  [ -s "$tmp/verify.out" ] && ok "verify catches $t" || bad "verify did not notice $t.service"
done

# exposure score (0 = locked down, 10 = wide open)
for f in feedarc.service feedarc-once.service; do
  score=$(systemd-analyze security --offline=yes "$tmp/$f" 2>/dev/null |
          sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    ok "$f exposure $score <= 2.0"; else bad "$f exposure '${score}' (want <= 2.0)"; fi
done

need() { # file directive...
  local f=$1; shift
  for d in "$@"; do
    grep -qxF -- "$d" "$units/$f" && ok "$f: $d" || bad "$f lacks '$d'"
  done
}
need feedarc.service "Type=notify" "NotifyAccess=main" "WatchdogSec=60s" "Restart=on-failure" \
  "DynamicUser=yes" "StateDirectory=feedarc" "ConfigurationDirectory=feedarc" \
  "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" \
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "SystemCallFilter=@system-service" \
  "CapabilityBoundingSet=" "MemoryDenyWriteExecute=yes" \
  "ExecStart=/usr/local/bin/feedarc serve -c /etc/feedarc/feedarc.yaml"
need feedarc-once.service "Type=oneshot" "DynamicUser=yes" "StateDirectory=feedarc" \
  "ExecStart=/usr/local/bin/feedarc once -c /etc/feedarc/feedarc.yaml --quiet"
need feedarc-once.timer "Persistent=true" "OnCalendar=*:0/15" "RandomizedDelaySec=3min" \
  "WantedBy=timers.target"

# the same hardening in both services: every line from DynamicUser= on
hardening() { sed -n '/^DynamicUser=/,/^\[Install\]/p' "$1" | grep -v '^\[Install\]\|^#\|^$'; }
if diff <(hardening "$units/feedarc.service") <(hardening "$units/feedarc-once.service") \
     >"$tmp/diff" 2>&1; then ok "same hardening in both services"; else
  bad "hardening differs:"; sed 's/^/    /' "$tmp/diff"; fi

# exit codes against the unit's restart policy (Restart=on-failure restarts
# every failure but RestartPreventExitStatus): a transient start-up failure
# (the metrics port still held by a process on its way out) must be
# restarted, a config error must not (a restart loop would change nothing)
prevent=" $(sed -n 's/^RestartPreventExitStatus=//p' "$units/feedarc.service") "
py=/usr/bin/python3
mport=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$py -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True); time.sleep(30)' \
  "$mport" >"$tmp/holder.out" 2>&1 &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/holder.out" ] && break; sleep 0.1; done
printf 'storage: { dir: %s/a, state_dir: %s/s }\nmetrics: { listen: "127.0.0.1:%s" }\nsources:\n  - url: http://127.0.0.1:9/feed.xml\n' \
  "$tmp" "$tmp" "$mport" > "$tmp/busy.yaml"
timeout 10 "$bin" serve -c "$tmp/busy.yaml" >/dev/null 2>&1; rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "${prevent#* $rc }" = "$prevent" ] \
  && ok "metrics port in use: exit $rc, which feedarc.service restarts (RestartPreventExitStatus=${prevent# })" \
  || bad "metrics port in use: exit $rc, not restarted by feedarc.service (RestartPreventExitStatus=$prevent)"
printf 'sources:\n  - url: not a url\n' > "$tmp/bad.yaml"
timeout 10 "$bin" serve -c "$tmp/bad.yaml" >/dev/null 2>&1; rc=$?
[ "${prevent#* $rc }" != "$prevent" ] && ok "a bad config: exit $rc, not restarted" \
  || bad "a bad config: exit $rc, which feedarc.service would restart in a loop"

# the example config is valid and uses the StateDirectory paths
if "$bin" config check "$src/deploy/feedarc.yaml" >"$tmp/cfg.out" 2>&1; then
  ok "deploy/feedarc.yaml passes feedarc config check"
  grep -q 'dir: "/var/lib/feedarc/archive"' "$tmp/cfg.out" && ok "archive under /var/lib/feedarc" \
    || bad "storage.dir is not /var/lib/feedarc/archive"
else
  bad "deploy/feedarc.yaml:"; sed 's/^/    /' "$tmp/cfg.out"
fi

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
