#!/usr/bin/env bash
# test_robots_cli.sh FEEDARC FIXTURE - `feedarc robots FILE AGENT URL...` end
# to end: one verdict line per URL with the deciding rule and its line,
# stdin as FILE, and the exit codes (0, 64 usage, 66 missing file).
set -u
bin=$(realpath "$1") fixture=$(realpath "$2")
tmp=$(mktemp -d /tmp/feedarc-robots-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()   { passed=$((passed+1)); echo "ok   $1"; }
bad()  { fails=$((fails+1)); echo "FAIL $1"; }
expect_code() { # name expected command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name (exit $got)"; else
    bad "$name: exit $got, wanted $want"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -20; fi
}
expect_out() { # name expected-stdout (exact)
  if [ "$(cat "$tmp/out")" = "$2" ]; then ok "$1"; else
    bad "$1"; echo "    got:"; sed 's/^/      /' "$tmp/out"; echo "    wanted:"
    printf '%s\n' "$2" | sed 's/^/      /'; fi
}

# The specific group (FeedArc/2.0 names "feedarc"); "*" does not apply.
expect_code "feedarc agent" 0 "$bin" robots "$fixture" feedarc \
  http://x.example/drafts/a http://x.example/private/a 'http://x.example/doc.pdf' \
  'http://x.example/doc.pdf?v=2' http://x.example/robots.txt
expect_out "feedarc verdicts" "disallow http://x.example/drafts/a  (line 8: disallow: /drafts/)
allow http://x.example/private/a  (no matching rule)
disallow http://x.example/doc.pdf  (line 9: disallow: /*.pdf\$)
allow http://x.example/doc.pdf?v=2  (no matching rule)
allow http://x.example/robots.txt  (/robots.txt is always allowed)"

# Any other agent: the "*" group; longest match wins.
expect_code "other agent" 0 "$bin" robots "$fixture" OtherBot \
  http://x.example/private/a http://x.example/private/public http://x.example/private/public/x \
  'http://x.example/drafts/a#frag'
expect_out "other verdicts" "disallow http://x.example/private/a  (line 3: disallow: /private/)
allow http://x.example/private/public  (line 4: allow: /private/public\$)
disallow http://x.example/private/public/x  (line 3: disallow: /private/)
allow http://x.example/drafts/a#frag  (no matching rule)"

# FILE "-" reads stdin
expect_code "stdin" 0 bash -c "printf 'User-agent: *\r\nDisallow: /\r\n' | \"$bin\" robots - feedarc http://h/a"
expect_out "stdin verdict" "disallow http://h/a  (line 2: disallow: /)"

# Exit codes
expect_code "missing file" 66 "$bin" robots "$tmp/nope.txt" feedarc http://h/
grep -q "cannot open .*nope.txt" "$tmp/err" && ok "missing file names the file" || bad "missing file message"
[ ! -s "$tmp/out" ] && ok "missing file: nothing on stdout" || bad "missing file wrote stdout"
expect_code "no URL" 64 "$bin" robots "$fixture" feedarc
expect_code "no args" 64 "$bin" robots
expect_code "help robots" 0 "$bin" help robots
grep -q 'usage: feedarc robots FILE AGENT URL' "$tmp/out" && ok "help text" || bad "help text"
expect_code "--help lists robots" 0 "$bin" --help
grep -q '^  robots ' "$tmp/out" && ok "robots in the command list" || bad "robots not listed"

echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
