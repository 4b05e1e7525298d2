#!/usr/bin/env bash
# test_archive_privacy.sh FEEDARC - what an archive gives away (issue 11):
# request headers named in http.redact_headers (default Authorization,
# Cookie, Proxy-Authorization) are archived as "[redacted]", the records'
# digests still verify, and the archive files are 0640 (storage.file_mode
# changes it).
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d /tmp/feedarc-priv-XXXXXX)
sites=
trap '[ -n "$sites" ] && kill "$sites" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }
command -v zstd >/dev/null || { echo "skip: no zstd"; exit 77; }

"$bin" demo --serve --out "$tmp/sites" --sites 1 --articles 6 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL the sample sites did not start"; cat "$tmp/sites.log"; exit 1; }
feed=$(sed -n 's/^    url: "\(.*\)"$/\1/p' "$tmp/sites/feedarc-demo.yaml" | head -1)
[ -n "$feed" ] || { echo "FAIL no feed URL in the demo config"; exit 1; }

umask 022
cat > "$tmp/a.yaml" <<YAML
storage: { dir: $tmp/a, state_dir: $tmp/a-state }
politeness: { min_delay: 0s }
sources:
  - url: $feed
    headers:
      Authorization: "Bearer s3cr3t-token"
      Cookie: "session=hunter2"
      X-Visible: "kept-as-is"
YAML
"$bin" once -q -c "$tmp/a.yaml" >"$tmp/out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "once (exit 0)" || { bad "once: exit $rc"; cat "$tmp/out"; }
zstd -q -dc "$tmp/a"/*.warc.zst > "$tmp/a.warc" 2>/dev/null
grep -aq "kept-as-is" "$tmp/a.warc" && ok "other configured headers are archived" || bad "X-Visible missing"
grep -aq "s3cr3t-token\|hunter2" "$tmp/a.warc" && bad "a secret is in the archive" || ok "no secret in the archive"
grep -aq "^Authorization: \[redacted\]" "$tmp/a.warc" && ok "Authorization: [redacted]" || bad "no redacted Authorization"
grep -aq "^Cookie: \[redacted\]" "$tmp/a.warc" && ok "Cookie: [redacted]" || bad "no redacted Cookie"
"$bin" verify "$tmp/a" >"$tmp/verify.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "digests verify over the redacted records (exit 0)" || { bad "verify exit $rc"; tail -5 "$tmp/verify.out"; }
modes=$(stat -c '%a %n' "$tmp/a"/*.warc.zst "$tmp/a"/*.cdxj | awk '{print $1}' | sort -u | tr '\n' ' ')
[ "$modes" = "640 " ] && ok "segments and indexes are 0640" || { bad "modes: $modes"; stat -c '%a %n' "$tmp/a"/*; }
"$bin" index "$tmp/a" >/dev/null 2>&1
m=$(stat -c %a "$tmp/a/index.cdxj" 2>/dev/null)
[ "$m" = 640 ] && ok "feedarc index writes index.cdxj 0640" || bad "index.cdxj mode $m"

# configured: a mode of one's own, and no redaction at all
cat > "$tmp/b.yaml" <<YAML
storage: { dir: $tmp/b, state_dir: $tmp/b-state, file_mode: "0600", operator: "Test Ops <ops@example.org>" }
politeness: { min_delay: 0s }
http: { redact_headers: [] }
sources:
  - url: $feed
    headers: { Authorization: "Bearer s3cr3t-token" }
YAML
"$bin" once -q -c "$tmp/b.yaml" >"$tmp/out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && ok "once with file_mode 0600 (exit 0)" || { bad "once: exit $rc"; cat "$tmp/out"; }
modes=$(stat -c '%a' "$tmp/b"/*.warc.zst "$tmp/b"/*.cdxj | sort -u | tr '\n' ' ')
[ "$modes" = "600 " ] && ok "storage.file_mode 0600 is honoured" || bad "modes: $modes"
zstd -q -dc "$tmp/b"/*.warc.zst 2>/dev/null | grep -aq "Bearer s3cr3t-token" \
  && ok "redact_headers: [] archives the header as sent" || bad "redact_headers: [] still redacts"
zstd -q -dc "$tmp/b"/*.warc.zst 2>/dev/null | grep -aq "^operator: Test Ops <ops@example.org>" \
  && ok "storage.operator is in warcinfo" || bad "no operator: in warcinfo"
# config check prints what was set, and its output is a valid config again
"$bin" config check "$tmp/b.yaml" >"$tmp/eff.yaml" 2>&1 || bad "config check b.yaml"
grep -q '^  operator: "Test Ops <ops@example.org>"' "$tmp/eff.yaml" && ok "config check prints operator" \
  || bad "config check: no operator"
"$bin" config check "$tmp/eff.yaml" >"$tmp/eff2.yaml" 2>&1 && cmp -s "$tmp/eff.yaml" "$tmp/eff2.yaml" \
  && ok "config check output round-trips" || { bad "config check output does not round-trip"; diff "$tmp/eff.yaml" "$tmp/eff2.yaml" | head; }

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
