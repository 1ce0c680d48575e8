// ConnectionPool: the ServerPool of a running worker, over libuv connections.
//
// Per server it keeps `connections` shared ServerConnection objects (the server's own
// max_connections, or the pool's server_connections) per protocol (the RESP3 ones made when a
// RESP3 client first needs them), the count of leases out (at most
// max_leased_connections), an idle list of connections given back by leases (capped, see
// giveBack()), and at most one subscriber connection. Every connection reports to this pool
// (ServerHealth), which keeps, per server, the one log line per change of state (down with
// the cause, up again, however many connections and redials that takes) and the count of
// failures in a row that the FailureListener hears.
// Owned by the worker; lives as long as its loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "backend/server_pool.h"
#include "net/timer.h"

namespace shardis::net {
class Loop;
}

namespace shardis::backend {

class ConnectionPool final : public ServerPool, public ServerHealth {
 public:
  // Resolves every server's address (blocking getaddrinfo, once per worker at start). Replies
  // are decoded with resp::serverReplyLimits(), not the clients' limits.
  ConnectionPool(net::Loop& loop, const PoolSettings& settings);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A server the pool did not start with (a reload, a failover); returns its index, the
  // server count before the call.
  uint32_t addServer(const ServerSpec& spec);
  // Server `server` is out of the topology: no new connection to it is kept, and its shared
  // connections close as their requests in flight finish. Leases out stay valid until given
  // back, and a request routed to it before the change still reaches it.
  void retire(uint32_t server);
  // A retired server back in the topology (a reload restored it as it was): kept again.
  void revive(uint32_t server);
  // New pool-wide settings (a reload): connects from now on use them.
  void updateSettings(const PoolSettings& settings);

  // Who counts (null = nobody); set before the first request.
  void setObserver(ServerObserver* observer) { observer_ = observer; }
  // Who decides on ejection (null = nobody); set before the first request.
  void setFailureListener(FailureListener* listener) { failure_listener_ = listener; }
  // Who hears that a connection found a replica where a master was expected (a failover not
  // heard of yet); told whether or not anybody counts. Set before the first request.
  using WrongRoleHandler = std::function<void(uint32_t server)>;
  void setWrongRoleHandler(WrongRoleHandler handler) { on_wrong_role_ = std::move(handler); }

  // ServerPool
  [[nodiscard]] size_t serverCount() const override { return servers_.size(); }
  [[nodiscard]] const std::string& serverName(uint32_t server) const override {
    return servers_[server]->endpoint.name;
  }
  ServerConnection& connectionFor(uint32_t server, uint64_t client_id,
                                  resp::Protocol protocol) override;
  [[nodiscard]] Lease lease(uint32_t server, resp::Protocol protocol) override;
  void giveBack(uint32_t server, std::unique_ptr<ServerConnection> connection,
                LeaseEnd end) override;
  ServerConnection& subscriber(uint32_t server, PushSink& sink) override;
  [[nodiscard]] bool serverDown(uint32_t server) const override { return servers_[server]->down; }
  void probe(uint32_t server) override;
  void preconnect() override;
  [[nodiscard]] size_t inFlight() const override;
  void shutdown() override;

  // Connections kept for the next lease of `server`, and leases of it out now (tests, INFO).
  [[nodiscard]] size_t idleLeases(uint32_t server) const { return servers_[server]->idle.size(); }
  [[nodiscard]] size_t leasesInUse(uint32_t server) const { return servers_[server]->leased; }

  // The idle list's floor and the span of its cap (giveBack()), in lease ends per server.
  static constexpr size_t kIdleFloor = 8;
  static constexpr uint32_t kIdleWindow = 1024;

  // ServerHealth
  void onServerDown(uint32_t server, std::string_view cause) override;
  void onServerFailure(uint32_t server, std::string_view cause) override;
  void onServerAnswered(uint32_t server) override;
  void onRequestSent(uint32_t server, size_t bytes) override;
  void onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) override;
  void onConnectionOpen(uint32_t server, bool open) override;
  void onConnectionClosed(uint32_t server, CloseCause cause) override;
  void onRequestFailed(uint32_t server, RequestFailure why) override;
  void onQueueChanged(uint32_t server, const QueueDelta& delta) override;
  void onWrongRole(uint32_t server) override;

 private:
  struct Server {
    ServerEndpoint endpoint;
    ConnectionSettings settings;                                 // RESP2
    ConnectionSettings settings3;                                // RESP3: the same, with HELLO 3
    std::vector<std::unique_ptr<ServerConnection>> connections;  // shared, RESP2
    // Shared, RESP3: as many as RESP2's, made when a RESP3 client first needs one.
    std::vector<std::unique_ptr<ServerConnection>> connections3;
    std::vector<std::unique_ptr<ServerConnection>> idle;  // given back by leases, either protocol
    std::unique_ptr<ServerConnection> subscriber;
    size_t leased = 0;       // leases out now
    size_t peak = 0;         // most leases out at once in this window of kIdleWindow ends
    size_t peak_before = 0;  // and in the window before it
    uint32_t ends = 0;       // lease ends in this window
    uint32_t failures = 0;   // in a row since the server last answered
    bool down = false;       // logged down and not up since
    bool retired = false;    // out of the topology (retire())
    bool drained = false;    // retired, and every shared connection closed
  };

  std::unique_ptr<ServerConnection> makeConnection(
      Server& server, resp::Protocol protocol = resp::Protocol::kResp2);
  void close(Server& server, std::unique_ptr<ServerConnection> connection);
  [[nodiscard]] bool keepForReuse(ServerConnection& connection, LeaseEnd end) const;
  void endWindow(Server& server);
  void leasesChanged(uint32_t index);
  void applyPoolSettings(Server& server) const;
  void drainRetired();
  static std::string retiredMessage(const Server& server);
  [[nodiscard]] size_t maxLeased() const {
    return std::max<uint32_t>(1, settings_.max_leased_connections);
  }

  // How often retired servers' shared connections are checked for requests in flight.
  static constexpr uint64_t kDrainCheckMs = 50;

  net::Loop& loop_;
  ServerObserver* observer_ = nullptr;
  FailureListener* failure_listener_ = nullptr;
  WrongRoleHandler on_wrong_role_;
  PoolSettings settings_;  // pool-wide settings; `servers` unused (see servers_)
  std::vector<std::unique_ptr<Server>> servers_;
  net::TimerPtr drain_timer_;  // while a retired server has requests in flight
  size_t leases_out_ = 0;      // over every server
};

// Resolves a server's address (blocking getaddrinfo).
ServerEndpoint resolveEndpoint(const ServerSpec& server, uint32_t index);

}  // namespace shardis::backend
