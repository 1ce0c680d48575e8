#include "app/master_follower.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "app/sentinel_client.h"

namespace shardis::app {

MasterFollower::MasterFollower(const config::Config& started, TopologyPublisher& publisher)
    : publisher_(publisher) {
  for (const config::Pool& pool : started.pools) {
    std::vector<std::string>& names = names_.emplace_back();
    for (const config::Server& server : pool.servers) names.push_back(server.name);
  }
}

// By name, since a reload may have added or removed servers since the monitor started.
void MasterFollower::onMasterChanged(uint32_t pool, uint32_t server, const std::string& host,
                                     uint16_t port) {
  if (pool >= names_.size() || server >= names_[pool].size()) return;
  const std::string& name = names_[pool][server];
  std::lock_guard<std::mutex> hold(publisher_.owner().lock());
  if (publisher_.stopped()) return;
  const proxy::Topology current = publisher_.owner().current();
  config::Config next;
  for (const auto& each : current) next.pools.push_back(*each->config);
  config::Pool& changed = next.pools[pool];
  const std::string address = MasterAddress{host, port}.text();
  bool found = false;
  for (config::Server& each : changed.servers) {
    if (each.name != name) continue;
    found = each.address_text != address;
    each.host = host;
    each.port = port;
    each.address_text = address;
  }
  if (!found) return;  // removed by a reload since, or already there
  std::vector<proxy::PoolChange> changes;
  proxy::Topology topology = publisher_.owner().build(next, changes);
  const uint64_t generation = topology.front()->generation;
  publisher_.publish(std::move(topology), {});
  spdlog::warn("pool '{}': server {} follows its master to {} (generation {})", changed.name, name,
               address, generation);
}

}  // namespace shardis::app
