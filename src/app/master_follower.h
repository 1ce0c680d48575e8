// MasterFollower: turns Sentinel's word that a master moved (SentinelMonitor's callback, on
// the monitor's thread) into a new topology: the server keeps its name and place on the ring,
// its new address is a new slot, and the old one is drained (topology.h). Requests from then
// on go to the new master; nothing more is written to the old address, and a connection that
// reaches a demoted master anyway fails its ROLE check. A server's new list of healthy
// replicas is a new topology too: its reads (read_from) go to those replicas from then on, and
// a replica no longer listed is drained like a moved master.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app/reload.h"
#include "config/config.h"

namespace shardis::app {

class MasterFollower {
 public:
  explicit MasterFollower(TopologyPublisher& publisher) : publisher_(publisher) {}

  // The server named `server` in pool `pool` has its master at host:port now.
  void onMasterChanged(uint32_t pool, const std::string& server, const std::string& host,
                       uint16_t port);
  // The server named `server` in pool `pool` has these healthy replicas now.
  void onReplicasChanged(uint32_t pool, const std::string& server,
                         std::vector<config::Server::Replica> replicas);

 private:
  // Under the owner's lock: the current config with `edit` applied to the server named
  // `server`; publishes it when `edit` says it changed something. The generation published
  // (and the pool's name), or 0 when nothing was.
  uint64_t republish(uint32_t pool, const std::string& server,
                     const std::function<bool(config::Server&)>& edit, std::string& pool_name);

  TopologyPublisher& publisher_;
};

}  // namespace shardis::app
