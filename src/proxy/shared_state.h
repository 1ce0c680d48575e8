// SharedState: the little the workers share that changes while serving: client counts, the
// client id sequence, a few counters, the slow logs, the pub/sub counts and the ejections. Atomics,
// a slow log's lock, taken only for a command slow enough to be logged, and the pub/sub registry's,
// taken as clients subscribe and leave and as a count is corrected.
// Built by serve() before the workers start and destroyed after they stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/client_registry.h"
#include "proxy/ejection_board.h"
#include "proxy/pubsub_registry.h"
#include "stats/slow_log.h"

namespace shardis::proxy {

struct SharedState {
  explicit SharedState(const config::Config& config_in)
      : config(config_in),
        pool_clients(std::make_unique<std::atomic<uint32_t>[]>(config_in.pools.size())) {
    for (size_t pool = 0; pool < config_in.pools.size(); ++pool) {
      slowlogs.push_back(std::make_unique<stats::SlowLog>(
          config_in.process.slowlog_log_slower_than_us, config_in.process.slowlog_max_len));
      pubsub_registries.push_back(std::make_unique<PubSubRegistry>());
      ejections.push_back(std::make_unique<EjectionBoard>());
    }
  }

  // Pool `pool`'s SLOWLOG: each pool has its own (pools are separate tenants), with its own
  // ids, length and RESET, as if it were a server of its own.
  stats::SlowLog& slowlog(uint32_t pool) { return *slowlogs[pool]; }
  // Pool `pool`'s subscriptions, summed over the workers (pubsub_registry.h).
  PubSubRegistry& pubsub(uint32_t pool) { return *pubsub_registries[pool]; }

  const config::Config& config;
  std::atomic<uint32_t> clients{0};
  std::unique_ptr<std::atomic<uint32_t>[]> pool_clients;  // one per pool, in config order
  std::atomic<uint64_t> next_client_id{1};
  std::atomic<uint64_t> rejected_clients{0};       // over max_clients / client_connections
  std::atomic<uint64_t> output_limit_closes{0};    // closed over client_output_buffer_limit
  std::atomic<uint64_t> protocol_error_closes{0};  // closed after a protocol error
  // Called (on a worker's thread) when a connection found a replica where Sentinel's master
  // was expected: the Sentinel monitor asks again at once. Set before the workers start.
  std::function<void()> on_wrong_role;
  // Locks only when a command is slow enough to log. One per pool, in config order.
  std::vector<std::unique_ptr<stats::SlowLog>> slowlogs;
  ClientRegistry registry;  // CLIENT LIST / KILL across workers, pool by pool
  std::vector<std::unique_ptr<PubSubRegistry>> pubsub_registries;  // one per pool
  std::vector<std::unique_ptr<EjectionBoard>> ejections;           // one per pool
};

}  // namespace shardis::proxy
