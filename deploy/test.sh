#!/usr/bin/env bash
# The container image and the compose stack, tested with podman (no Docker daemon needed):
#
#   deploy/test.sh        (as root; after `mvn -B verify` or `mvn package` filled ~/.m2)
#
# 1. Builds local stand-ins for the public base images from Debian packages, once per machine
#    (deploy/stand-ins/build.sh: debootstrap from Debian's mirror; later runs reuse them).
# 2. Builds the Plank image from the Dockerfile on them, with the machine's Maven repository
#    mounted (the build stage cannot reach Maven Central here), and runs it with host networking
#    against the machine's PostgreSQL (a fresh database): /ready, non-root, the health check,
#    exit 0 on SIGTERM; and without DATABASE_URL, the one line that asks for it.
# 3. Brings compose.yaml up (with deploy/compose.stand-ins.yaml) in a network namespace of its
#    own, subscribes two WebSocket clients through the balancer (one per node), writes a row
#    into the stack's PostgreSQL and waits for both to receive it; fetches the dashboard page
#    through the balancer. Then a rolling restart: two clients follow rows written all along
#    while each node in turn drains on SIGTERM and starts again; each must get every row once,
#    in order, and have been moved by a 1012 close at least once (deploy/rolling-check.mjs).
# 4. Tears everything down, also on failure (and prints the containers' logs then).
#
# Settings: PGURL (the machine's PostgreSQL, default postgresql://postgres@127.0.0.1:5432),
# MAVEN_REPO (default ~/.m2), PLANK_IMAGE_CACHE (stand-ins' archives, /var/cache/plank-images).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=${DEPLOY_TEST_T0:-$(date +%s)}
say() { printf '[deploy/test %3ds] %s\n' $(($(date +%s) - T0)) "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}
# Waits until a command succeeds: wait_for <seconds> <what> <command…>
wait_for() {
  local seconds=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$what: not within $seconds s"
    sleep 0.25
  done
}
ready() { curl -fsS "$1/ready"; }

STAND_IN_TAG=bookworm-r1 # deploy/stand-ins/build.sh: RECIPE
IMAGE=localhost/plank:test

# ---- 3. the compose stack: run by the part below in a network namespace of its own ----------
if [ "${1:-}" = --compose-in-namespace ]; then
  project=$2
  marker="deploy-test-$project"
  ip link set lo up
  compose=(podman-compose -p "$project" -f compose.yaml -f deploy/compose.stand-ins.yaml)
  container() { podman ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1"; }
  down() {
    local status=$?
    if [ $status -ne 0 ]; then
      for service in postgres plank1 plank2 balancer; do
        say "logs of $service:"
        podman logs --tail 30 "$(container "$service")" 2>&1 | sed 's/^/    /' || true
      done
    fi
    touch "$WORK/stop" # ends the rolling restart's writer, if it runs
    kill "${clients[@]}" 2>/dev/null || true
    "${compose[@]}" down -v >"$WORK/down.log" 2>&1 || say "podman-compose down failed: see $WORK/down.log"
    podman network rm -f "${project}_default" >/dev/null 2>&1 || true
    # Podman's DNS server (aardvark-dns) can outlive the stack's network (seen once, with the
    # network's file still there): the next run's podman would take it as running and hand it its
    # own network, unreachable from this dead namespace, and its containers would resolve no
    # names. Stop ours, and drop what it kept of our network.
    local dns=/run/containers/networks/aardvark-dns pid
    pid=$(cat "$dns/aardvark.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ]; then
      say "aardvark-dns (pid $pid) still runs in this namespace after the stack's removal: stopping it"
      kill "$pid" 2>/dev/null || true
      rm -f "$dns/${project}_default" "$dns/aardvark.pid"
    fi
    say "compose stack removed"
    exit $status
  }
  clients=()
  trap down EXIT
  start=$SECONDS
  "${compose[@]}" up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "podman-compose up"; }
  say "compose: postgres, plank1, plank2 and balancer created"
  for node in plank1 plank2; do
    wait_for 120 "$node's health check (/ready)" podman healthcheck run "$(container "$node")"
  done
  wait_for 30 "/ready through the balancer" ready http://127.0.0.1:8080
  # The nodes' own health checks pass a moment before HAProxy's do: until it has seen both up, it
  # would send every client to the first one. Its log's last word on each server must not be DOWN.
  for node in plank1 plank2; do
    wait_for 30 "the balancer to count $node in" bash -c \
      "! podman logs $(container balancer) 2>&1 | grep -E 'plank/$node.* is (UP|DOWN)' | tail -1 | grep -q ' is DOWN'"
  done
  say "compose stack ready in $((SECONDS - start)) s: both nodes healthy, /ready through the balancer"

  wal_level=$(podman exec "$(container postgres)" psql -tA -U postgres -d plank -c 'SHOW wal_level')
  [ "$wal_level" = logical ] || fail "the stack's PostgreSQL has wal_level=$wal_level, not logical"
  page=$(curl -fsS http://127.0.0.1:8080/) || fail "GET / through the balancer"
  grep -qi '<!doctype html>' <<<"$page" || fail "GET / through the balancer is not the dashboard"
  curl -fsS -o /dev/null http://127.0.0.1:8080/plank-client.js || fail "the dashboard's client script"
  say "the dashboard page and its client script through the balancer"

  # Two clients at once: with leastconn the second goes to the other node.
  for i in 1 2; do
    node --experimental-websocket deploy/ws-check.mjs http://127.0.0.1:8080 "$marker" 60 \
      >"$WORK/client$i.log" 2>&1 &
    clients+=($!)
    wait_for 30 "WebSocket client $i subscribed through the balancer" \
      grep -q '^subscribed' "$WORK/client$i.log"
  done
  podman exec "$(container postgres)" psql -q -U postgres -d plank \
    -c "INSERT INTO items (name, value) VALUES ('$marker', 42)" || fail "INSERT into the stack's PostgreSQL"
  for i in 1 2; do
    wait "${clients[$((i - 1))]}" || { cat "$WORK/client$i.log"; fail "WebSocket client $i"; }
    say "client $i: $(grep '^received' "$WORK/client$i.log")"
  done
  clients=()
  curl -fsS "http://127.0.0.1:8080/api/items?limit=1000" | grep -q "\"$marker\"" ||
    fail "the row is not in /api/items through the balancer"
  # HAProxy logs a tunnelled WebSocket when it ends: which node served each?
  wait_for 10 "the balancer's log of both WebSockets" \
    bash -c "[ \$(podman logs $(container balancer) 2>&1 | grep -c 'GET /ws') -ge 2 ]"
  served=$(podman logs "$(container balancer)" 2>&1 | grep 'GET /ws' | grep -o 'plank/plank[12]' | sort -u | tr '\n' ' ')
  [ "$served" = "plank/plank1 plank/plank2 " ] || fail "the WebSockets were not spread over both nodes ($served)"
  say "a row written to PostgreSQL (wal_level=logical) reached a WebSocket client on each node through the balancer, and /api/items"

  # Rolling restart: two clients (one per node) follow rows that a writer inserts all along,
  # while each node in turn is stopped (SIGTERM: it drains, its clients get 1012 and move to the
  # other node with their cursors) and started again, the next one only once the balancer sends
  # the restarted one clients again. Every row must reach each client once, in order.
  start=$SECONDS
  rolling="rolling-$project"
  for i in 1 2; do
    node --experimental-websocket deploy/rolling-check.mjs http://127.0.0.1:8080 "$rolling" 180 \
      >"$WORK/rolling$i.log" 2>&1 &
    clients+=($!)
    wait_for 30 "rolling-restart client $i subscribed" grep -q '^subscribed' "$WORK/rolling$i.log"
  done
  # Rows 1, 2, … (about 20 a second, each its own transaction) until $WORK/stop appears, then
  # the row "<marker>-end" with the count: one psql session fed line by line.
  writer() {
    local n=0
    while [ ! -e "$WORK/stop" ]; do
      n=$((n + 1))
      echo "INSERT INTO items (name, value) VALUES ('$rolling', $n);"
      sleep 0.05 # the pace of the writes, not a wait for anything
    done
    echo "INSERT INTO items (name, value) VALUES ('$rolling-end', $n);"
    echo "$n" >"$WORK/written"
  }
  writer | podman exec -i "$(container postgres)" psql -q -v ON_ERROR_STOP=1 -U postgres -d plank \
    >"$WORK/writer.log" 2>&1 &
  writer_pid=$!
  clients+=($writer_pid)
  for i in 1 2; do
    wait_for 30 "rolling-restart client $i receiving rows" grep -q 'first row' "$WORK/rolling$i.log"
  done
  say "rolling restart: two clients through the balancer follow a writer's rows (~20/s)"
  balancer_log() { podman logs "$(container balancer)" 2>&1; }
  for service in plank1 plank2; do
    id=$(container "$service")
    ups=$(balancer_log | grep -c "plank/$service is UP" || true)
    t=$SECONDS
    "${compose[@]}" stop -t 30 "$service" >>"$WORK/restart.log" 2>&1 || fail "podman-compose stop $service"
    code=$(podman inspect --format '{{.State.ExitCode}}' "$id")
    [ "$code" = 0 ] || fail "$service exited with $code after SIGTERM"
    say "  $service drained and stopped in $((SECONDS - t)) s (exit code 0)"
    t=$SECONDS
    "${compose[@]}" start "$service" >>"$WORK/restart.log" 2>&1 || fail "podman-compose start $service"
    wait_for 120 "$service's health check after its restart" podman healthcheck run "$id"
    wait_for 30 "the balancer to send $service clients again" \
      bash -c "[ \$(podman logs $(container balancer) 2>&1 | grep -c 'plank/$service is UP') -gt $ups ]"
    say "  $service started, ready and back in the balancer in $((SECONDS - t)) s"
  done
  touch "$WORK/stop"
  wait "$writer_pid" || { cat "$WORK/writer.log"; fail "the writer (psql in the stack's PostgreSQL)"; }
  for i in 1 2; do
    wait "${clients[$((i - 1))]}" || { cat "$WORK/rolling$i.log"; fail "rolling-restart client $i"; }
    sed 's/^/    /' "$WORK/rolling$i.log"
  done
  clients=()
  say "rolling restart of both nodes in $((SECONDS - start)) s: each client got all $(cat "$WORK/written") rows once, in order, across its 1012 closes"
  exit 0
fi

# ---- 1. stand-in base images ----------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and rootful podman)"
for tool in podman podman-compose debootstrap runc unshare curl psql node; do
  command -v $tool >/dev/null || fail "$tool is missing (.ci/run installs it)"
done
WORK=$(mktemp -d /tmp/plank-deploy-test.XXXXXX)
export WORK DEPLOY_TEST_T0=$T0
# The sandbox has no CAP_SYS_RESOURCE and mixed cgroups: no default ulimits, runc, cgroupfs.
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' \
  >"$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
PGURL=${PGURL:-postgresql://postgres@127.0.0.1:5432}
DB=plank_deploy_test
cid=
cleanup() {
  local status=$?
  if [ -n "$cid" ]; then
    [ $status -eq 0 ] || podman logs --tail 30 "$cid" 2>&1 | sed 's/^/    /'
    podman rm -f -t 5 "$cid" >/dev/null 2>&1 || true
  fi
  psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  if [ $status -eq 0 ]; then say "PASS"; else say "FAILED"; fi
  exit $status
}
trap cleanup EXIT

start=$SECONDS
deploy/stand-ins/build.sh | sed 's/^/    /'
say "stand-in base images ready in $((SECONDS - start)) s"

# ---- 2. the image, on the machine's PostgreSQL ----------------------------------------------
start=$SECONDS
podman build -q --isolation chroot --format docker --network=host \
  -v "${MAVEN_REPO:-$HOME/.m2}:/root/.m2" \
  --build-arg BUILD_IMAGE=localhost/plank-stand-in/jdk:$STAND_IN_TAG \
  --build-arg RUNTIME_IMAGE=localhost/plank-stand-in/jre:$STAND_IN_TAG \
  --build-arg MAVEN_FLAGS=-o -t $IMAGE . >"$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log"; fail "podman build (offline: run mvn -B package on the machine first)"; }
size=$(podman image inspect --format '{{.Size}}' $IMAGE)
base=$(podman image inspect --format '{{.Size}}' localhost/plank-stand-in/jre:$STAND_IN_TAG)
say "image $IMAGE built in $((SECONDS - start)) s: $((size / 1000000)) MB, $(((size - base) / 1000000)) MB over its JRE base"

PGOPTIONS='-c client_min_messages=warning' psql -q "$PGURL/postgres" \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" ||
  fail "cannot create the database $DB on $PGURL"
port=18080
while (: </dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
start=$SECONDS
cid=$(podman run -d --network=host -e DATABASE_URL="$PGURL/$DB" -e PLANK_PORT=$port \
  -e PLANK_HOST=127.0.0.1 -e PLANK_DEMO=true $IMAGE 2>>"$WORK/podman.log")
wait_for 120 "/ready of the container" ready http://127.0.0.1:$port
say "container started to /ready in $((SECONDS - start)) s (host network, port $port, database $DB)"
uid=$(podman exec "$cid" id -u)
[ "$uid" != 0 ] || fail "the container runs as root"
podman healthcheck run "$cid" >/dev/null || fail "the image's health check failed while /ready answers"
say "runs as uid $uid ($(podman exec "$cid" id -un)); the image's health check passes"
podman stop -t 30 "$cid" >/dev/null 2>>"$WORK/podman.log"
code=$(podman inspect --format '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
podman rm "$cid" >/dev/null 2>>"$WORK/podman.log"
cid=
say "SIGTERM: exit code 0"

expected="plank: cannot start: DATABASE_URL is not set, and this build of Plank has no embedded PostgreSQL: set DATABASE_URL=postgresql://user:password@host:5432/database"
# Detached, so that the output is the container's alone, without podman's own messages.
# PLANK_AUTH=none: on 0.0.0.0 without it, the missing authentication setting is reported first.
cid=$(podman run -d --network=host --no-healthcheck -e PLANK_AUTH=none $IMAGE 2>>"$WORK/podman.log")
code=$(podman wait "$cid")
out=$(podman logs "$cid" 2>&1)
podman rm "$cid" >/dev/null 2>>"$WORK/podman.log"
cid=
[ "$code" -ne 0 ] || fail "without DATABASE_URL the container exited 0"
[ "$out" = "$expected" ] || fail "without DATABASE_URL, expected the one line
    $expected
  got:
$out"
say "without DATABASE_URL: exit code $code and one line: $out"

# ---- 3. the compose stack, in a network namespace of its own --------------------------------
# Its own loopback and port 8080, its own bridge and firewall rules: nothing on the machine's.
unshare --net -- "$ROOT/deploy/test.sh" --compose-in-namespace "plank-test-$$"
