// MasterFollower: turns Sentinel's word that a master moved (SentinelMonitor's callback, on
// the monitor's thread) into a new topology: the server keeps its name and place on the ring,
// its new address is a new slot, and the old one is drained (topology.h). Requests from then
// on go to the new master; nothing more is written to the old address, and a connection that
// reaches a demoted master anyway fails its ROLE check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/reload.h"
#include "config/config.h"

namespace shardis::app {

class MasterFollower {
 public:
  // `started`: the config SentinelMonitor was started with (its server indexes).
  MasterFollower(const config::Config& started, TopologyPublisher& publisher);

  // Server `server` of pool `pool` (as in `started`) has its master at host:port now.
  void onMasterChanged(uint32_t pool, uint32_t server, const std::string& host, uint16_t port);

 private:
  std::vector<std::vector<std::string>> names_;  // per pool, the servers' names in `started`
  TopologyPublisher& publisher_;
};

}  // namespace shardis::app
