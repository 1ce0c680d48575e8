#include "proxy/pool_ring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>
#include <utility>

#include "net/loop.h"

namespace shardis::proxy {

namespace {
// How often an ejected server is asked whether it is back.
constexpr uint64_t kProbeIntervalMs = 200;
}  // namespace

backend::PoolSettings backendSettings(const config::Pool& pool, uint64_t queue_limit) {
  backend::PoolSettings settings;
  settings.connect_timeout_ms = pool.timeout_ms;
  settings.keepalive = pool.tcpkeepalive;
  settings.queue_limit = queue_limit;
  settings.max_leased_connections = pool.max_leased_connections;
  for (const config::Server& server : pool.servers) {
    backend::ServerSpec spec;
    spec.name = server.name;
    spec.host = server.host;
    spec.port = server.port;
    spec.unix_path = server.unix_path;
    spec.username = server.username.value_or("");
    spec.password = server.password.value_or(pool.redis_auth);
    spec.db = server.db.value_or(pool.redis_db);
    spec.connections =
        std::max<uint32_t>(1, server.max_connections.value_or(pool.server_connections));
    // Sentinel's masters are checked with ROLE: a demoted one is never written to.
    spec.expect_master = pool.sentinel.has_value();
    settings.servers.push_back(std::move(spec));
  }
  return settings;
}

PoolRing::PoolRing(net::Loop& loop, std::shared_ptr<const PoolTopology> topology,
                   backend::ServerPool& servers, EjectionBoard* board)
    : loop_(loop), servers_(servers), board_(board != nullptr ? board : &own_board_) {
  apply(std::move(topology));
}

// Slots that left the ring stop being probed and forget their ejection; those still live keep
// theirs, and the ring over the new members leaves the ejected ones out as before.
void PoolRing::apply(std::shared_ptr<const PoolTopology> topology) {
  topology_ = std::move(topology);
  standing_.resize(topology_->slots.size());
  for (uint32_t slot = 0; slot < standing_.size(); ++slot) {
    if (!isLive(slot)) {
      if (standing_[slot].ejected) markRestored(slot);
      board_->restore(slot);
    }
  }
  rebuild();
}

bool PoolRing::isLive(uint32_t server) const {
  const std::vector<uint32_t>& live = topology_->live;
  return std::find(live.begin(), live.end(), server) != live.end();
}

void PoolRing::shutdown() {
  for (Standing& standing : standing_) standing.probe_timer.reset();
}

// Another worker ejected or brought back a server: this one follows, so that every worker
// places a key alike.
void PoolRing::sync() {
  EjectionBoard::Ejected ejected;
  seen_version_ = board_->read(ejected);
  bool changed = false;
  for (uint32_t slot : topology_->live) {
    auto it = ejected.find(slot);
    const bool out = it != ejected.end();
    if (out == standing_[slot].ejected) continue;
    changed = true;
    if (out) {
      markEjected(slot, it->second, false);
    } else {
      markRestored(slot);
    }
  }
  if (changed) rebuild();
}

void PoolRing::onServerFailure(uint32_t server, std::string_view cause, uint32_t in_a_row) {
  if (!pool().auto_eject_hosts || !isLive(server)) return;
  refresh();
  Standing& standing = standing_[server];
  if (standing.ejected) {
    standing.probe_answered = false;
    return;
  }
  if (in_a_row >= pool().server_failure_limit) eject(server, cause);
}

void PoolRing::onServerRecovered(uint32_t server) {
  if (server >= standing_.size()) return;
  refresh();
  Standing& standing = standing_[server];
  if (!standing.ejected) return;
  standing.probe_answered = true;
  if (mayReturn(standing)) restore(server);
}

void PoolRing::eject(uint32_t server, std::string_view cause) {
  const uint64_t retry_at = loop_.now() + static_cast<uint64_t>(pool().server_retry_timeout_ms);
  const bool first = board_->eject(server, retry_at);
  markEjected(server, retry_at, first);
  rebuild();
  if (!first) return;
  const std::string& name = servers_.serverName(server);
  spdlog::warn(
      "pool {}: server {} ejected for {} ms after {} failure(s) in a row; last: server {}: {}",
      pool().name, name, pool().server_retry_timeout_ms, pool().server_failure_limit, name, cause);
}

void PoolRing::markEjected(uint32_t server, uint64_t retry_at_ms, bool decided_here) {
  Standing& standing = standing_[server];
  standing.ejected = true;
  standing.probe_answered = false;
  standing.retry_at_ms = retry_at_ms;
  ++ejected_count_;
  if (observer_ != nullptr) observer_->onEjected(server, true, decided_here);
  if (!standing.probe_timer) {
    standing.probe_timer = net::Timer::create(loop_, [this, server] { onProbeTimer(server); });
  }
  standing.probe_timer->start(kProbeIntervalMs);
}

// The probe runs all through the ejection, so that by server_retry_timeout the pool knows
// whether the server answers. twemproxy returns a server on the first request after its
// retry time; this one returns at that time, or at the first answer after it.
void PoolRing::onProbeTimer(uint32_t server) {
  refresh();
  Standing& standing = standing_[server];
  if (!standing.ejected) return;
  if (mayReturn(standing)) {
    restore(server);
    return;
  }
  servers_.probe(server);
  uint64_t now = loop_.now();
  uint64_t delay = kProbeIntervalMs;
  if (now < standing.retry_at_ms) delay = std::min(delay, standing.retry_at_ms - now);
  standing.probe_timer->start(delay);
}

bool PoolRing::mayReturn(const Standing& standing) const {
  return standing.ejected && standing.probe_answered && loop_.now() >= standing.retry_at_ms;
}

void PoolRing::restore(uint32_t server) {
  const bool first = board_->restore(server);
  markRestored(server);
  rebuild();
  if (!first) return;
  spdlog::info(
      "pool {}: server {} returned to the ring (server_retry_timeout passed and it answers)",
      pool().name, servers_.serverName(server));
}

void PoolRing::markRestored(uint32_t server) {
  Standing& standing = standing_[server];
  standing.ejected = false;
  --ejected_count_;
  if (standing.probe_timer) standing.probe_timer->stop();
  if (observer_ != nullptr) observer_->onEjected(server, false, false);
}

void PoolRing::rebuild() {
  if (ejected_count_ == 0) {
    ring_ = topology_->ring;
    return;
  }
  const config::Pool& pool = this->pool();
  std::vector<hash::RingMember> members;
  members.reserve(pool.servers.size());
  for (const config::Server& server : pool.servers) {
    members.push_back(hash::RingMember{server.name, server.weight});
  }
  // std::vector<bool> has no contiguous storage to take a span of.
  const size_t count = topology_->live.size();
  std::unique_ptr<bool[]> live(new bool[count]);
  for (size_t i = 0; i < count; ++i) live[i] = !standing_[topology_->live[i]].ejected;
  ring_ = hash::Ring::build(pool.distribution, pool.hash, members,
                            std::span<const bool>(live.get(), count));
}

}  // namespace shardis::proxy
