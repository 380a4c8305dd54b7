#!/usr/bin/env bash
# Three real `meridian serve` nodes against one, on one PostgreSQL + Redis, with many tenants and deployments, half the
# requests streaming (issue 22). Reports throughput, p50/p99 and PostgreSQL's deadlock count for each.
#
#   ./build.sh services -- bench/cluster-fleet.sh [SECONDS] [CONNECTIONS] [TENANTS] [DEPLOYMENTS_PER_TENANT]
#
# Needs MERIDIAN_TEST_POSTGRES, MERIDIAN_TEST_REDIS (./build.sh services sets them), wrk and psql. The world: the demo
# offer, TENANTS tenants each with one resource in eastus, DEPLOYMENTS_PER_TENANT deployments and one key, no quota in
# the way. 1 node: wrk with C connections. 3 nodes: three wrk processes, C/3 connections each, one per node, at once.
# Deadlocks: pg_stat_database.deadlocks of the database, before and after each run. Result in
# bench/results/cluster-fleet.json. Nodes, load generators, PostgreSQL, Redis and the simulator share this machine's
# cores: read the ratio with the core count printed next to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-30}
TENANTS=${3:-12}
DEPLOYMENTS=${4:-8}
: "${MERIDIAN_TEST_POSTGRES:?run through ./build.sh services -- bench/cluster-fleet.sh}"
: "${MERIDIAN_TEST_REDIS:?run through ./build.sh services -- bench/cluster-fleet.sh}"
command -v wrk >/dev/null || { echo "bench/cluster-fleet.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v psql >/dev/null || { echo "bench/cluster-fleet.sh: psql is not installed" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/meridian-fleet-bench.XXXXXX")"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

CLI="$ROOT/artifacts/bin/Meridian.Cli/release/meridian"
[[ -x "$CLI" ]] || "$ROOT/meridian" --help >/dev/null
export MERIDIAN_ADMIN_TOKEN=mat-bench-fleet-0123456789abcdef MERIDIAN_UPSTREAM_API_KEY=bench
pg() { # the connection string's host and port, for psql
  python3 -c 'import sys; d=dict(p.split("=",1) for p in sys.argv[1].split(";") if p); print(d.get("Host","127.0.0.1"), d.get("Port","5432"), d.get("Username","postgres"), d.get("Database","postgres"))' "$MERIDIAN_TEST_POSTGRES"
}
read -r PGH PGP PGU PGD <<<"$(pg)"
deadlocks() { psql -h "$PGH" -p "$PGP" -U "$PGU" -d "$PGD" -tAc "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"; }

wait_up() { until curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; do sleep 0.2; done; }
"$CLI" simulate --port 19090 >"$WORK/simulator.log" 2>&1 & PIDS+=($!)
until (echo >/dev/tcp/127.0.0.1/19090) 2>/dev/null; do sleep 0.2; done

prefix="fleet$RANDOM$RANDOM"
start_node() { # start_node PORT DATA
  "$CLI" serve --port "$1" --data "$2" --upstream http://127.0.0.1:19090 --store postgres --postgres "$MERIDIAN_TEST_POSTGRES" \
    --postgres-schema "$prefix" --redis "$MERIDIAN_TEST_REDIS" --redis-prefix "$prefix:" --nodes 3 --node-name "node-$1" >"$WORK/node-$1.log" 2>&1 & PIDS+=($!)
  wait_up "$1"
}

start_node 18280 "$WORK/a"
python3 - "$TENANTS" "$DEPLOYMENTS" "$WORK/targets.tsv" <<'PY'
import json, sys, urllib.request
tenants, deployments, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def call(method, path, body=None):
    request = urllib.request.Request("http://127.0.0.1:18280/admin/v1" + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": "Bearer mat-bench-fleet-0123456789abcdef", "content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")
lines = []
for t in range(tenants):
    tenant = call("POST", "/tenants", {"name": f"Fleet tenant {t}", "billing_contact": {"name": "Bench", "email": f"bench{t}@fleet.example"}})["id"]
    call("POST", f"/tenants/{tenant}/subscriptions", {"offer_id": "off_claude", "accept_terms_version": 1})
    resource = call("POST", f"/tenants/{tenant}/resources", {"name": f"fleet{t}", "region": "eastus"})["id"]
    key = call("POST", f"/resources/{resource}/keys", {"name": "bench"})["key"]
    for d in range(deployments):
        name = f"fleet-{t}-{d}"
        deployment = call("POST", f"/resources/{resource}/deployments", {"name": name, "offer_id": "off_claude", "model_id": "claude-sonnet-5",
            "hosting_option": "platform", "deployment_type": "datazone", "capacity": {"rpm": 1000000, "tpm": 1000000000}})["id"]
        call("PUT", f"/deployments/{deployment}/limits", {"rpm": 1000000, "input_tpm": 1000000000, "output_tpm": 1000000000})
        lines.append(f"{key}\t{name}")
open(out, "w").write("\n".join(lines) + "\n")
PY

load() { # load PORT CONNECTIONS OUT
  BENCH_TARGETS="$WORK/targets.tsv" BENCH_OUT="$3" wrk -t1 -c"$2" -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$ROOT/bench/harness/fleet.lua" "http://127.0.0.1:$1" >/dev/null
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

load 18280 "$CONNECTIONS" "$WORK/warm.json"   # warm-up, not counted
d0=$(deadlocks)
load 18280 "$CONNECTIONS" "$WORK/one.json"
d1=$(deadlocks)

for port in 18281 18282; do
  mkdir -p "$WORK/$port"
  cp "$WORK"/a/*.secret "$WORK"/a/*.key "$WORK/$port/"   # the node secrets, as the README does
  start_node "$port" "$WORK/$port"
done
load 18281 "$((CONNECTIONS / 3))" "$WORK/warm-b.json" & w1=$!
load 18282 "$((CONNECTIONS / 3))" "$WORK/warm-c.json"; wait "$w1"
d2=$(deadlocks)
load 18280 "$((CONNECTIONS / 3))" "$WORK/three-a.json" & p1=$!
load 18281 "$((CONNECTIONS / 3))" "$WORK/three-b.json" & p2=$!
load 18282 "$((CONNECTIONS / 3))" "$WORK/three-c.json"; wait "$p1" "$p2"
d3=$(deadlocks)

rps() { field "$1" 'round(d["requests"]/(d["duration_us"]/1e6),1)'; }
p() { field "$1" "round(d['latency_us']['$2']/1000,1)"; }
errors() { field "$1" 'sum(d["errors"].values())'; }
one=$(rps "$WORK/one.json")
three=$(python3 -c "print(round($(rps "$WORK/three-a.json") + $(rps "$WORK/three-b.json") + $(rps "$WORK/three-c.json"), 1))")
three_p99=$(python3 -c "print(max($(p "$WORK/three-a.json" p99), $(p "$WORK/three-b.json" p99), $(p "$WORK/three-c.json" p99)))")
three_p50=$(python3 -c "print(max($(p "$WORK/three-a.json" p50), $(p "$WORK/three-b.json" p50), $(p "$WORK/three-c.json" p50)))")
bad_one=$(errors "$WORK/one.json")
bad_three=$(( $(errors "$WORK/three-a.json") + $(errors "$WORK/three-b.json") + $(errors "$WORK/three-c.json") ))
cores=$(nproc)
mkdir -p "$ROOT/bench/results"
printf '{"seconds":%s,"connections":%s,"tenants":%s,"deployments":%s,"streaming_share":0.5,"cores":%s,"one_node":{"rps":%s,"p50_ms":%s,"p99_ms":%s,"deadlocks":%s,"errors":%s},"three_nodes":{"rps":%s,"p50_ms":%s,"p99_ms":%s,"deadlocks":%s,"errors":%s}}\n' \
  "$SECONDS_PER_RUN" "$CONNECTIONS" "$TENANTS" "$((TENANTS * DEPLOYMENTS))" "$cores" \
  "$one" "$(p "$WORK/one.json" p50)" "$(p "$WORK/one.json" p99)" "$((d1 - d0))" "$bad_one" \
  "$three" "$three_p50" "$three_p99" "$((d3 - d2))" "$bad_three" >"$ROOT/bench/results/cluster-fleet.json"
cat "$ROOT/bench/results/cluster-fleet.json"
echo "1 node:   $one req/s, p50 $(p "$WORK/one.json" p50) ms, p99 $(p "$WORK/one.json" p99) ms, deadlocks $((d1 - d0)), errors $bad_one"
echo "3 nodes:  $three req/s, p50 ≤ $three_p50 ms, p99 ≤ $three_p99 ms (worst node), deadlocks $((d3 - d2)), errors $bad_three; $cores cores"
