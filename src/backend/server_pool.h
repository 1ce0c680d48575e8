// ServerPool: the backend as the proxy sees it, one worker's connections to the servers of one
// pool, in three modes (DESIGN.md decision 10):
//
//   shared      connectionFor(server, client, protocol): pipelined, many clients, strict FIFO;
//               a client always gets the same one per server, so it reads its own writes.
//               RESP3 clients have connections of their own that said HELLO 3.
//   leased      lease(server): a connection one client holds alone (a transaction, a blocking
//               command), given back through its Lease; kept for the next lease after a clean
//               end, closed when anything could be left on it.
//   subscriber  subscriber(server, sink): the connection on which the server pushes messages
//               that answer no request; they go to the sink.
//
// An interface, because it is the test seam of the layers above (STYLE.md). ConnectionPool is
// the real one. The backend knows servers by index and endpoint only: which server owns a key,
// and whether a failing server is ejected, is decided above it (proxy/pool_ring.h), from what
// the pool reports to its FailureListener.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"

namespace shardis::backend {

// One server as the backend needs it: where it is and how to log in.
struct ServerSpec {
  std::string name;
  std::string host;  // empty for a unix socket
  uint16_t port = 0;
  std::string unix_path;       // non-empty for a unix socket server
  std::string username;        // AUTH username password when set
  std::string password;        // empty: no AUTH
  int db = 0;                  // SELECT when non-zero
  uint32_t connections = 1;    // shared connections per worker, at least one
  bool expect_master = false;  // ROLE checked on connect (a Sentinel master)
};

struct PoolSettings {
  std::vector<ServerSpec> servers;
  int64_t connect_timeout_ms = -1;  // bounds a connect and its AUTH/SELECT; <= 0: none
  bool keepalive = false;
  uint64_t queue_limit = 0;  // per connection (server_queue_limit); 0 = none
  // Leases one worker may have out to one server at once; lease() refuses past it.
  uint32_t max_leased_connections = 10000;
};

// Counts what happens on a pool's servers (the proxy feeds its stats from it). Called on the
// worker's thread; every call is cheap and must not call back into the pool.
class ServerObserver {
 public:
  virtual void onRequestSent(uint32_t server, size_t bytes) = 0;
  virtual void onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) = 0;
  virtual void onConnectionOpen(uint32_t server, bool open) = 0;
  virtual void onConnectionClosed(uint32_t server, CloseCause cause) = 0;
  // The server went down (a connection could not be made or broke) or came back up.
  virtual void onServerState(uint32_t /*server*/, bool /*up*/) {}
  // A client request failed without a reply (the pool's timeout and backend_down errors).
  virtual void onRequestFailed(uint32_t /*server*/, RequestFailure /*why*/) {}
  // The server's in_queue/out_queue gauges moved by `delta` (summed over its connections).
  virtual void onQueueChanged(uint32_t /*server*/, const QueueDelta& /*delta*/) {}
  // The server's leased connections on this worker: held by a client now, and kept idle for
  // the next lease. Absolute values (this worker's), told whenever either changes.
  virtual void onLeasesChanged(uint32_t /*server*/, size_t /*in_use*/, size_t /*idle*/) {}

 protected:
  ~ServerObserver() = default;
};

// What the ejection rule above the backend hears: failures in a row and the answer that ends
// them. Not per reply: an answer is reported only when it follows a failure.
class FailureListener {
 public:
  // A connection refused or lost, or a timeout: the `in_a_row`th since the server last
  // answered. `cause` is plain text without the server's name.
  virtual void onServerFailure(uint32_t server, std::string_view cause, uint32_t in_a_row) = 0;
  // The server answered (a request or a probe) after one or more failures.
  virtual void onServerRecovered(uint32_t server) = 0;

 protected:
  ~FailureListener() = default;
};

// How a leased connection's holder ended with it.
enum class LeaseEnd : uint8_t {
  kClean,      // every reply read and no MULTI open: the connection may serve another client
  kAbandoned,  // the client left mid-way (a reply owed, a MULTI open, a blocked command)
  // The holder left server-side state that one command undoes; the pool sends it as its own
  // request (its reply, error or not, is read and dropped) and keeps the connection for the
  // next lease at once: replies come in order, so the next holder's commands run after it.
  // Replies still owed for cancelled tickets may be on it, but nothing that can block.
  kUnwatch,  // a WATCH and no MULTI: UNWATCH
  kDiscard,  // a MULTI may be open (with or without WATCH): DISCARD, then UNWATCH
};

class ServerPool;

// One client's exclusive hold on a connection to one server. Moves, never copies; a lease
// dropped without release() is abandoned (its connection closed).
class Lease {
 public:
  Lease() = default;
  Lease(ServerPool& pool, uint32_t server, std::unique_ptr<ServerConnection> connection);
  ~Lease();
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  explicit operator bool() const { return connection_ != nullptr; }
  [[nodiscard]] uint32_t server() const { return server_; }
  ServerConnection& connection() { return *connection_; }
  // Gives the connection back to its pool; the lease is empty afterwards. The holder cancels
  // its tickets on the connection first.
  void release(LeaseEnd end);

 private:
  ServerPool* pool_ = nullptr;
  uint32_t server_ = 0;
  std::unique_ptr<ServerConnection> connection_;
};

class ServerPool {
 public:
  virtual ~ServerPool() = default;

  [[nodiscard]] virtual size_t serverCount() const = 0;
  [[nodiscard]] virtual const std::string& serverName(uint32_t server) const = 0;

  // Shared mode: the pipelined connection that client `client_id` uses to `server` in
  // `protocol` (RESP2 and RESP3 clients never share a connection).
  virtual ServerConnection& connectionFor(uint32_t server, uint64_t client_id,
                                          resp::Protocol protocol) = 0;
  // Leased mode: an idle connection to `server` in `protocol` kept from an earlier lease, or
  // a new one (connected on its first send). Empty (false) when this worker already has
  // max_leased_connections leases out to `server`.
  [[nodiscard]] virtual Lease lease(uint32_t server, resp::Protocol protocol) = 0;
  // Called by Lease::release(): keeps a cleanly ended (or reset, see LeaseEnd) connection for
  // the next lease, closes any other.
  virtual void giveBack(uint32_t server, std::unique_ptr<ServerConnection> connection,
                        LeaseEnd end) = 0;
  // Subscriber mode: this worker's one subscriber connection to `server`, whose pushes go to
  // `sink` (which replaces any earlier sink, and hears until the pool shuts down).
  virtual ServerConnection& subscriber(uint32_t server, PushSink& sink) = 0;

  // Whether `server` is down: its last connection attempt failed and none succeeded since.
  [[nodiscard]] virtual bool serverDown(uint32_t /*server*/) const { return false; }
  // Sends a PING to `server`, connecting first if need be (health probe of an ejected server).
  virtual void probe(uint32_t server) = 0;
  // Opens every shared connection now (preconnect).
  virtual void preconnect() = 0;
  // Requests in flight on any connection.
  [[nodiscard]] virtual size_t inFlight() const = 0;
  // Closes everything; requests still in flight get an error.
  virtual void shutdown() = 0;
};

}  // namespace shardis::backend
