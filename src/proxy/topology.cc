#include "proxy/topology.h"

#include <algorithm>
#include <utility>

#include "proxy/pool_ring.h"

namespace shardis::proxy {

namespace {

// The pool options a reload may change, by the name the file gives them.
void diffOptions(const config::Pool& old_pool, const config::Pool& next,
                 std::vector<std::string>& out) {
  auto check = [&](bool differs, const char* name) {
    if (differs) out.emplace_back(name);
  };
  check(old_pool.listen.text != next.listen.text, "listen");
  check(old_pool.hash != next.hash, "hash");
  check(old_pool.hash_tag != next.hash_tag, "hash_tag");
  check(old_pool.distribution != next.distribution, "distribution");
  check(old_pool.timeout_ms != next.timeout_ms, "timeout");
  check(old_pool.backlog != next.backlog, "backlog");
  check(old_pool.preconnect != next.preconnect, "preconnect");
  check(old_pool.redis_auth != next.redis_auth, "redis_auth");
  check(old_pool.redis_db != next.redis_db, "redis_db");
  check(old_pool.server_connections != next.server_connections, "server_connections");
  check(old_pool.max_leased_connections != next.max_leased_connections, "max_leased_connections");
  check(old_pool.auto_eject_hosts != next.auto_eject_hosts, "auto_eject_hosts");
  check(old_pool.server_retry_timeout_ms != next.server_retry_timeout_ms, "server_retry_timeout");
  check(old_pool.server_failure_limit != next.server_failure_limit, "server_failure_limit");
  check(old_pool.client_connections != next.client_connections, "client_connections");
  check(old_pool.tcpkeepalive != next.tcpkeepalive, "tcpkeepalive");
  check(old_pool.reuseport != next.reuseport, "reuseport");
}

// Servers by name: added, removed, and changed (same name, another identity or weight).
void diffServers(const PoolTopology& old_pool, const PoolTopology& next, PoolChange& change) {
  std::map<std::string, std::pair<uint32_t, uint32_t>> old_by_name;  // slot, weight
  for (size_t i = 0; i < old_pool.live.size(); ++i) {
    old_by_name[old_pool.config->servers[i].name] = {old_pool.live[i],
                                                     old_pool.config->servers[i].weight};
  }
  for (size_t i = 0; i < next.live.size(); ++i) {
    const config::Server& server = next.config->servers[i];
    auto it = old_by_name.find(server.name);
    if (it == old_by_name.end()) {
      change.added.push_back(server.name);
      continue;
    }
    const uint32_t old_slot = it->second.first;
    if (old_slot != next.live[i] || it->second.second != server.weight ||
        old_pool.replicas[old_slot] != next.replicas[next.live[i]]) {
      change.changed.push_back(server.name);
    }
    old_by_name.erase(it);
  }
  for (const auto& [name, slot] : old_by_name) change.removed.push_back(name);
}

}  // namespace

void Countdown::done() {
  std::lock_guard<std::mutex> hold(mutex_);
  if (left_ > 0 && --left_ == 0) zero_.notify_all();
}

bool Countdown::wait(uint64_t timeout_ms) {
  std::unique_lock<std::mutex> hold(mutex_);
  return zero_.wait_for(hold, std::chrono::milliseconds(timeout_ms), [this] { return left_ == 0; });
}

std::string identityOf(const backend::ServerSpec& spec) {
  // NUL cannot appear in a YAML scalar the loader accepts, so it separates the fields.
  std::string identity;
  for (const std::string* field :
       {&spec.name, &spec.host, &spec.unix_path, &spec.username, &spec.password}) {
    identity += *field;
    identity += '\0';
  }
  identity += std::to_string(spec.port) + '\0' + std::to_string(spec.db) + '\0' +
              std::to_string(spec.connections) + (spec.expect_master ? "\0master" : "");
  return identity;
}

TopologyOwner::TopologyOwner(const config::Config& config) : slots_(config.pools.size()) {
  Topology first;
  for (size_t p = 0; p < config.pools.size(); ++p) first.push_back(buildPool(p, config.pools[p]));
  current_ = std::move(first);
}

bool PoolTopology::inUse(uint32_t slot) const {
  if (std::find(live.begin(), live.end(), slot) != live.end()) return true;
  for (const std::vector<uint32_t>& of_server : replicas) {
    if (std::find(of_server.begin(), of_server.end(), slot) != of_server.end()) return true;
  }
  return false;
}

bool PoolTopology::samePlacement(const PoolTopology& other) const {
  if (this == &other) return true;
  if (live != other.live || config->hash != other.config->hash ||
      config->distribution != other.config->distribution ||
      config->hash_tag != other.config->hash_tag) {
    return false;
  }
  // Same live slots: the same names and addresses in ring order (a slot is a server's
  // identity); the ring also weighs them, and reads go to their replicas.
  for (size_t i = 0; i < live.size(); ++i) {
    if (config->servers[i].weight != other.config->servers[i].weight) return false;
    const uint32_t slot = live[i];
    const bool has = slot < replicas.size() && !replicas[slot].empty();
    const bool other_has = slot < other.replicas.size() && !other.replicas[slot].empty();
    if (has != other_has || (has && replicas[slot] != other.replicas[slot])) return false;
  }
  return true;
}

uint32_t TopologyOwner::slotOf(PoolSlots& slots, backend::ServerSpec spec) {
  auto [it, added] =
      slots.by_identity.emplace(identityOf(spec), static_cast<uint32_t>(slots.specs.size()));
  if (added) slots.specs.push_back(std::move(spec));
  return it->second;
}

std::shared_ptr<PoolTopology> TopologyOwner::buildPool(size_t pool, const config::Pool& next) {
  auto topology = std::make_shared<PoolTopology>();
  topology->generation = generation_;
  topology->config = std::make_shared<const config::Pool>(next);
  PoolSlots& slots = slots_[pool];
  std::vector<hash::RingMember> members;
  std::vector<std::pair<uint32_t, uint32_t>> replica_of;  // (server slot, replica slot)
  const std::vector<backend::ServerSpec> specs = backendSettings(next, 0).servers;
  // Every server before any replica: the first topology's servers are then slots 0..n-1, the
  // indexes of config.servers that the workers' first ConnectionPool and the stats use.
  for (const backend::ServerSpec& spec : specs) topology->live.push_back(slotOf(slots, spec));
  for (size_t i = 0; i < specs.size(); ++i) {
    const uint32_t slot = topology->live[i];
    for (const config::Server::Replica& replica : next.servers[i].replicas) {
      backend::ServerSpec spec = specs[i];
      spec.name += "@" + replica.address_text;
      spec.host = replica.host;
      spec.port = replica.port;
      spec.unix_path.clear();
      spec.expect_master = false;
      replica_of.emplace_back(slot, slotOf(slots, std::move(spec)));
    }
  }
  for (const config::Server& server : next.servers) {
    members.push_back(hash::RingMember{server.name, server.weight});
  }
  topology->slots = slots.specs;
  topology->replicas.resize(slots.specs.size());
  for (const auto& [server, replica] : replica_of) topology->replicas[server].push_back(replica);
  topology->ring = hash::Ring::build(next.distribution, next.hash, members);
  return topology;
}

Topology TopologyOwner::build(const config::Config& next, std::vector<PoolChange>& changes) {
  std::lock_guard<std::mutex> hold(mutex_);
  ++generation_;
  Topology topology;
  changes.clear();
  for (size_t p = 0; p < next.pools.size(); ++p) {
    std::shared_ptr<PoolTopology> pool = buildPool(p, next.pools[p]);
    const PoolTopology& old_pool = *current_[p];
    PoolChange change;
    change.pool = next.pools[p].name;
    diffServers(old_pool, *pool, change);
    diffOptions(*old_pool.config, next.pools[p], change.options);
    pool->list_epoch = old_pool.live == pool->live ? old_pool.list_epoch : old_pool.list_epoch + 1;
    changes.push_back(std::move(change));
    topology.push_back(std::move(pool));
  }
  return topology;
}

void TopologyOwner::adopt(Topology topology) {
  std::lock_guard<std::mutex> hold(mutex_);
  current_ = std::move(topology);
}

Topology TopologyOwner::current() const {
  std::lock_guard<std::mutex> hold(mutex_);
  return current_;
}

}  // namespace shardis::proxy
