#include "backend/server_pool.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "net/loop.h"
#include "resp/limits.h"

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
                       std::shared_ptr<const hash::Ring> ring)
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
    // The clients' limits bound what clients send; a reply is as large as the server makes it.
    server->settings.limits = resp::serverReplyLimits();
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

uint32_t ServerPool::locate(std::string_view routing_key) { return ring_->locate(routing_key); }

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

void ServerPool::onServerDown(uint32_t index, std::string_view cause) {
  Server& server = *servers_[index];
  // One line when a server goes down; its connections' redials fail quietly until it is up.
  if (server.down) {
    spdlog::debug("server {}: {} (still down)", server.endpoint.name, cause);
    return;
  }
  server.down = true;
  spdlog::warn("server {}: {} (down; retrying)", server.endpoint.name, cause);
  if (observer_ != nullptr) observer_->onServerState(index, false);
}

void ServerPool::onServerFailure(uint32_t index, std::string_view cause) {
  if (!pool_.auto_eject_hosts) return;
  Server& server = *servers_[index];
  if (server.ejected) {
    server.probe_answered = false;
    return;
  }
  if (++server.failures >= pool_.server_failure_limit) eject(server, cause);
}

void ServerPool::onServerAnswered(uint32_t index) {
  Server& server = *servers_[index];
  server.failures = 0;
  if (!server.ejected) return;
  server.probe_answered = true;
  if (mayReturn(server)) restore(server);
}

void ServerPool::onRequestSent(uint32_t server, size_t bytes) {
  if (observer_ != nullptr) observer_->onRequestSent(server, bytes);
}

void ServerPool::onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) {
  if (observer_ != nullptr) observer_->onReplyRead(server, round_trip_us, bytes);
}

void ServerPool::onConnectionOpen(uint32_t index, bool open) {
  Server& server = *servers_[index];
  if (open && server.down) {
    server.down = false;
    spdlog::info("server {}: up (connected after a failure)", server.endpoint.name);
    if (observer_ != nullptr) observer_->onServerState(index, true);
  }
  if (observer_ != nullptr) observer_->onConnectionOpen(index, open);
}

void ServerPool::onConnectionClosed(uint32_t server, CloseCause cause) {
  if (observer_ != nullptr) observer_->onConnectionClosed(server, cause);
}

void ServerPool::onRequestFailed(uint32_t server, RequestFailure why) {
  if (observer_ != nullptr) observer_->onRequestFailed(server, why);
}

void ServerPool::onQueueChanged(uint32_t server, const QueueDelta& delta) {
  if (observer_ != nullptr) observer_->onQueueChanged(server, delta);
}

void ServerPool::eject(Server& server, std::string_view cause) {
  server.ejected = true;
  server.failures = 0;
  server.probe_answered = false;
  server.retry_at_ms = loop_.now() + static_cast<uint64_t>(pool_.server_retry_timeout_ms);
  ++ejected_count_;
  rebuildRing();
  if (observer_ != nullptr) observer_->onEjected(server.endpoint.index, true);
  spdlog::warn(
      "pool {}: server {} ejected for {} ms after {} failure(s) in a row; last: server {}: {}",
      pool_.name, server.endpoint.name, pool_.server_retry_timeout_ms, pool_.server_failure_limit,
      server.endpoint.name, cause);
  if (!server.probe_timer) {
    server.probe_timer = net::Timer::create(loop_, [this, s = &server] { onProbeTimer(*s); });
  }
  server.probe_timer->start(kProbeIntervalMs);
}

// The probe runs all through the ejection, so that by server_retry_timeout the pool knows
// whether the server answers. twemproxy returns a server on the first request after its
// retry time; this one returns at that time, or at the first answer after it.
void ServerPool::onProbeTimer(Server& server) {
  if (mayReturn(server)) {
    restore(server);
    return;
  }
  server.connections.front()->probe();
  uint64_t now = loop_.now();
  uint64_t delay = kProbeIntervalMs;
  if (now < server.retry_at_ms) delay = std::min(delay, server.retry_at_ms - now);
  server.probe_timer->start(delay);
}

bool ServerPool::mayReturn(const Server& server) const {
  return server.ejected && server.probe_answered && loop_.now() >= server.retry_at_ms;
}

void ServerPool::restore(Server& server) {
  server.ejected = false;
  server.failures = 0;
  --ejected_count_;
  if (server.probe_timer) server.probe_timer->stop();
  rebuildRing();
  if (observer_ != nullptr) observer_->onEjected(server.endpoint.index, false);
  spdlog::info(
      "pool {}: server {} returned to the ring (server_retry_timeout passed and it "
      "answers)",
      pool_.name, server.endpoint.name);
}

void ServerPool::rebuildRing() {
  if (ejected_count_ == 0) {
    ring_ = full_ring_;
    return;
  }
  std::vector<hash::RingMember> members;
  std::vector<char> live_bytes;
  for (const auto& server : servers_) {
    const config::Server& config = pool_.servers[server->endpoint.index];
    members.push_back(hash::RingMember{config.name, config.weight});
    live_bytes.push_back(server->ejected ? 0 : 1);
  }
  // std::vector<bool> has no contiguous storage to take a span of.
  std::unique_ptr<bool[]> live(new bool[live_bytes.size()]);
  for (size_t i = 0; i < live_bytes.size(); ++i) live[i] = live_bytes[i] != 0;
  ring_ = hash::Ring::build(pool_.distribution, pool_.hash, members,
                            std::span<const bool>(live.get(), live_bytes.size()));
}

}  // namespace shardis::backend
