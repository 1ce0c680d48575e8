#!/usr/bin/env bash
# Installs, with apt-get, every Debian package shardis needs to build, test and run its demo.
# Idempotent: when everything is present it does nothing (and needs no network or root).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache clang clang-format clang-tidy libclang-rt-14-dev
  libuv1-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libssl-dev zlib1g-dev
  googletest libgmock-dev libgtest-dev libbenchmark-dev
  redis-server redis-tools redis-sentinel
  python3 python3-redis python3-pytest python3-rq python3-celery ruby-sidekiq
  libhttp-parser-dev prometheus
)
# Node (for the ioredis/node-redis tests): any install that gives node and npm will do; the
# machine image may carry a nodesource build that conflicts with Debian's npm package.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
# Extra packages a caller may ask for (e.g. the bench script asks for nutcracker).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
