#!/usr/bin/env bash
# Side-by-side benchmark: direct Redis, twemproxy (Debian's nutcracker) and shardis in front of
# the same three redis-server shards with the same YAML file, driven by redis-benchmark.
# Prints a table per shardis thread setting and keeps it in bench/results/; its GET and SET
# rows come again in RESP3 (redis-benchmark -3) for direct Redis and shardis (twemproxy: n/a,
# it has no RESP3; a shardis that refuses HELLO 3 gets a row that says so), with a table of
# RESP3 beside RESP2 and shardis/redis in each. Then comes the
# memory of each proxy with 10,000 idle clients and 10 s after 500 MB of pipelined GETs
# (--no-memory skips it). --stats-compare adds shardis --stats off as a target and a table
# of what counting costs (stats on vs off).
#   scripts/bench.sh [--threads "1 0"] [--rounds 3] [--requests 200000] [--quick]
#                    [--no-memory] [--stats-compare]
# --transactions runs bench/transactions_bench.py instead: MULTI/EXEC transactions per second
# through shardis against direct Redis, on one server and across servers, and the backend
# connections opened meanwhile (its own options follow, e.g. --quick, --threads 1).
#   scripts/bench.sh --transactions [--quick] [--threads 1] [--processes 4] [--depths "1 16"]
# --pubsub runs bench/pubsub_bench.py instead: messages per second fanned out to 1,000
# subscribers through shardis against direct Redis, on one channel and on 10 (twemproxy has
# no pub/sub); its own options follow, e.g. --quick, --messages 2000, --channels "1 10".
#   scripts/bench.sh --pubsub [--quick] [--threads 1] [--subscribers 1000] [--messages 2000]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh nutcracker

build=${SHARDIS_BUILD_DIR:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSHARDIS_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target shardis

if [ "${1:-}" = "--transactions" ]; then
  shift
  exec /usr/bin/python3 bench/transactions_bench.py --shardis "$build/bin/shardis" \
    --results bench/results "$@"
fi

if [ "${1:-}" = "--pubsub" ]; then
  shift
  exec /usr/bin/python3 bench/pubsub_bench.py --shardis "$build/bin/shardis" \
    --results bench/results "$@"
fi

exec /usr/bin/python3 bench/proxy_bench.py --shardis "$build/bin/shardis" \
  --nutcracker "$(command -v nutcracker)" --results bench/results "$@"
