// ClientTracking: client-side caching (CLIENT TRACKING) through the proxy.
//
// Redis tracks what a connection reads and pushes an invalidation to that connection when a
// key changes. A shared backend connection carries many clients, so a tracking client's
// commands ride connections of its own instead: CLIENT TRACKING leases one per server (every
// server, so that BCAST hears every server's keys) and sends the command on each; from then
// on every command of the client that is not leased otherwise (transactions, blocking
// commands) goes to its server over these, so each server tracks exactly what the client
// read there and keeps its per-server order. Each push they bring is passed to the client as
// it came. The connections stay the client's until it leaves (they hold tracking state, so
// they are closed, never reused).
//
// A connection that is lost takes the server's tracking with it: the client gets Redis's
// "invalidate everything" push (a null, as after FLUSHALL), and the next command to that
// server first sends CLIENT TRACKING again, so that whatever the client reads afterwards is
// tracked.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_pool.h"
#include "resp/encoder.h"

namespace shardis::proxy {

class ClientSession;

class ClientTracking final : public backend::PushSink {
 public:
  explicit ClientTracking(ClientSession& session) : session_(session) {}
  ~ClientTracking();
  ClientTracking(const ClientTracking&) = delete;
  ClientTracking& operator=(const ClientTracking&) = delete;

  // Leases a connection to every live server (slot) of `pool` in `protocol` (once; later
  // calls keep the leases). False, with Redis-style `error`, when a lease is refused: none is
  // kept then.
  [[nodiscard]] bool leaseAll(backend::ServerPool& pool, std::span<const uint32_t> live,
                              resp::Protocol protocol, std::string& error);
  // The client's connection to `server` for a command in `protocol`; null when it has none
  // in that protocol (the shared connections serve it then).
  backend::ServerConnection* connection(uint32_t server, resp::Protocol protocol);
  // The client's CLIENT TRACKING (complete RESP bytes) succeeded on every server: what a lost
  // connection sends again, and what CLIENT INFO shows.
  void accepted(std::string_view command, bool on, bool bcast);
  // RESET: tracking off on every server, as a fresh connection has it.
  void reset();

  [[nodiscard]] bool on() const { return on_; }
  [[nodiscard]] bool bcast() const { return bcast_; }

  // backend::PushSink: the servers' invalidations, and a lost connection.
  void onPush(const resp::Reply& push) override;
  void onSubscriberClosed(std::string_view message) override;

 private:
  struct Link {
    backend::Lease lease;
    uint64_t closes = 0;  // the connection's closes() when tracking was last sent on it
  };

  ClientSession& session_;
  std::vector<Link> links_;  // by server; empty until leaseAll()
  resp::Protocol protocol_ = resp::Protocol::kResp2;
  std::string command_;  // the last CLIENT TRACKING the servers accepted
  bool on_ = false;
  bool bcast_ = false;
};

}  // namespace shardis::proxy
