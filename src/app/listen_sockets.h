// The listening sockets of a pool, one per worker: TCP sockets of their own, bound with
// SO_REUSEPORT so the kernel spreads connections; for a unix socket, dup()s of one. At start
// (serve.cc) and when a reload changes a pool's `listen` (reload.cc).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/config.h"

namespace shardis::app {

// `workers` descriptors for `pool` in `fds`; false with `error` (and none left open) on failure.
[[nodiscard]] bool openPoolSockets(const config::Pool& pool, size_t workers, std::vector<int>& fds,
                                   std::string& error);

}  // namespace shardis::app
