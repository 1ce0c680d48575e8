#include "app/master_follower.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "app/sentinel_client.h"

namespace shardis::app {

// By name: a reload may have added or removed servers since the monitor asked.
uint64_t MasterFollower::republish(uint32_t pool, const std::string& server,
                                   const std::function<bool(config::Server&)>& edit,
                                   std::string& pool_name) {
  std::lock_guard<std::mutex> hold(publisher_.owner().lock());
  if (publisher_.stopped()) return 0;
  const proxy::Topology current = publisher_.owner().current();
  if (pool >= current.size()) return 0;
  config::Config next;
  for (const auto& each : current) next.pools.push_back(*each->config);
  bool changed = false;
  for (config::Server& each : next.pools[pool].servers) {
    if (each.name == server) changed = edit(each);
  }
  if (!changed) return 0;  // removed by a reload since, or already there
  pool_name = next.pools[pool].name;
  std::vector<proxy::PoolChange> changes;
  proxy::Topology topology = publisher_.owner().build(next, changes);
  const uint64_t generation = topology.front()->generation;
  publisher_.publish(topology, {});
  return generation;
}

void MasterFollower::onMasterChanged(uint32_t pool, const std::string& server,
                                     const std::string& host, uint16_t port) {
  const std::string address = MasterAddress{host, port}.text();
  std::string pool_name;
  const uint64_t generation = republish(
      pool, server,
      [&](config::Server& each) {
        const bool moved = each.address_text != address;
        each.host = host;
        each.port = port;
        each.address_text = address;
        return moved;
      },
      pool_name);
  if (generation == 0) return;
  spdlog::warn("pool '{}': server {} follows its master to {} (generation {})", pool_name, server,
               address, generation);
}

void MasterFollower::onReplicasChanged(uint32_t pool, const std::string& server,
                                       std::vector<config::Server::Replica> replicas) {
  const std::string text = replicasText(replicas);
  std::string pool_name;
  const uint64_t generation = republish(
      pool, server,
      [&](config::Server& each) {
        if (each.replicas == replicas) return false;
        each.replicas = std::move(replicas);
        return true;
      },
      pool_name);
  if (generation == 0) return;
  spdlog::info("pool '{}': server {} reads from {} (generation {})", pool_name, server, text,
               generation);
}

}  // namespace shardis::app
