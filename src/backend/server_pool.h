// ServerPool: one worker's connections to the servers of one pool, and that worker's view of
// which servers are live.
//
// Per server it keeps `server_connections` ServerConnection objects (or the server's own
// max_connections); a client always uses connection (client id mod count) of a server, so
// its requests to that server ride one connection and it reads its own writes.
//
// With auto_eject_hosts, a server that fails server_failure_limit times in a row (connections
// refused or lost, timeouts) is taken out of this worker's ring for server_retry_timeout
// (twemproxy's rule: the ring is rebuilt from the live servers). Meanwhile it is probed with
// PING; it returns once server_retry_timeout has passed and its last probe was answered, so a
// server still dead then stays out without failing a request.
//
// It also keeps the one log line per change of a server's state: down (with the cause) and
// up again, however many connections and redials that takes.
// Owned by the worker; lives as long as its loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "config/config.h"
#include "hash/ring.h"
#include "net/timer.h"

namespace shardis::backend {

// Counts what happens on a pool's servers (the proxy feeds its stats from it). Called on the
// worker's thread; every call is cheap and must not call back into the pool.
class ServerObserver {
 public:
  virtual void onRequestSent(uint32_t server, size_t bytes) = 0;
  virtual void onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) = 0;
  virtual void onConnectionOpen(uint32_t server, bool open) = 0;
  virtual void onConnectionClosed(uint32_t server, CloseCause cause) = 0;
  virtual void onEjected(uint32_t server, bool ejected) = 0;
  // The server went down (a connection could not be made or broke) or came back up.
  virtual void onServerState(uint32_t /*server*/, bool /*up*/) {}
  // A client request failed without a reply (the pool's timeout and backend_down errors).
  virtual void onRequestFailed(uint32_t /*server*/, RequestFailure /*why*/) {}
  // The server's in_queue/out_queue gauges moved by `delta` (summed over its connections).
  virtual void onQueueChanged(uint32_t /*server*/, const QueueDelta& /*delta*/) {}

 protected:
  ~ServerObserver() = default;
};

class ServerPool final : public ServerHealth {
 public:
  // `ring` is the pool's ring over all servers (shared by the workers). Replies are decoded
  // with resp::serverReplyLimits(), not the clients' limits.
  ServerPool(net::Loop& loop, const config::Pool& pool, std::shared_ptr<const hash::Ring> ring);
  ~ServerPool();
  ServerPool(const ServerPool&) = delete;
  ServerPool& operator=(const ServerPool&) = delete;

  const config::Pool& config() const { return pool_; }
  // Who counts (null = nobody); set before the first request.
  void setObserver(ServerObserver* observer) { observer_ = observer; }
  // Every connection's queue limit (server_queue_limit); set before the first request.
  void setQueueLimit(uint64_t bytes);
  size_t serverCount() const { return servers_.size(); }
  const std::string& serverName(uint32_t server) const { return servers_[server]->endpoint.name; }

  // The server that owns `routing_key` under this worker's current ring, or
  // hash::Ring::kNoLiveMember when every server is ejected.
  uint32_t locate(std::string_view routing_key);
  ServerConnection& connectionFor(uint32_t server, uint64_t client_id);

  // Opens every connection now (preconnect).
  void preconnect();
  // Requests in flight on any connection.
  size_t inFlight() const;
  // Closes everything; requests still in flight get an error.
  void shutdown();

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

 private:
  struct Server {
    ServerEndpoint endpoint;
    ConnectionSettings settings;
    std::vector<std::unique_ptr<ServerConnection>> connections;
    uint32_t failures = 0;
    bool down = false;  // logged down and not up since
    bool ejected = false;
    bool probe_answered = false;  // while ejected: the server answered since its last failure
    uint64_t retry_at_ms = 0;     // while ejected: server_retry_timeout after the ejection
    net::TimerPtr probe_timer;
  };

  void rebuildRing();
  void eject(Server& server, std::string_view cause);
  void onProbeTimer(Server& server);
  [[nodiscard]] bool mayReturn(const Server& server) const;
  void restore(Server& server);

  net::Loop& loop_;
  const config::Pool& pool_;
  ServerObserver* observer_ = nullptr;
  std::shared_ptr<const hash::Ring> full_ring_;
  std::shared_ptr<const hash::Ring> ring_;
  std::vector<std::unique_ptr<Server>> servers_;
  size_t ejected_count_ = 0;
};

// Resolves a server's address (blocking getaddrinfo; called once per worker at start).
ServerEndpoint resolveEndpoint(const config::Server& server, uint32_t index);

}  // namespace shardis::backend
