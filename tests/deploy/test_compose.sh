#!/usr/bin/env bash
# test_compose.sh FEEDARC SOURCE_DIR - deploy/compose.yaml (issue 15) without
# a container runtime (`docker compose config` is not available offline):
# the file parses as YAML (python3-yaml); it names a redis service and three
# feedarc nodes that run the same image and mount the same config, each with
# its own archive and state volumes, a distinct host name that is a valid
# node name (the shared config leaves cluster.node out, so the host name is
# the node name) and a distinct metrics port; the Redis password comes from
# the environment; and the shared config deploy/cluster.yaml passes
# `feedarc config check` with a cluster: section and no cluster.node.
set -u
bin=$(realpath "$1") src=$(realpath "$2")
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c 'import yaml' 2>/dev/null || { echo "skip: python3-yaml is not installed"; exit 77; }
fails=0 passed=0
ok()  { passed=$((passed+1)); echo "ok   $1"; }
bad() { fails=$((fails+1)); echo "FAIL $1"; }

"$py" - "$src/deploy/compose.yaml" <<'PY' && ok "compose.yaml: redis + 3 nodes, one config, own volumes and names" \
  || bad "compose.yaml"
import re, sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
def need(cond, what):
    if not cond:
        print("  compose.yaml:", what); sys.exit(1)
need("redis" in s, "no redis service")
need("appendonly yes" in " ".join(map(str, s["redis"]["command"])), "redis without AOF")
need("REDIS_PASSWORD" in " ".join(map(str, s["redis"]["command"])), "redis without a password")
nodes = {k: v for k, v in s.items() if k != "redis"}
need(len(nodes) == 3, f"{len(nodes)} feedarc services, wanted 3")
names, archives, states, configs, ports, images = set(), set(), set(), set(), set(), set()
for k, v in nodes.items():
    h = v.get("hostname", "")
    need(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", h), f"{k}: hostname {h!r} is not a node name")
    names.add(h)
    images.add(v.get("image"))
    need(v.get("depends_on", {}).get("redis", {}).get("condition") == "service_healthy", f"{k}: not after redis")
    need("REDIS_PASSWORD" in v.get("environment", {}), f"{k}: no REDIS_PASSWORD")
    vols = v.get("volumes", [])
    for m in vols:
        src, dst = m.split(":")[0], m.split(":")[1]
        if dst == "/etc/feedarc/feedarc.yaml": configs.add(src)
        if dst == "/var/lib/feedarc/archive": archives.add(src)
        if dst == "/var/lib/feedarc/state": states.add(src)
    ports.update(p.rsplit(":", 1)[0] for p in v.get("ports", []))
    need(v.get("command", [None])[0] == "serve", f"{k}: not `serve`")
need(len(names) == 3, "node names not distinct")
need(len(archives) == 3 and len(states) == 3, "archive/state volumes not one per node")
need(len(configs) == 1, "the nodes do not share one config")
need(len(images) == 1, "the nodes run different images")
need(len(ports) == 3, "metrics ports not distinct")
for v in archives | states:
    need(v in (c.get("volumes") or {}), f"volume {v} not declared")
print("  nodes:", ", ".join(sorted(names)), "; config:", configs.pop())
PY

# the shared config: valid, a cluster, no node name of its own
cfg=$src/deploy/cluster.yaml
grep -q '^cluster:' "$cfg" && ok "cluster.yaml has a cluster: section" || bad "no cluster: section"
grep -q '^ *node:' "$cfg" && bad "cluster.yaml names a node (each node must take its host name)" \
  || ok "cluster.yaml leaves cluster.node to the host name"
REDIS_PASSWORD=test-only "$bin" config check "$cfg" >/tmp/feedarc-compose-check.$$ 2>&1 \
  && ok "feedarc config check deploy/cluster.yaml" || { bad "config check"; cat /tmp/feedarc-compose-check.$$; }
grep -q "test-only" /tmp/feedarc-compose-check.$$ && bad "config check printed the password" \
  || ok "the password is not printed"
rm -f /tmp/feedarc-compose-check.$$
echo "$passed passed, $fails failed"
[ "$fails" -eq 0 ]
