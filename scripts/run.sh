#!/usr/bin/env bash
# Builds a Release shardis, starts three local redis-server shards on 127.0.0.1:7001-7003 and
# shardis in front of them with conf/shardis.yml (clients connect to 127.0.0.1:6380).
# Ctrl-C stops everything this script started.
#   scripts/run.sh [extra shardis flags, e.g. --threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build=${SHARDIS_BUILD_DIR:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSHARDIS_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target shardis

config=conf/shardis.yml
shard_ports=(7001 7002 7003)
proxy_port=6380
rundir=$(mktemp -d "${TMPDIR:-/tmp}/shardis-run.XXXXXX")
pids=()

stop_all() {
  trap - EXIT INT TERM
  echo
  echo "run.sh: stopping shardis and the shards"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$rundir"
}
trap stop_all EXIT INT TERM

# Waits until something answers PING on a port, for at most 10 seconds.
wait_for_ping() {
  for _ in $(seq 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: nothing answered PING on 127.0.0.1:$1 within 10 s" >&2
  return 1
}

for port in "${shard_ports[@]}" "$proxy_port"; do
  if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    echo "run.sh: port $port is already in use; stop what listens there first" >&2
    exit 1
  fi
done

for port in "${shard_ports[@]}"; do
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$rundir" --logfile "$rundir/redis-$port.log" &
  pids+=($!)
done
for port in "${shard_ports[@]}"; do wait_for_ping "$port"; done
echo "run.sh: redis shards up on 127.0.0.1:${shard_ports[*]}"

"$build/bin/shardis" -c "$config" "$@" &
pids+=($!)
wait_for_ping "$proxy_port"

cat <<MSG

shardis is serving on 127.0.0.1:$proxy_port in front of three redis shards ($config).
Try:
  redis-cli -p $proxy_port ping
  redis-cli -p $proxy_port set greeting hello
  redis-cli -p $proxy_port get greeting
  $build/bin/shardis locate -c $config greeting     # which shard holds a key
Press Ctrl-C to stop everything.
MSG

# Stop when shardis exits (or on Ctrl-C, through the trap).
wait "${pids[-1]}"
