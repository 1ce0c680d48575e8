// SharedState: the little the workers share that changes while serving: client counts, the
// client id sequence and a few counters. Atomics only; nothing on the data path locks.
// Built by serve() before the workers start and destroyed after they stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "config/config.h"

namespace shardis::proxy {

struct SharedState {
  explicit SharedState(const config::Config& config_in)
      : config(config_in),
        pool_clients(std::make_unique<std::atomic<uint32_t>[]>(config_in.pools.size())) {}

  const config::Config& config;
  std::atomic<uint32_t> clients{0};
  std::unique_ptr<std::atomic<uint32_t>[]> pool_clients;  // one per pool, in config order
  std::atomic<uint64_t> next_client_id{1};
  std::atomic<uint64_t> rejected_clients{0};       // over max_clients / client_connections
  std::atomic<uint64_t> output_limit_closes{0};    // closed over client_output_buffer_limit
  std::atomic<uint64_t> protocol_error_closes{0};  // closed after a protocol error
};

}  // namespace shardis::proxy
