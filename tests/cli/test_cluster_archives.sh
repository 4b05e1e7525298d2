#!/usr/bin/env bash
# test_cluster_archives.sh FEEDARC - two nodes of a cluster (issue 15) share
# one dedup index in a real redis-server on loopback; the origin is the
# demo's sample sites.  Node A crawls site 0 (the wire story's original),
# node B crawls site 1 (its syndicated copy), each into its own archive
# folder: B's findings record names A's page with A's WARC-Record-ID (read
# back from the two archives exported as .warc.gz).  Then the reading
# commands over both folders as one collection: ls, verify, index, get
# (a capture of either folder; not found in the other alone), text and
# dedup-report (B's copy is a duplicate of A's page; counts add up).
# Exits 77 without redis-server.
set -u
bin=$(realpath "$1")
redis=$(command -v redis-server || echo /usr/bin/redis-server)
[ -x "$redis" ] || { echo "skip: redis-server is not installed (deploy/debian-packages.txt)"; exit 77; }
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
tmp=$(mktemp -d /tmp/feedarc-cluster-XXXXXX)
sites= rpid=
trap '[ -n "$sites" ] && kill "$sites" 2>/dev/null; [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

# ---- Redis and the sample sites ----
port=
for _ in $(seq 20); do
  p=$((20000 + RANDOM % 30000))
  "$redis" --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
           --logfile "$tmp/redis.log" --daemonize no &
  rpid=$!
  for _ in $(seq 50); do grep -q "Ready to accept" "$tmp/redis.log" 2>/dev/null && break; sleep 0.1; done
  if grep -q "Ready to accept" "$tmp/redis.log" 2>/dev/null; then port=$p; break; fi
  kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rpid=; rm -f "$tmp/redis.log"
done
[ -n "$port" ] || { echo "FAIL redis-server did not start"; exit 1; }
"$bin" demo --serve --out "$tmp/sites" --sites 3 --articles 4 >"$tmp/sites.log" 2>&1 &
sites=$!
for _ in $(seq 100); do [ -s "$tmp/sites/urls.txt" ] && break; sleep 0.1; done
[ -s "$tmp/sites/urls.txt" ] || { echo "FAIL the sample sites did not start"; cat "$tmp/sites.log"; exit 1; }

# node A: site 0's two feeds; node B: site 1's feed; one Redis
"$py" - "$tmp" "$port" <<'PY' || { echo "FAIL cannot write the nodes' configs"; exit 1; }
import sys
tmp, port = sys.argv[1], sys.argv[2]
# the demo's config as it writes it (no YAML module: python3-yaml is not
# among the packages a fresh machine gets): the sections between storage:
# and sources: kept, each "  - " block under sources: one source
text = open(tmp + "/sites/feedarc-demo.yaml").read()
head, _, tail = text.partition("\nsources:\n")
keep = head[head.index("\npoliteness:"):] if "\npoliteness:" in head else ""
sources, cur = [], None
for line in tail.splitlines(keepends=True):
    if line.startswith("  - "):
        cur = [line]
        sources.append(cur)
    elif line.startswith("    ") and cur is not None:
        cur.append(line)
    else:
        cur = None
assert len(sources) >= 3, "fewer than 3 sources in the demo config"
for node, srcs in (("a", sources[0:2]), ("b", sources[2:3])):
    with open(f"{tmp}/{node}.yaml", "w") as f:
        f.write(f'storage:\n  dir: "{tmp}/{node}"\n  state_dir: "{tmp}/{node}-state"\n')
        f.write(keep.lstrip("\n") + "\n")
        f.write(f'cluster:\n  redis: "redis://127.0.0.1:{port}/0"\n  node: "node-{node}"\n')
        f.write("sources:\n" + "".join("".join(b) for b in srcs))
PY
for n in a b; do
  "$bin" once -q -c "$tmp/$n.yaml" >"$tmp/$n.out" 2>&1 && ok "node $n crawled" \
    || { bad "node $n: exit $?"; cat "$tmp/$n.out"; }
done

# ---- B's finding names A's record ----
for n in a b; do
  "$bin" export -q "$tmp/$n" "$tmp/$n.warc.gz" >/dev/null 2>&1 || bad "export $n"
done
"$py" - "$tmp/a.warc.gz" "$tmp/b.warc.gz" >"$tmp/cross.txt" <<'PY'
import gzip, sys
def records(path):
    data = gzip.open(path).read()
    i = 0
    while True:
        j = data.find(b"WARC/1.", i)
        if j < 0: return
        e = data.find(b"\r\n\r\n", j)
        head = data[j:e].decode("utf-8", "replace").split("\r\n")
        f = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            f[k.strip().lower()] = v.strip()
        n = int(f.get("content-length", "0"))
        yield f, data[e + 4:e + 4 + n]
        i = e + 4 + n
a = {}
for f, _ in records(sys.argv[1]):
    if f.get("warc-type") in ("response", "revisit"):
        a[f["warc-target-uri"]] = f["warc-record-id"]
found = 0
for f, block in records(sys.argv[2]):
    if f.get("warc-type") != "metadata": continue
    for line in block.decode("utf-8", "replace").splitlines():
        k, _, v = line.partition(":")
        if k.startswith("feedarc-") and k.endswith(("duplicate-of", "contains", "contained-in")):
            parts = v.split()
            if len(parts) >= 2 and parts[0] in a:
                print(f.get("warc-target-uri"), k, parts[0], parts[1], "A has", a[parts[0]])
                found += parts[1] == a[parts[0]]
print("cross-node findings naming A's record id:", found)
sys.exit(0 if found else 1)
PY
if [ $? -eq 0 ]; then ok "B's finding names A's page and A's WARC-Record-ID"; sed 's/^/    /' "$tmp/cross.txt"
else bad "no finding of B names A's record"; cat "$tmp/cross.txt"; fi
wire_a=$(awk '/near-duplicate-of/ {print $3; exit}' "$tmp/cross.txt")
wire_b=$(awk '/near-duplicate-of/ {print $1; exit}' "$tmp/cross.txt")
[ -n "$wire_a" ] && [ -n "$wire_b" ] && ok "B's copy $wire_b is a near duplicate of A's $wire_a" \
  || bad "no near-duplicate pair found"

# ---- the reading commands over both folders ----
"$bin" ls "$tmp/a" "$tmp/b" >"$tmp/ls.ab" 2>&1 || bad "ls A B: exit $?"
la=$("$bin" ls "$tmp/a" | wc -l) lb=$("$bin" ls "$tmp/b" | wc -l) lab=$(wc -l <"$tmp/ls.ab")
[ "$lab" -eq $((la + lb)) ] && [ "$la" -gt 0 ] && [ "$lb" -gt 0 ] \
  && ok "ls A B lists both ($la + $lb records)" || bad "ls A B: $lab lines, A $la, B $lb"
"$bin" verify "$tmp/a" "$tmp/b" >"$tmp/verify.out" 2>&1 && grep -q "^total: 2 folders, .* 0 faults" "$tmp/verify.out" \
  && ok "verify A B: no fault, a total line" || { bad "verify A B"; cat "$tmp/verify.out"; }
"$bin" verify "$tmp/a" "$tmp/missing" >/dev/null 2>&1; [ $? -eq 66 ] && ok "verify with a missing folder: 66" \
  || bad "verify with a missing folder"
"$bin" index "$tmp/a" "$tmp/b" >"$tmp/index.out" 2>&1 && [ "$(grep -c 'segments' "$tmp/index.out")" -eq 2 ] \
  && ok "index A B indexes each" || { bad "index A B"; cat "$tmp/index.out"; }
if [ -n "$wire_a" ]; then
  "$bin" get "$tmp/a" "$tmp/b" "$wire_a" >"$tmp/get.ab" 2>/dev/null && "$bin" get "$tmp/a" "$wire_a" >"$tmp/get.a" 2>/dev/null \
    && [ -s "$tmp/get.ab" ] && cmp -s "$tmp/get.ab" "$tmp/get.a" && ok "get A B finds A's page" || bad "get A B of A's page"
  "$bin" get "$tmp/a" "$tmp/b" "$wire_b" >"$tmp/get.abb" 2>/dev/null && [ -s "$tmp/get.abb" ] \
    && ok "get A B finds B's page" || bad "get A B of B's page"
  "$bin" get "$tmp/b" "$wire_a" >/dev/null 2>&1; [ $? -eq 1 ] && ok "get B alone does not have A's page" \
    || bad "get B of A's page"
  "$bin" text "$tmp/a" "$tmp/b" "$wire_b" >"$tmp/text.out" 2>&1 && grep -q '"record_id"' "$tmp/text.out" \
    && ok "text A B URL finds B's text" || { bad "text A B URL"; cat "$tmp/text.out"; }
  na=$("$bin" text "$tmp/a" | wc -l) nb=$("$bin" text "$tmp/b" | wc -l) nab=$("$bin" text "$tmp/a" "$tmp/b" | wc -l)
  [ "$nab" -eq $((na + nb)) ] && ok "text A B prints both ($na + $nb)" || bad "text A B: $nab, wanted $na + $nb"
  "$bin" dedup-report "$tmp/a" "$tmp/b" >"$tmp/report.out" 2>&1 || bad "dedup-report A B: exit $?"
  "$py" - "$tmp/report.out" "$wire_b" "$wire_a" <<'PY' && ok "dedup-report A B: B's copy is a duplicate of A's page" \
    || { bad "dedup-report A B"; cat "$tmp/report.out"; }
import json, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rows[d["url"]] = d
d = rows.get(sys.argv[2])
sys.exit(0 if d and d["duplicate_of"] == sys.argv[3] and sys.argv[3] in rows else 1)
PY
  s() { "$bin" dedup-report --summary "$@" | sed -n 's/.*"documents":\([0-9]*\).*/\1/p'; }
  da=$(s "$tmp/a") db=$(s "$tmp/b") dab=$(s "$tmp/a" "$tmp/b")
  [ -n "$dab" ] && [ "$dab" -eq $((da + db)) ] && ok "dedup-report --summary A B counts $da + $db documents" \
    || bad "dedup-report --summary: $dab, wanted $da + $db"
fi
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
