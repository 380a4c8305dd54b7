#!/usr/bin/env bash
# Throughput of two Meridian nodes against one, on PostgreSQL + Redis, against the simulator upstream.
#
#   ./build.sh services -- bench/cluster.sh [SECONDS] [CONNECTIONS]
#
# Needs MERIDIAN_TEST_POSTGRES and MERIDIAN_TEST_REDIS (./build.sh services sets them) and wrk. Each run uses fresh
# schemas and a fresh Redis prefix. 1 node: wrk with C connections on it. 2 nodes: two wrk processes, C/2 connections
# each, one per node, at the same time; their throughputs add up. The result is printed and written to
# bench/results/cluster.json. On a machine with fewer cores than nodes + load generators the nodes share CPUs, and
# the ratio measures that, not the design: read it with the core count printed next to it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-32}
: "${MERIDIAN_TEST_POSTGRES:?run through ./build.sh services -- bench/cluster.sh}"
: "${MERIDIAN_TEST_REDIS:?run through ./build.sh services -- bench/cluster.sh}"
command -v wrk >/dev/null || { echo "bench/cluster.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/meridian-cluster-bench.XXXXXX")"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

"$ROOT/meridian" --help >/dev/null # builds once if stale, before anything is timed
CLI="$ROOT/artifacts/bin/Meridian.Cli/release/meridian"
KEY=mk-bench001-ClusterBenchKey0123456789ab
export MERIDIAN_ADMIN_TOKEN=mat-bench-cluster-0123456789abcdef MERIDIAN_DEMO_KEY=$KEY MERIDIAN_UPSTREAM_API_KEY=bench

wait_up() { until curl -sf "http://127.0.0.1:$1/healthz" >/dev/null; do sleep 0.2; done; }
"$CLI" simulate --port 19090 >"$WORK/simulator.log" 2>&1 & PIDS+=($!)
until (echo >/dev/tcp/127.0.0.1/19090) 2>/dev/null; do sleep 0.2; done

start_node() { # start_node PORT DATA PREFIX
  "$CLI" serve --port "$1" --data "$2" --upstream http://127.0.0.1:19090 --store postgres --postgres "$MERIDIAN_TEST_POSTGRES" \
    --postgres-schema "$3" --redis "$MERIDIAN_TEST_REDIS" --redis-prefix "$3:" --nodes 2 >"$WORK/node-$1.log" 2>&1 & PIDS+=($!)
  wait_up "$1"
  # No quota in the way: the point is the gateway's own throughput.
  curl -sf -X PUT "http://127.0.0.1:$1/admin/v1/deployments/dep_demo/limits" -H "authorization: Bearer $MERIDIAN_ADMIN_TOKEN" \
    -H 'content-type: application/json' -d '{"rpm":1000000,"input_tpm":1000000000,"output_tpm":1000000000}' >/dev/null
}

printf '{"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}' >"$WORK/body.json"
load() { # load PORT CONNECTIONS OUT
  BENCH_BODY_FILE="$WORK/body.json" BENCH_HEADERS="x-api-key: $KEY" BENCH_OUT="$3" \
    wrk -t1 -c"$2" -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$ROOT/bench/harness/request.lua" "http://127.0.0.1:$1" >/dev/null
}
rps() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(d["requests"]/(d["duration_us"]/1e6),1))' "$1"; }
errors() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(d["errors"].values()))' "$1"; }

prefix="bench$RANDOM$RANDOM"
start_node 18180 "$WORK/a" "$prefix"
load 18180 "$CONNECTIONS" "$WORK/warm.json"                     # warm-up, not counted
load 18180 "$CONNECTIONS" "$WORK/one.json"
cp -r "$WORK/a" "$WORK/b"                                        # the node secrets, as the README does
start_node 18181 "$WORK/b" "$prefix"
load 18181 "$((CONNECTIONS / 2))" "$WORK/warm-b.json"            # warm node B up alone
load 18180 "$((CONNECTIONS / 2))" "$WORK/two-a.json" & first=$!
load 18181 "$((CONNECTIONS / 2))" "$WORK/two-b.json"
wait "$first"

one=$(rps "$WORK/one.json"); two_a=$(rps "$WORK/two-a.json"); two_b=$(rps "$WORK/two-b.json")
two=$(python3 -c "print(round($two_a + $two_b, 1))")
ratio=$(python3 -c "print(round(($two_a + $two_b) / $one, 2))")
bad=$(( $(errors "$WORK/one.json") + $(errors "$WORK/two-a.json") + $(errors "$WORK/two-b.json") ))
cores=$(nproc)
mkdir -p "$ROOT/bench/results"
printf '{"seconds":%s,"connections":%s,"cores":%s,"one_node_rps":%s,"two_nodes_rps":%s,"node_a_rps":%s,"node_b_rps":%s,"ratio":%s,"errors":%s,"store":"postgres","upstream":"meridian simulate"}\n' \
  "$SECONDS_PER_RUN" "$CONNECTIONS" "$cores" "$one" "$two" "$two_a" "$two_b" "$ratio" "$bad" >"$ROOT/bench/results/cluster.json"
echo "1 node:  $one req/s ($CONNECTIONS connections)"
echo "2 nodes: $two req/s ($two_a + $two_b, $((CONNECTIONS / 2)) connections each) = ${ratio}x one node, on $cores cores; wrk errors/non-2xx: $bad"
