#!/usr/bin/env bash
# The kernel's floor for fanout on this machine (bench/floor/floor.c): one process writes a
# BYTES-byte message to each of CLIENTS loopback TCP connections RATE times a second for SECONDS,
# another reads them with epoll. No WebSocket, no JSON, no database, no JVM: the least CPU per
# delivery and the lowest latency any server can reach here. Usage:
#   bench/scripts/floor.sh CLIENTS RATE SECONDS [BYTES] [RUNS]
#   bench/scripts/floor.sh 1000 20 10          # beside: fanout --clients 1000 --rate 20
set -euo pipefail
clients=${1:?CLIENTS} rate=${2:?RATE} seconds=${3:?SECONDS} bytes=${4:-256} runs=${5:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${TMPDIR:-/tmp}/plank-floor
gcc -O2 -Wall -o "$bin" "$here/floor/floor.c"
ulimit -n "$(ulimit -Hn)"
for i in $(seq 1 "$runs"); do
  echo "run $i:"
  "$bin" "$clients" "$rate" "$seconds" "$bytes" | sed 's/^/  /'
done
