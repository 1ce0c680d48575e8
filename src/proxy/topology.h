// Topology snapshots: what every worker must agree on about a pool's servers, made whole and
// immutable by one owner and handed to the workers, which switch to it between requests.
//
// A server is known to the workers by its slot: an index that names one server identity
// (name, address, login, db) for the life of the process. A reload or a failover that changes
// a server's address gives it a new slot, and the old slot is drained; slots are never
// reused, so a request, lease or counter that names a slot always means the same server,
// before and after any number of changes. The ring's members are the live slots.
//
//   TopologyOwner (main thread, or Sentinel's; one lock)  ──build()──► PoolTopology × pools
//        └─ identity → slot, per pool                                    │ shared_ptr<const>
//                                                 Worker::post() ────────┘ applied between
//                                                                          requests
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/server_pool.h"
#include "config/config.h"
#include "hash/ring.h"

namespace shardis::proxy {

struct PoolTopology {
  uint64_t generation = 0;  // process-wide, one more per published change
  // Moves when the list of live slots changes: SCAN cursors carry it (fanout.h), so a cursor
  // from an older list is refused rather than walking the wrong servers.
  uint32_t list_epoch = 0;
  std::shared_ptr<const config::Pool> config;  // the pool's options and servers (ring order)
  std::vector<backend::ServerSpec> slots;      // every slot so far; index = slot
  std::vector<uint32_t> live;                  // ring member i is slot live[i]
  std::shared_ptr<const hash::Ring> ring;      // over config->servers, all live
  // By slot: the read replicas of a live server (empty for the rest). Replicas are slots of
  // their own, never ring members.
  std::vector<std::vector<uint32_t>> replicas;

  // Every slot in use: the live servers and their replicas.
  [[nodiscard]] bool inUse(uint32_t slot) const;
  // Whether every key, channel and whole-keyspace command goes to the same slots under
  // `other`: the same live servers and replicas, weights, hash, distribution and hash tag.
  [[nodiscard]] bool samePlacement(const PoolTopology& other) const;
};

using Topology = std::vector<std::shared_ptr<const PoolTopology>>;  // one per pool

// What a new topology changed in one pool, for the reload's log line.
struct PoolChange {
  std::string pool;
  std::vector<std::string> added, removed, changed;  // server names
  std::vector<std::string> options;                  // pool option names whose value changed
  [[nodiscard]] bool empty() const {
    return added.empty() && removed.empty() && changed.empty() && options.empty();
  }
};

// Counts down to zero as workers apply a topology; the publisher waits for it (bounded).
// The steps of one topology change, each taken by every worker before the next is posted
// (app/reload.cc). kPrepare: pub/sub channels whose home moves are subscribed on the new home
// too, while every worker still routes PUBLISH to the old one; done once the new homes
// confirmed. kSwitch: each worker routes by the new topology. kFinish: the old homes are left
// and servers no longer used retired. So whichever topology a publisher's worker uses while
// the workers switch one by one, the server it publishes to holds every worker's
// subscription.
enum class TopologyStep : uint8_t { kPrepare, kSwitch, kFinish };

class Countdown {
 public:
  explicit Countdown(size_t count) : left_(count) {}
  void done();
  // False when `timeout_ms` passed first.
  [[nodiscard]] bool wait(uint64_t timeout_ms);

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  size_t left_;
};

class TopologyOwner {
 public:
  // The first topology, from the config the proxy starts with.
  explicit TopologyOwner(const config::Config& config);

  // The topology for `next` (same pools, by name and order: checked by the caller), with
  // `changes` filled per pool. Does not publish: current() moves only by adopt().
  [[nodiscard]] Topology build(const config::Config& next, std::vector<PoolChange>& changes);
  // Makes `topology` the current one (the caller posts it to the workers).
  void adopt(Topology topology);
  [[nodiscard]] Topology current() const;
  // The lock that orders build() + adopt() + posting between the reload and Sentinel.
  std::mutex& lock() { return publish_mutex_; }

 private:
  struct PoolSlots {
    std::map<std::string, uint32_t> by_identity;
    std::vector<backend::ServerSpec> specs;
  };
  std::shared_ptr<PoolTopology> buildPool(size_t pool, const config::Pool& next);
  uint32_t slotOf(PoolSlots& slots, backend::ServerSpec spec);

  mutable std::mutex mutex_;  // guards the fields below
  std::vector<PoolSlots> slots_;
  Topology current_;
  uint64_t generation_ = 0;
  std::mutex publish_mutex_;
};

// A server's identity: everything that, changed, makes it another server to connect to.
[[nodiscard]] std::string identityOf(const backend::ServerSpec& spec);

}  // namespace shardis::proxy
