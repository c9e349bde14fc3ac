#!/usr/bin/env bash
# Issue 15's benchmark row: the same fanout through Plank's own protocol (/ws) and through the
# Supabase Realtime endpoint (/realtime/v1/websocket, postgres_changes), alternating against one
# server in one run, with medians per protocol and the ratio of CPU per delivery. Usage:
#   bench/scripts/supabase-vs-plank.sh [PLANK_JAR] [-- fanout flags]
#   bench/scripts/supabase-vs-plank.sh target/plank.jar -- --rounds 5 --duration 20 --vsn 2.0.0
# Defaults: --clients 1000 --rate 20 --duration 20 --rounds 5 --protocol plank,supabase, each
# unless given. Recreates the database plank_bench_supabase (PLANK_BENCH_DATABASE), starts the jar on
# port 18800 (PLANK_BENCH_PORT) with PLANK_DEMO=true; its log: /tmp/plank-supabase-server.log.
set -euo pipefail
jar=target/plank.jar
if [[ $# -gt 0 && $1 != -- ]]; then jar=$1; shift; fi
[[ ${1:-} == -- ]] && shift
bench=${BENCH_JAR:-bench/target/plank-bench.jar}
port=${PLANK_BENCH_PORT:-18800}
db=${PLANK_BENCH_DATABASE:-plank_bench_supabase}
export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$db
export PLANK_DEMO=true
export PLANK_MAX_CONNECTIONS=${PLANK_MAX_CONNECTIONS:-30000}
export PLANK_MAX_CONNECTIONS_PER_IP=${PLANK_MAX_CONNECTIONS_PER_IP:-30000}
ulimit -n "$(ulimit -Hn)"
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
# shellcheck disable=SC2086 # options are words
PLANK_PORT=$port java ${PLANK_JAVA_OPTS:-} -jar "$jar" >/tmp/plank-supabase-server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "Plank did not become ready, see /tmp/plank-supabase-server.log" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
flags=("$@")
for default in --clients=1000 --rate=20 --duration=20 --rounds=5 --protocol=plank,supabase; do
  given=false
  for f in "$@"; do [[ $f == "${default%%=*}" || $f == "${default%%=*}="* ]] && given=true; done
  $given || flags+=("$default")
done
# shellcheck disable=SC2086 # options are words
java ${BENCH_JAVA_OPTS--XX:+UseParallelGC} -jar "$bench" fanout --url "http://127.0.0.1:$port" \
  --pid "$server" "${flags[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
