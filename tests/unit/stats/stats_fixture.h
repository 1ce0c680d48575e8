// Configs and snapshots shared by the stats tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "stats/hub.h"

namespace shardis::stats::testing {

// Pools named by `pools`, each with `servers` servers named "<pool>-<i>:6379".
inline config::Config makeConfig(const std::vector<std::string>& pools, size_t servers,
                                 bool hotkeys = false) {
  config::Config config;
  config.process.hotkeys = hotkeys;
  for (const std::string& name : pools) {
    config::Pool& pool = config.pools.emplace_back();
    pool.name = name;
    for (size_t i = 0; i < servers; ++i) {
      config::Server& server = pool.servers.emplace_back();
      server.name = name + "-" + std::to_string(i) + ":6379";
    }
  }
  return config;
}

// A snapshot with fixed times, for golden text.
inline Snapshot makeSnapshot(const config::Config& config, WorkerStats totals) {
  Snapshot snapshot;
  snapshot.identity = Identity{"shardis", "host-1", "0.1.0"};
  snapshot.uptime_s = 42;
  snapshot.timestamp_s = 1700000000;
  snapshot.layout = std::make_shared<const Layout>(layoutOf(config));
  snapshot.totals = std::move(totals);
  return snapshot;
}

}  // namespace shardis::stats::testing
