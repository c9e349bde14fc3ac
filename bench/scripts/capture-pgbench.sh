#!/usr/bin/env bash
# The capture scenario's single-row commits with a lighter writer: pgbench (C, libpq) instead of
# the bench's JVM, one connection, each INSERT its own transaction, on the captured table and on
# an uncaptured copy, alternating. Shows what capture costs once the writer's own overhead is
# small. Run it with Plank running against the same database (so NOTIFYs have a listener).
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/plank_bench bench/scripts/capture-pgbench.sh [SECONDS] [RUNS] [WRITERS]
# WRITERS: comma-separated pgbench connection counts (default 1), e.g. 1,8: each commit's NOTIFY
# takes a cluster-wide lock until the commit is done, so captured commits serialise.
# Creates the table pgbench_items_plain (LIKE items INCLUDING ALL) and drops it at the end; the
# rows it inserts into items (name 'pgbench') stay.
set -euo pipefail
seconds=${1:-5} runs=${2:-3} writers=${3:-1}
url=${DATABASE_URL:?set DATABASE_URL}
work=$(mktemp -d)
trap 'psql -q "$url" -c "DROP TABLE IF EXISTS pgbench_items_plain" >/dev/null; rm -rf "$work"' EXIT
psql -q "$url" -c "DROP TABLE IF EXISTS pgbench_items_plain" -c "CREATE TABLE pgbench_items_plain (LIKE items INCLUDING ALL)" >/dev/null
echo "INSERT INTO items (name, value) VALUES ('pgbench', 1);" >"$work/captured.sql"
echo "INSERT INTO pgbench_items_plain (name, value) VALUES ('pgbench', 1);" >"$work/plain.sql"
for w in ${writers//,/ }; do
  for i in $(seq 1 "$runs"); do
    for table in captured plain; do
      tps=$(pgbench -n -c "$w" -j "$(( w < 2 ? 1 : 2 ))" -T "$seconds" -f "$work/$table.sql" "$url" 2>&1 | awk '/^tps/ {printf "%.0f", $3}')
      echo "writers $w run $i $table: $tps commits/s"
    done
  done
done
