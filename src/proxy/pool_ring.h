// PoolRing: one worker's view of which servers of a pool are live, and the ring over them.
//
// With auto_eject_hosts, a server that fails server_failure_limit times in a row (connections
// refused or lost, timeouts, as this worker's backend reports them) is taken out of the ring
// of every worker for server_retry_timeout (twemproxy's rule: the ring is rebuilt from the
// live servers; EjectionBoard makes it one decision for the process).
// Meanwhile it is probed with PING; it returns once server_retry_timeout has passed and its
// last probe was answered, so a server still dead then stays out without failing a request.
//
// Servers are slots (topology.h): locate() answers the slot of the ring member that owns a key.
// A new topology (apply()) keeps the standing of every slot still live: an ejected server
// stays ejected across a reload that does not change it.
//
// Owned by the worker's PoolRuntime, next to the backend pool it listens to; lives as long as
// the loop. locate() runs on every request: the ring's search and one index into `live`.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/server_pool.h"
#include "config/config.h"
#include "hash/ring.h"
#include "net/timer.h"
#include "proxy/ejection_board.h"
#include "proxy/topology.h"

namespace shardis::net {
class Loop;
}

namespace shardis::proxy {

// Told when a server leaves the ring or returns to it (the stats' ejected state).
class EjectionObserver {
 public:
  // `decided_here`: this worker ejected it (the process counts each ejection once).
  virtual void onEjected(uint32_t server, bool ejected, bool decided_here) = 0;

 protected:
  ~EjectionObserver() = default;
};

class PoolRing final : public backend::FailureListener {
 public:
  // `servers` is probed while a server is ejected. `board` is shared by the workers (null:
  // a board of its own, for tests).
  PoolRing(net::Loop& loop, std::shared_ptr<const PoolTopology> topology,
           backend::ServerPool& servers, EjectionBoard* board = nullptr);
  PoolRing(const PoolRing&) = delete;
  PoolRing& operator=(const PoolRing&) = delete;

  // Switches to `topology`'s servers and options.
  void apply(std::shared_ptr<const PoolTopology> topology);

  // Takes the ejections other workers decided since the last call (cheap when none).
  void refresh() {
    if (board_->version() != seen_version_) sync();
  }
  // The slot that owns `routing_key` under the current ring, or hash::Ring::kNoLiveMember
  // when every server is ejected (call refresh() first).
  [[nodiscard]] uint32_t locate(std::string_view routing_key) const {
    return slotOf(ring_->locate(routing_key));
  }
  // The slot that owns `routing_key` with every server in the ring, ejected ones too: where
  // a pub/sub channel lives, so that an ejection never splits a channel's publishers from
  // its subscribers.
  [[nodiscard]] uint32_t home(std::string_view routing_key) const {
    return slotOf(topology_->ring->locate(routing_key));
  }
  // Who hears ejections (null = nobody).
  void setObserver(EjectionObserver* observer) { observer_ = observer; }
  // Stops probing (the worker is stopping).
  void shutdown();

  // backend::FailureListener
  void onServerFailure(uint32_t server, std::string_view cause, uint32_t in_a_row) override;
  void onServerRecovered(uint32_t server) override;

 private:
  struct Standing {
    bool ejected = false;
    bool probe_answered = false;  // while ejected: the server answered since its last failure
    uint64_t retry_at_ms = 0;     // while ejected: server_retry_timeout after the ejection
    net::TimerPtr probe_timer;
  };

  [[nodiscard]] uint32_t slotOf(uint32_t member) const {
    return member == hash::Ring::kNoLiveMember ? member : topology_->live[member];
  }
  [[nodiscard]] bool isLive(uint32_t server) const;
  void sync();
  void eject(uint32_t server, std::string_view cause);
  void markEjected(uint32_t server, uint64_t retry_at_ms, bool decided_here);
  void markRestored(uint32_t server);
  void onProbeTimer(uint32_t server);
  [[nodiscard]] bool mayReturn(const Standing& standing) const;
  void restore(uint32_t server);
  void rebuild();

  [[nodiscard]] const config::Pool& pool() const { return *topology_->config; }

  net::Loop& loop_;
  backend::ServerPool& servers_;
  EjectionObserver* observer_ = nullptr;
  std::shared_ptr<const PoolTopology> topology_;
  std::shared_ptr<const hash::Ring> ring_;  // topology_'s ring, less the ejected servers
  std::vector<Standing> standing_;          // per slot
  EjectionBoard own_board_;                 // when none is shared
  EjectionBoard* board_;
  uint64_t seen_version_ = 0;
  size_t ejected_count_ = 0;
};

// The backend's settings for `pool`: its servers' addresses and logins (a server's own
// username, password, db and max_connections over the pool's), timeouts and limits.
backend::PoolSettings backendSettings(const config::Pool& pool, uint64_t queue_limit);

}  // namespace shardis::proxy
