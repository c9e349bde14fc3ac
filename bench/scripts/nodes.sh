#!/usr/bin/env bash
# Starts N Plank nodes on one fresh database, runs a fanout across all of them (its clients spread
# round-robin, the nodes' CPU summed), and stops them. Usage:
#   bench/scripts/nodes.sh N [PLANK_JAR] [-- fanout flags]
#   bench/scripts/nodes.sh 3 target/plank.jar -- --clients 1000 --rate 20 --duration 20
# Nodes listen on PLANK_BENCH_PORT (default 18900), +1, +2, …; the database is
# PLANK_BENCH_DATABASE (default plank_bench_nodes), dropped and recreated; node i logs to
# /tmp/plank-nodes-server-<i>.log. BENCH_JAVA_OPTS: the load generator's JVM options (default
# -XX:+UseParallelGC, see bench/README.md); PLANK_JAVA_OPTS: the nodes'. Prints the result row.
set -euo pipefail
nodes=${1:?usage: nodes.sh N [PLANK_JAR] [-- fanout flags]}; shift
jar=target/plank.jar
if [[ $# -gt 0 && $1 != -- ]]; then jar=$1; shift; fi
[[ $# -gt 0 && $1 == -- ]] && shift
bench=${BENCH_JAR:-bench/target/plank-bench.jar}
base=${PLANK_BENCH_PORT:-18900}
db=${PLANK_BENCH_DATABASE:-plank_bench_nodes}
export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$db
export PLANK_DEMO=true
export PLANK_MAX_CONNECTIONS=${PLANK_MAX_CONNECTIONS:-30000}
export PLANK_MAX_CONNECTIONS_PER_IP=${PLANK_MAX_CONNECTIONS_PER_IP:-30000}
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null

pids=() urls=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; }
trap stop EXIT
for i in $(seq 0 $((nodes - 1))); do
  port=$((base + i))
  # shellcheck disable=SC2086 # options are words
  PLANK_PORT=$port PLANK_NODE_ID=bench-$i java ${PLANK_JAVA_OPTS:-} -jar "$jar" >"/tmp/plank-nodes-server-$i.log" 2>&1 &
  pids+=($!) urls+=("http://127.0.0.1:$port")
done
for i in "${!urls[@]}"; do
  ready=
  for _ in $(seq 1 150); do curl -sf "${urls[$i]}/ready" >/dev/null && ready=1 && break; sleep 0.2; done
  [[ -n $ready ]] || { echo "node $i (${urls[$i]}) not ready in 30 s: see /tmp/plank-nodes-server-$i.log" >&2; exit 1; }
done
url_list=$(IFS=,; echo "${urls[*]}") pid_list=$(IFS=,; echo "${pids[*]}")
# shellcheck disable=SC2086 # options are words
java ${BENCH_JAVA_OPTS--XX:+UseParallelGC} -jar "$bench" fanout --url "$url_list" --pid "$pid_list" "$@"
