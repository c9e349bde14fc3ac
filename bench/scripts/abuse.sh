#!/usr/bin/env bash
# Runs the abuse scenario against one Plank jar: a fresh database, the scenario's tables created
# and filled before Plank starts (Plank captures only tables that exist at start-up), Plank
# started on them, the scenario run, Plank stopped. Usage:
#   bench/scripts/abuse.sh [PLANK_JAR] [-- abuse flags]
#   bench/scripts/abuse.sh target/plank.jar -- --phase-seconds 20
# PLANK_JAR defaults to target/plank.jar. PLANK_BENCH_PORT (8000) is Plank's port,
# PLANK_BENCH_DATABASE (plank_bench_abuse) the database it recreates, PLANK_JAVA_OPTS the server's
# JVM options, BENCH_JAVA_OPTS the load generator's (default -XX:+UseParallelGC, see README).
# Plank's own settings (PLANK_*) pass through from the environment, e.g. the limits under test.
set -euo pipefail
jar=target/plank.jar
if [[ $# -gt 0 && $1 != -- ]]; then jar=$1; shift; fi
if [[ $# -gt 0 && $1 == -- ]]; then shift; fi
bench=${BENCH_JAR:-bench/target/plank-bench.jar}
port=${PLANK_BENCH_PORT:-8000}
db=${PLANK_BENCH_DATABASE:-plank_bench_abuse}
log=${PLANK_BENCH_LOG:-/tmp/plank-abuse-server.log}
# The scenario's default tables; do not pass --table, --big-table or --small-table to this script.
tables=items,bench_abuse_big,bench_abuse_small
export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$db
for f in "$jar" "$bench"; do
  [[ -f $f ]] || { echo "abuse.sh: $f not found (build it first, see bench/README.md)" >&2; exit 1; }
done

psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
# shellcheck disable=SC2086 # options are words
java ${BENCH_JAVA_OPTS--XX:+UseParallelGC} -jar "$bench" abuse --prepare-only "$@"

# PLANK_DEMO creates the demo table items (the canary's channel) on the fresh database.
# shellcheck disable=SC2086 # options are words
PLANK_DEMO=true PLANK_TABLES=$tables PLANK_PORT=$port java ${PLANK_JAVA_OPTS:-} -jar "$jar" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "abuse.sh: Plank exited, see $log:" >&2; tail -5 "$log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "abuse.sh: Plank not ready after 30 s, see $log" >&2; exit 1; }
echo "abuse.sh: Plank pid $server on port $port, database $db, log $log"

# shellcheck disable=SC2086 # options are words
java ${BENCH_JAVA_OPTS--XX:+UseParallelGC} -jar "$bench" abuse "$@" --url "http://127.0.0.1:$port"
