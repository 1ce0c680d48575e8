#include "backend/connection_pool.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <utility>

#include "net/loop.h"
#include "resp/limits.h"

namespace shardis::backend {

ServerEndpoint resolveEndpoint(const ServerSpec& server, uint32_t index) {
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

ConnectionPool::ConnectionPool(net::Loop& loop, const PoolSettings& settings)
    : loop_(loop), settings_(settings) {
  settings_.servers.clear();
  for (const ServerSpec& spec : settings.servers) addServer(spec);
}

uint32_t ConnectionPool::addServer(const ServerSpec& spec) {
  const auto index = static_cast<uint32_t>(servers_.size());
  auto server = std::make_unique<Server>();
  server->endpoint = resolveEndpoint(spec, index);
  server->settings.username = spec.username;
  server->settings.password = spec.password;
  server->settings.db = spec.db;
  server->settings.expect_master = spec.expect_master;
  // The clients' limits bound what clients send; a reply is as large as the server makes it.
  server->settings.limits = resp::serverReplyLimits();
  applyPoolSettings(*server);
  for (uint32_t c = 0; c < std::max<uint32_t>(1, spec.connections); ++c) {
    server->connections.push_back(makeConnection(*server));
  }
  servers_.push_back(std::move(server));
  return index;
}

void ConnectionPool::applyPoolSettings(Server& server) const {
  server.settings.timeout_ms = settings_.connect_timeout_ms;
  server.settings.keepalive = settings_.keepalive;
  server.settings.queue_limit = settings_.queue_limit;
  server.settings3 = server.settings;
  server.settings3.protocol = resp::Protocol::kResp3;
}

void ConnectionPool::updateSettings(const PoolSettings& settings) {
  settings_.connect_timeout_ms = settings.connect_timeout_ms;
  settings_.keepalive = settings.keepalive;
  settings_.queue_limit = settings.queue_limit;
  settings_.max_leased_connections = settings.max_leased_connections;
  for (auto& server : servers_) applyPoolSettings(*server);
}

// A retired server gets no new request (the ring no longer names it), but requests in flight
// on its shared connections finish: each is closed once it has nothing in flight. The
// objects stay until the pool goes, as the tickets of finished requests still point at them.
void ConnectionPool::retire(uint32_t index) {
  Server& server = *servers_[index];
  if (server.retired) return;
  server.retired = true;
  for (auto& connection : server.idle) close(server, std::move(connection));
  server.idle.clear();
  if (server.subscriber) server.subscriber->shutdown(retiredMessage(server));
  drainRetired();
}

void ConnectionPool::revive(uint32_t index) {
  Server& server = *servers_[index];
  server.retired = false;
  server.drained = false;  // its connections reconnect on their next request
}

std::string ConnectionPool::retiredMessage(const Server& server) {
  return "ERR server " + server.endpoint.name + ": removed from the pool";
}

void ConnectionPool::drainRetired() {
  bool waiting = false;
  for (auto& server : servers_) {
    if (!server->retired || server->drained) continue;
    bool busy = false;
    for (auto* list : {&server->connections, &server->connections3}) {
      for (auto& connection : *list) {
        if (connection->inFlight() == 0) {
          connection->shutdown(retiredMessage(*server));
        } else {
          busy = true;
        }
      }
    }
    server->drained = !busy;
    waiting = waiting || busy;
  }
  if (!waiting) {
    if (drain_timer_) drain_timer_->stop();
    return;
  }
  if (!drain_timer_) drain_timer_ = net::Timer::create(loop_, [this] { drainRetired(); });
  drain_timer_->start(kDrainCheckMs);
}

ConnectionPool::~ConnectionPool() {
  shutdown();
  // A lease holds a pointer to its pool: every holder is gone before the pool.
  assert(leases_out_ == 0);
}

std::unique_ptr<ServerConnection> ConnectionPool::makeConnection(Server& server,
                                                                 resp::Protocol protocol) {
  const ConnectionSettings& settings =
      protocol == resp::Protocol::kResp3 ? server.settings3 : server.settings;
  return std::make_unique<ServerConnection>(loop_, server.endpoint, settings, *this);
}

ServerConnection& ConnectionPool::connectionFor(uint32_t index, uint64_t client_id,
                                                resp::Protocol protocol) {
  Server& server = *servers_[index];
  if (protocol == resp::Protocol::kResp2) {
    return *server.connections[client_id % server.connections.size()];
  }
  while (server.connections3.size() < server.connections.size()) {
    server.connections3.push_back(makeConnection(server, resp::Protocol::kResp3));
  }
  return *server.connections3[client_id % server.connections3.size()];
}

Lease ConnectionPool::lease(uint32_t index, resp::Protocol protocol) {
  Server& server = *servers_[index];
  if (server.leased >= maxLeased()) return {};
  std::unique_ptr<ServerConnection> connection;
  // The most recently given back of the protocol asked for: leases rarely mix protocols, so
  // the search stops near the back.
  auto found = std::find_if(server.idle.rbegin(), server.idle.rend(),
                            [&](const auto& idle) { return idle->protocol() == protocol; });
  if (found != server.idle.rend()) {
    connection = std::move(*found);
    server.idle.erase(std::next(found).base());
  } else {
    connection = makeConnection(server, protocol);
  }
  ++leases_out_;
  ++server.leased;
  server.peak = std::max(server.peak, server.leased);
  leasesChanged(index);
  return {*this, index, std::move(connection)};
}

// Only a connection with nothing owed on it may serve the next client: a reply still to come
// would reach that client, and an open MULTI would queue its commands. A reset end queues the
// command that undoes what the holder left, ahead of whatever the next holder sends; replies
// owed to cancelled tickets ahead of it are dropped when they come.
bool ConnectionPool::keepForReuse(ServerConnection& connection, LeaseEnd end) const {
  if (!connection.connected()) return false;
  switch (end) {
    case LeaseEnd::kClean:
      return connection.inFlight() == 0;
    case LeaseEnd::kAbandoned:
      return false;
    case LeaseEnd::kUnwatch:
      return connection.sendReset("*1\r\n$7\r\nUNWATCH\r\n");
    case LeaseEnd::kDiscard:
      // DISCARD ends an open MULTI (and its WATCH); without one it is refused, and UNWATCH
      // then ends a WATCH: either way the connection is left as a new one.
      return connection.sendReset("*1\r\n$7\r\nDISCARD\r\n") &&
             connection.sendReset("*1\r\n$7\r\nUNWATCH\r\n");
  }
  return false;
}

// The idle list is capped at the most leases out at once over the last one or two windows of
// kIdleWindow lease ends (never below kIdleFloor). At a steady load every connection given
// back is kept, so none is opened per transaction; after a burst (up to max_leased_connections
// clients at once) the connections it left idle are closed within two windows instead of
// holding a server connection each for the life of the worker. Counted in lease ends, not
// time, so an idle proxy keeps what it has and no timer is needed.
void ConnectionPool::giveBack(uint32_t index, std::unique_ptr<ServerConnection> connection,
                              LeaseEnd end) {
  --leases_out_;
  Server& server = *servers_[index];
  --server.leased;
  if (++server.ends >= kIdleWindow) endWindow(server);
  const size_t cap = std::max({kIdleFloor, server.peak, server.peak_before});
  if (!server.retired && server.idle.size() < cap && keepForReuse(*connection, end)) {
    server.idle.push_back(std::move(connection));
  } else {
    close(server, std::move(connection));
  }
  leasesChanged(index);
}

// The least recently used idle connections (the front: lease() takes from the back) go.
void ConnectionPool::endWindow(Server& server) {
  server.peak_before = server.peak;
  server.peak = server.leased;
  server.ends = 0;
  const size_t cap = std::max({kIdleFloor, server.peak, server.peak_before});
  if (server.idle.size() <= cap) return;
  const auto excess = static_cast<std::ptrdiff_t>(server.idle.size() - cap);
  std::vector<std::unique_ptr<ServerConnection>> closing;
  std::move(server.idle.begin(), server.idle.begin() + excess, std::back_inserter(closing));
  server.idle.erase(server.idle.begin(), server.idle.begin() + excess);
  for (auto& connection : closing) close(server, std::move(connection));
}

void ConnectionPool::leasesChanged(uint32_t index) {
  const Server& server = *servers_[index];
  if (observer_ != nullptr) observer_->onLeasesChanged(index, server.leased, server.idle.size());
}

// The connection may be the one whose reply callback is running: it is closed now and freed
// once the stack has unwound.
void ConnectionPool::close(Server& server, std::unique_ptr<ServerConnection> connection) {
  connection->shutdown("ERR server " + server.endpoint.name + ": connection closed");
  ServerConnection* raw = connection.release();
  loop_.defer([raw] { delete raw; });
}

ServerConnection& ConnectionPool::subscriber(uint32_t index, PushSink& sink) {
  Server& server = *servers_[index];
  if (!server.subscriber) server.subscriber = makeConnection(server);
  server.subscriber->setPushSink(&sink);
  return *server.subscriber;
}

void ConnectionPool::probe(uint32_t server) { servers_[server]->connections.front()->probe(); }

void ConnectionPool::preconnect() {
  for (auto& server : servers_) {
    for (auto& connection : server->connections) connection->connect();
  }
}

size_t ConnectionPool::inFlight() const {
  size_t total = 0;
  for (const auto& server : servers_) {
    for (const auto& connection : server->connections) total += connection->inFlight();
    for (const auto& connection : server->connections3) total += connection->inFlight();
    if (server->subscriber) total += server->subscriber->inFlight();
  }
  return total;
}

void ConnectionPool::shutdown() {
  drain_timer_.reset();
  for (auto& server : servers_) {
    const std::string message = "ERR server " + server->endpoint.name + ": proxy shutting down";
    for (auto& connection : server->connections) connection->shutdown(message);
    for (auto& connection : server->connections3) connection->shutdown(message);
    for (auto& connection : server->idle) connection->shutdown(message);
    if (server->subscriber) server->subscriber->shutdown(message);
  }
}

void ConnectionPool::onServerDown(uint32_t index, std::string_view cause) {
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

void ConnectionPool::onServerFailure(uint32_t index, std::string_view cause) {
  Server& server = *servers_[index];
  ++server.failures;
  if (failure_listener_ != nullptr) {
    failure_listener_->onServerFailure(index, cause, server.failures);
  }
}

// Every reply passes here: the listener hears only the answer that ends a run of failures.
void ConnectionPool::onServerAnswered(uint32_t index) {
  Server& server = *servers_[index];
  if (server.failures == 0) return;
  server.failures = 0;
  if (failure_listener_ != nullptr) failure_listener_->onServerRecovered(index);
}

void ConnectionPool::onRequestSent(uint32_t server, size_t bytes) {
  if (observer_ != nullptr) observer_->onRequestSent(server, bytes);
}

void ConnectionPool::onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) {
  if (observer_ != nullptr) observer_->onReplyRead(server, round_trip_us, bytes);
}

void ConnectionPool::onConnectionOpen(uint32_t index, bool open) {
  Server& server = *servers_[index];
  if (open && server.down) {
    server.down = false;
    spdlog::info("server {}: up (connected after a failure)", server.endpoint.name);
    if (observer_ != nullptr) observer_->onServerState(index, true);
  }
  if (observer_ != nullptr) observer_->onConnectionOpen(index, open);
}

void ConnectionPool::onConnectionClosed(uint32_t server, CloseCause cause) {
  if (observer_ != nullptr) observer_->onConnectionClosed(server, cause);
}

void ConnectionPool::onRequestFailed(uint32_t server, RequestFailure why) {
  if (observer_ != nullptr) observer_->onRequestFailed(server, why);
}

void ConnectionPool::onWrongRole(uint32_t server) {
  if (on_wrong_role_) on_wrong_role_(server);
}

void ConnectionPool::onQueueChanged(uint32_t server, const QueueDelta& delta) {
  if (observer_ != nullptr) observer_->onQueueChanged(server, delta);
}

}  // namespace shardis::backend
