#!/usr/bin/env bash
# Builds shardis with AddressSanitizer and UndefinedBehaviorSanitizer and runs every test
# (unit tests and the integration tests against real redis-server processes) through CTest.
#   scripts/test.sh [extra ctest arguments, e.g. -R integration]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# Which module may include which (docs/ARCHITECTURE.md): fails naming file:line.
scripts/check-layering.py

build=${SHARDIS_BUILD_DIR:-build/asan}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DSHARDIS_ASAN=ON -DSHARDIS_UBSAN=ON -DSHARDIS_WERROR=ON -DSHARDIS_TESTS=ON
cmake --build "$build" -j"$jobs"

# The Node clients (ioredis, node-redis) for the integration tests, into a folder git ignores.
scripts/install-node-clients.sh

# Sanitizer reports fail the test that triggered them; leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600 "$@"
