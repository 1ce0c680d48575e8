#include "backend/server_pool.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "net/loop.h"

namespace shardis::backend {

namespace {
// How often an ejected server is asked whether it is back.
constexpr uint64_t kProbeIntervalMs = 200;
}  // namespace

ServerEndpoint resolveEndpoint(const config::Server& server, uint32_t index) {
  ServerEndpoint endpoint;
  endpoint.name = server.name;
  endpoint.index = index;
  if (!server.unix_path.empty()) {
    endpoint.is_unix = true;
    endpoint.unix_path = server.unix_path;
    return endpoint;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string port = std::to_string(server.port);
  int status = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &result);
  if (status != 0 || result == nullptr) {
    endpoint.resolve_error =
        std::string("cannot resolve ") + server.host + ": " + ::gai_strerror(status);
    return endpoint;
  }
  std::memcpy(&endpoint.address, result->ai_addr,
              std::min<size_t>(result->ai_addrlen, sizeof endpoint.address));
  ::freeaddrinfo(result);
  return endpoint;
}

ServerPool::ServerPool(net::Loop& loop, const config::Pool& pool,
                       std::shared_ptr<const hash::Ring> ring, const resp::Limits& limits)
    : loop_(loop), pool_(pool), full_ring_(ring), ring_(std::move(ring)) {
  for (size_t i = 0; i < pool.servers.size(); ++i) {
    const config::Server& config = pool.servers[i];
    auto server = std::make_unique<Server>();
    server->endpoint = resolveEndpoint(config, static_cast<uint32_t>(i));
    server->settings.username = config.username.value_or("");
    server->settings.password = config.password.value_or(pool.redis_auth);
    server->settings.db = config.db.value_or(pool.redis_db);
    server->settings.timeout_ms = pool.timeout_ms;
    server->settings.keepalive = pool.tcpkeepalive;
    server->settings.limits = limits;
    uint32_t count =
        std::max<uint32_t>(1, config.max_connections.value_or(pool.server_connections));
    for (uint32_t c = 0; c < count; ++c) {
      server->connections.push_back(
          std::make_unique<ServerConnection>(loop, server->endpoint, server->settings, *this));
    }
    servers_.push_back(std::move(server));
  }
}

ServerPool::~ServerPool() { shutdown(); }

void ServerPool::setQueueLimit(uint64_t bytes) {
  for (auto& server : servers_) server->settings.queue_limit = bytes;
}

uint32_t ServerPool::locate(std::string_view routing_key) {
  // twemproxy puts an ejected server back once its retry time has passed, on the next request.
  if (ejected_count_ > 0 && loop_.now() >= next_rebuild_ms_) {
    for (auto& server : servers_) {
      if (server->ejected && loop_.now() >= server->retry_at_ms) {
        restore(*server, "server_retry_timeout expired");
      }
    }
  }
  return ring_->locate(routing_key);
}

ServerConnection& ServerPool::connectionFor(uint32_t server, uint64_t client_id) {
  auto& connections = servers_[server]->connections;
  return *connections[client_id % connections.size()];
}

void ServerPool::preconnect() {
  for (auto& server : servers_) {
    for (auto& connection : server->connections) connection->connect();
  }
}

size_t ServerPool::inFlight() const {
  size_t total = 0;
  for (const auto& server : servers_) {
    for (const auto& connection : server->connections) total += connection->inFlight();
  }
  return total;
}

void ServerPool::shutdown() {
  for (auto& server : servers_) {
    server->probe_timer.reset();
    for (auto& connection : server->connections) {
      connection->shutdown("ERR server " + server->endpoint.name + ": proxy shutting down");
    }
  }
}

void ServerPool::onServerFailure(uint32_t index, std::string_view cause) {
  if (!pool_.auto_eject_hosts) return;
  Server& server = *servers_[index];
  if (server.ejected) return;
  if (++server.failures >= pool_.server_failure_limit) eject(server, cause);
}

void ServerPool::onServerAnswered(uint32_t index) {
  Server& server = *servers_[index];
  server.failures = 0;
  if (server.ejected) restore(server, "it answered");
}

void ServerPool::onRequestSent(uint32_t server, size_t bytes) {
  if (observer_ != nullptr) observer_->onRequestSent(server, bytes);
}

void ServerPool::onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) {
  if (observer_ != nullptr) observer_->onReplyRead(server, round_trip_us, bytes);
}

void ServerPool::onConnectionOpen(uint32_t server, bool open) {
  if (observer_ != nullptr) observer_->onConnectionOpen(server, open);
}

void ServerPool::onConnectionClosed(uint32_t server, CloseCause cause) {
  if (observer_ != nullptr) observer_->onConnectionClosed(server, cause);
}

void ServerPool::onQueueChanged(uint32_t server, const QueueDelta& delta) {
  if (observer_ != nullptr) observer_->onQueueChanged(server, delta);
}

void ServerPool::eject(Server& server, std::string_view cause) {
  server.ejected = true;
  server.failures = 0;
  server.retry_at_ms = loop_.now() + static_cast<uint64_t>(pool_.server_retry_timeout_ms);
  ++ejected_count_;
  rebuildRing();
  if (observer_ != nullptr) observer_->onEjected(server.endpoint.index, true);
  spdlog::warn("pool {}: server {} ejected for {} ms after {} failure(s) in a row; last: {}",
               pool_.name, server.endpoint.name, pool_.server_retry_timeout_ms,
               pool_.server_failure_limit, cause);
  if (!server.probe_timer) {
    ServerConnection* probe = server.connections.front().get();
    server.probe_timer = net::Timer::create(loop_, [probe] { probe->probe(); });
  }
  server.probe_timer->start(kProbeIntervalMs, kProbeIntervalMs);
}

void ServerPool::restore(Server& server, std::string_view why) {
  server.ejected = false;
  server.failures = 0;
  --ejected_count_;
  if (server.probe_timer) server.probe_timer->stop();
  rebuildRing();
  if (observer_ != nullptr) observer_->onEjected(server.endpoint.index, false);
  spdlog::info("pool {}: server {} returned to the ring ({})", pool_.name, server.endpoint.name,
               why);
}

void ServerPool::rebuildRing() {
  if (ejected_count_ == 0) {
    ring_ = full_ring_;
    return;
  }
  std::vector<hash::RingMember> members;
  std::vector<char> live_bytes;
  next_rebuild_ms_ = UINT64_MAX;
  for (const auto& server : servers_) {
    const config::Server& config = pool_.servers[server->endpoint.index];
    members.push_back(hash::RingMember{config.name, config.weight});
    live_bytes.push_back(server->ejected ? 0 : 1);
    if (server->ejected) next_rebuild_ms_ = std::min(next_rebuild_ms_, server->retry_at_ms);
  }
  // std::vector<bool> has no contiguous storage to take a span of.
  std::unique_ptr<bool[]> live(new bool[live_bytes.size()]);
  for (size_t i = 0; i < live_bytes.size(); ++i) live[i] = live_bytes[i] != 0;
  ring_ = hash::Ring::build(pool_.distribution, pool_.hash, members,
                            std::span<const bool>(live.get(), live_bytes.size()));
}

}  // namespace shardis::backend
