#!/usr/bin/env bash
# Installs the Node Redis clients and BullMQ the integration tests drive (versions pinned in
# tests/integration/package.json) into tests/integration/node_modules, which git ignores.
# Does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")/../tests/integration"
if [ -d node_modules/ioredis ] && [ -d node_modules/redis ] && [ -d node_modules/bullmq ]; then
  exit 0
fi
npm install --no-audit --no-fund --loglevel=error
