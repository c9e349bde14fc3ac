#!/usr/bin/env bash
# Trigger capture against WAL capture (PLANK_CAPTURE=wal) on one PostgreSQL server, alternating the
# modes in one run. Per round: Plank started in one mode, then restarted in the other (the order
# alternates between rounds so machine drift hits both alike), and in each session
#   - pgbench single-row INSERTs, each its own transaction, with 1 and 8 writers (WRITERS), on the
#     uncaptured copy bench_wal_plain and on the captured table items;
#   - in WAL mode, while the writers run, how far the leader's log is behind them (sampled every
#     100 ms), and after they stop, how long until the log has their last commit (the drain);
#   - commit-to-client latency: the bench's fanout (one pipelined writer, CLIENTS subscribers) at
#     each rate in RATES changes/s.
# and a third session without Plank, the floor of any WAL reader: the same pgbench writers on a
# published copy (bench_wal_floor, REPLICA IDENTITY FULL) while pg_recvlogical reads its pgoutput
# slot and writes nothing anywhere. What WAL mode loses beyond the floor is Plank's leader.
# Prints every measurement, then medians over the rounds and the ratios.
#
#   bench/scripts/capture-wal.sh [PLANK_JAR] [SECONDS] [ROUNDS]     (defaults target/plank.jar 10 3)
#
# The server: DATABASE_URL's (default postgresql://postgres@127.0.0.1:5432/postgres) when it runs
# with wal_level=logical, else (or with PLANK_BENCH_PRIVATE_PG=1) a private PostgreSQL cluster this
# script creates with the machine's initdb/pg_ctl (pg_config --bindir; as the OS user postgres when
# run as root) on port PLANK_BENCH_PG_PORT (55432), wal_level=logical, and deletes at the end. The
# database plank_bench_wal (PLANK_BENCH_DATABASE) is recreated on it; its replication slot is
# dropped at the end. Needs both jars built (mvn package; mvn -f bench/pom.xml package), pgbench,
# psql and jq. Plank's log: /tmp/plank-capture-wal-server.log; every value measured, as TSV:
# bench/results/capture-wal-<UTC time>.tsv.
set -euo pipefail
jar=${1:-target/plank.jar} seconds=${2:-10} rounds=${3:-3}
bench=${BENCH_JAR:-bench/target/plank-bench.jar}
port=${PLANK_BENCH_PORT:-8000}
writers=${WRITERS:-1,8}
rates=${RATES:-1000,5000}
clients=${CLIENTS:-10}
latency_seconds=${LATENCY_SECONDS:-10}
dbname=${PLANK_BENCH_DATABASE:-plank_bench_wal}
bench_java=${BENCH_JAVA_OPTS--XX:+UseParallelGC}
log=/tmp/plank-capture-wal-server.log
work=$(mktemp -d)
chmod 755 "$work"
results=$work/results.tsv
server="" private=""

cleanup() {
  [[ -n $server ]] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
  if [[ -n ${url:-} ]]; then
    psql -q "$admin" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$dbname'" >/dev/null 2>&1 || true
    [[ -z $private ]] && psql -q "$admin" -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [[ -n $private ]] && as_pg "$bindir/pg_ctl" -D "$work/pgdata" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

admin=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
level=$(psql -Atq "$admin" -c 'SHOW wal_level' 2>/dev/null || echo none)
if [[ $level != logical || ${PLANK_BENCH_PRIVATE_PG:-} == 1 ]]; then
  bindir=$(pg_config --bindir)
  pgport=${PLANK_BENCH_PG_PORT:-55432}
  echo "# wal_level on $admin is '$level': starting a private PostgreSQL ($bindir) on port $pgport"
  mkdir -m 700 "$work/pgdata"
  [[ $(id -u) == 0 ]] && chown postgres "$work/pgdata" && chmod 777 "$work"
  as_pg "$bindir/initdb" -D "$work/pgdata" -U postgres --auth=trust >/dev/null
  as_pg "$bindir/pg_ctl" -D "$work/pgdata" -l "$work/postgres.log" -w \
    -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10" \
    start >/dev/null
  private=1
  admin=postgresql://postgres@127.0.0.1:$pgport/postgres
fi
url=${admin%/*}/$dbname
psql -q "$admin" -c "SET client_min_messages = warning" \
  -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$dbname'" \
  -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" -c "CREATE DATABASE $dbname" >/dev/null

echo "INSERT INTO items (name, value) VALUES ('pgbench', 1);" >"$work/captured.sql"
echo "INSERT INTO bench_wal_plain (name, value) VALUES ('pgbench', 1);" >"$work/plain.sql"
echo "INSERT INTO bench_wal_floor (name, value) VALUES ('pgbench', 1);" >"$work/floor.sql"

start_plank() { # mode
  PLANK_PORT=$port DATABASE_URL=$url PLANK_DEMO=true PLANK_CAPTURE=$1 \
    PLANK_MAX_CONNECTIONS=30000 PLANK_MAX_CONNECTIONS_PER_IP=30000 \
    java ${PLANK_JAVA_OPTS:-} -jar "$jar" >>"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "Plank ($1) exited, see $log" >&2; exit 1; }
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "Plank ($1) not ready, see $log" >&2; exit 1; }
  if [[ $1 == wal ]]; then wait_logged "$(mark)" 120 >/dev/null; fi
}

stop_plank() {
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

# A marker row in items; prints its id.
mark() { psql -Atq "$url" -c "INSERT INTO items (name, value) VALUES ('mark', 0) RETURNING id" | head -1; }

# Waits until the log has the change of items row $1, or a later one (logical decoding is in commit
# order, so then it has everything committed before); prints the time it saw it (epoch seconds).
wait_logged() { # id timeout-seconds
  psql -Atq "$url" -v id="$1" -v limit="$2" <<'SQL'
SELECT set_config('bench.id', :'id', false), set_config('bench.limit', :'limit', false) \g /dev/null
DO $$
DECLARE deadline timestamptz := clock_timestamp() + make_interval(secs => current_setting('bench.limit')::int);
BEGIN
  WHILE coalesce((SELECT max((data->>'id')::bigint) FROM (SELECT data FROM plank.changes WHERE table_name = 'items'
                  ORDER BY seq DESC LIMIT 100) s), 0) < current_setting('bench.id')::bigint LOOP
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the change log did not get row % in % s', current_setting('bench.id'), current_setting('bench.limit');
    END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
END $$;
SELECT extract(epoch FROM clock_timestamp());
SQL
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; echo "round $round $1 $2 $3: $4"; }

pgbench_tps() { # writers script
  pgbench -n -c "$1" -j "$(($1 < 2 ? 1 : 2))" -T "$seconds" -f "$work/$2.sql" "$url" 2>&1 | awk '/^tps/ {printf "%.0f", $3}'
}

# pgbench on items while sampling the leader's lag; records lag and drain.
pgbench_lagged() { # writers
  local w=$1 samples=$work/lag-$1.txt end last drained
  psql -Atq -F ' ' "$url" >"$samples" 2>/dev/null <<'SQL' &
SELECT extract(epoch FROM clock_timestamp()), (SELECT last_value FROM items_id_seq),
       (SELECT (data->>'id')::bigint FROM plank.changes WHERE table_name = 'items' ORDER BY seq DESC LIMIT 1),
       extract(epoch FROM clock_timestamp() - (SELECT ts FROM plank.changes ORDER BY seq DESC LIMIT 1))
\watch 0.1
SQL
  local watcher=$!
  record wal "$w" commits/s "$(pgbench_tps "$w" captured)"
  end=$(date +%s.%N)
  last=$(psql -Atq "$url" -c "SELECT last_value FROM items_id_seq")
  wait_logged "$last" 60 >/dev/null
  sleep 0.3 # one more sample or two
  kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null || true
  # From the sampler (one connection, every 100 ms): the first sample that has the last row; no
  # process start-up in between, which on a loaded machine would count as drain.
  drained=$(awk -v end="$end" -v last="$last" 'NF == 4 && $1 >= end && $3 >= last { printf "%.1f", $1 - end; exit }' "$samples")
  # While writing (after the first second): behind by how many commits, and by how much time.
  read -r lagp50 lagmax lagsec < <(awk -v end="$end" -v start="$(awk 'NF==4 {print $1; exit}' "$samples")" \
    'NF==4 && $1 > start + 1 && $1 < end { n++; lag[n] = $2 - $3; if ($2 - $3 > m) m = $2 - $3; if ($4 > s) s = $4 }
     END { asort(lag); printf "%d %d %.3f\n", n ? lag[int((n + 1) / 2)] : -1, m, s }' "$samples")
  record wal "$w" lag-commits-p50 "$lagp50"
  record wal "$w" lag-commits-max "$lagmax"
  record wal "$w" lag-seconds-max "$lagsec"
  record wal "$w" drain-seconds "$drained"
}

fanout() { # mode rate
  local out file
  out=$(java $bench_java -jar "$bench" fanout --clients "$clients" --rate "$2" --duration "$latency_seconds" \
    --url "http://127.0.0.1:$port" --database-url "$url" --pid "$server" 2>&1) || { echo "$out" >&2; exit 1; }
  file=$(grep -o '[^ ]*fanout-[^ ]*\.json' <<<"$out" | tail -1)
  record "$1" "$2" latency-p50 "$(jq -r '.results.latency.p50_ms' "$file" 2>/dev/null)"
  record "$1" "$2" latency-p99 "$(jq -r '.results.latency.p99_ms' "$file" 2>/dev/null)"
  record "$1" "$2" achieved-rate "$(jq -r '.results.achieved_rate' "$file" 2>/dev/null)"
  record "$1" "$2" delivered "$(jq -r '.results | "\(.delivered)/\(.expected)"' "$file" 2>/dev/null)"
}

session() { # mode
  start_plank "$1"
  for w in ${writers//,/ }; do
    record "$1" "$w" plain-commits/s "$(pgbench_tps "$w" plain)"
    if [[ $1 == wal ]]; then pgbench_lagged "$w"; else record trigger "$w" commits/s "$(pgbench_tps "$w" captured)"; fi
  done
  for r in ${rates//,/ }; do fanout "$1" "$r"; done
  stop_plank
}

# No Plank: pg_recvlogical reads the floor table's slot while pgbench writes to it.
floor_session() {
  "$(pg_config --bindir)/pg_recvlogical" -d "$url" --slot bench_floor --start -o proto_version=1 \
    -o publication_names=bench_floor -f /dev/null &
  local reader=$! n
  for _ in $(seq 1 100); do
    n=$(psql -Atq "$url" -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_recvlogical'")
    [[ $n == 1 ]] && break
    sleep 0.1
  done
  [[ $n == 1 ]] || { echo "pg_recvlogical did not start reading the slot bench_floor" >&2; exit 1; }
  for w in ${writers//,/ }; do record floor "$w" commits/s "$(pgbench_tps "$w" floor)"; done
  kill "$reader"; wait "$reader" 2>/dev/null || true
}

echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $url, $seconds s per pgbench run, $rounds rounds"
# The first start creates items; the copy is made from it, then every session sees both.
start_plank trigger; stop_plank
psql -q "$url" -c "CREATE TABLE bench_wal_plain (LIKE items INCLUDING ALL)" \
  -c "INSERT INTO items (name, value) SELECT 'seed', g FROM generate_series(1, 10000) g" \
  -c "INSERT INTO bench_wal_plain (name, value) SELECT 'seed', g FROM generate_series(1, 10000) g" \
  -c "CREATE TABLE bench_wal_floor (LIKE items INCLUDING ALL)" \
  -c "ALTER TABLE bench_wal_floor REPLICA IDENTITY FULL" \
  -c "INSERT INTO bench_wal_floor (name, value) SELECT 'seed', g FROM generate_series(1, 10000) g" \
  -c "CREATE PUBLICATION bench_floor FOR TABLE bench_wal_floor" \
  -c "SELECT pg_create_logical_replication_slot('bench_floor', 'pgoutput')" >/dev/null
for round in $(seq 1 "$rounds"); do
  if ((round % 2)); then session trigger; session wal; floor_session; else floor_session; session wal; session trigger; fi
  echo "# after round $round: load $(cut -d' ' -f1-3 /proc/loadavg)"
done

keep=$(cd "$(dirname "$bench")/.." && pwd)/results/capture-wal-$(date -u +%Y%m%dT%H%M%SZ).tsv
mkdir -p "$(dirname "$keep")" && cp "$results" "$keep"

median() { sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
get() { awk -F'\t' -v m="$1" -v k="$2" -v q="$3" '$1 == m && $2 == k && $3 == q {print $4}' "$results" | median; }
all() { awk -F'\t' -v m="$1" -v k="$2" -v q="$3" '$1 == m && $2 == k && $3 == q {printf "%s%s", sep, $4; sep = ", "}' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo
echo "Medians of $rounds rounds (each round's values in brackets); ratios against the uncaptured table in trigger-mode"
echo "sessions, and (last column) against the uncaptured table measured just before in the same WAL-mode session."
echo
echo "| writers | uncaptured commits/s | trigger | WAL | trigger / uncaptured | WAL / uncaptured | uncaptured, WAL leader running | WAL / that | floor: pg_recvlogical, no Plank | floor / uncaptured |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for w in ${writers//,/ }; do
  p=$(get trigger "$w" plain-commits/s) t=$(get trigger "$w" commits/s) l=$(get wal "$w" commits/s) q=$(get wal "$w" plain-commits/s) f=$(get floor "$w" commits/s)
  echo "| $w | $p [$(all trigger "$w" plain-commits/s)] | $t [$(all trigger "$w" commits/s)] | $l [$(all wal "$w" commits/s)] | $(ratio "$t" "$p") | $(ratio "$l" "$p") | $q [$(all wal "$w" plain-commits/s)] | $(ratio "$l" "$q") | $f [$(all floor "$w" commits/s)] | $(ratio "$f" "$p") |"
done
echo
echo "| WAL leader, full speed | behind by (commits) p50 / max | behind by (s) max | drain after the writers stop (s) |"
echo "| --- | --- | --- | --- |"
for w in ${writers//,/ }; do
  echo "| $w writers | $(get wal "$w" lag-commits-p50) / $(get wal "$w" lag-commits-max) | $(get wal "$w" lag-seconds-max) | $(get wal "$w" drain-seconds) [$(all wal "$w" drain-seconds)] |"
done
echo
echo "| changes/s | trigger p50 / p99 ms | WAL p50 / p99 ms | WAL / trigger p50 | delivered trigger / WAL |"
echo "| --- | --- | --- | --- | --- |"
for r in ${rates//,/ }; do
  tp=$(get trigger "$r" latency-p50) wp=$(get wal "$r" latency-p50)
  echo "| $r (achieved $(get trigger "$r" achieved-rate) / $(get wal "$r" achieved-rate)) | $tp / $(get trigger "$r" latency-p99) | $wp / $(get wal "$r" latency-p99) | $(ratio "$wp" "$tp") | $(all trigger "$r" delivered) / $(all wal "$r" delivered) |"
done
echo
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg); every value: $keep"
