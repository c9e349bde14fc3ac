#!/usr/bin/env bash
# Runs one bench scenario against two Plank jars, alternating, N times each, on a fresh database
# per run, and prints every result row. Usage:
#   bench/scripts/compare.sh BEFORE.jar AFTER.jar RUNS -- fanout --clients 1000 --rate 20 --duration 20
# BEFORE_JAVA_OPTS / AFTER_JAVA_OPTS give each side its JVM options (the same jar twice compares
# JVM settings); BENCH_JAVA_OPTS the load generator's (default -XX:+UseParallelGC, see README).
set -euo pipefail
before=$1 after=$2 runs=$3; shift 4
bench=${BENCH_JAR:-bench/target/plank-bench.jar}
port=${PLANK_BENCH_PORT:-8000}
export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/plank_bench
# The demo table items on the fresh database (a setting, not --demo: older jars ignore it).
export PLANK_DEMO=true
# The bench connects from one address, many times a second: lift the per-client connection caps
# (older jars ignore the settings). An abuse scenario that wants the defaults overrides them.
export PLANK_MAX_CONNECTIONS=${PLANK_MAX_CONNECTIONS:-30000}
export PLANK_MAX_CONNECTIONS_PER_IP=${PLANK_MAX_CONNECTIONS_PER_IP:-30000}
for i in $(seq 1 "$runs"); do
  for label in before after; do
    jar=$before opts=${BEFORE_JAVA_OPTS:-}
    [[ $label == after ]] && jar=$after opts=${AFTER_JAVA_OPTS:-}
    psql -q -h 127.0.0.1 -U postgres -c 'DROP DATABASE IF EXISTS plank_bench WITH (FORCE)' -c 'CREATE DATABASE plank_bench' >/dev/null
    # shellcheck disable=SC2086 # options are words
    PLANK_PORT=$port java $opts -jar "$jar" >/tmp/plank-compare-server.log 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
    # shellcheck disable=SC2086 # options are words
    row=$(java ${BENCH_JAVA_OPTS--XX:+UseParallelGC} -jar "$bench" "$@" --url "http://127.0.0.1:$port" 2>&1 | grep '^| [0-9]' | tail -1)
    echo "$label run $i: $row"
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
