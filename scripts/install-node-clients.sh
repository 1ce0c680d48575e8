#!/usr/bin/env bash
# Installs the Node Redis clients (node-redis 4, and 6 as `redis6` for the RESP3 tests), the
# job queues (BullMQ, Bull, bee-queue), socket.io with its Redis adapter, and express with
# express-session and connect-redis, that the integration tests drive (versions pinned in
# tests/integration/package.json; tests/integration/.npmrc says why peers are not enforced),
# into tests/integration/node_modules, which git ignores. Does nothing when they are already
# there.
set -euo pipefail
cd "$(dirname "$0")/../tests/integration"
installed=true
for package in ioredis redis redis6 bullmq bull bee-queue socket.io socket.io-client \
  @socket.io/redis-adapter connect-redis express express-session; do
  [ -d "node_modules/$package" ] || installed=false
done
if $installed; then
  exit 0
fi
npm install --no-audit --no-fund --loglevel=error
