// StatsHub: where workers publish their counters and readers (the stats port, the admin HTTP
// server, INFO) get a merged Snapshot.
//
//   worker 0: WorkerStats ──(StatsPublisher, once a second)──► slot 0 ┐
//   worker 1: WorkerStats ──────────────────────────────────► slot 1 ├─ snapshot() ─► Snapshot
//   ...                                                                ┘   (sum of the slots)
//
// Each slot has its own mutex, taken once a second by its worker and once per read by a
// reader: never on the request path. Counters and gauges add up across workers; a server's
// state is the worst any worker reports (ejected > down > up), so a server one worker cannot
// reach is not reported live; server_ejected_at is the latest.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/timer.h"
#include "stats/counters.h"

namespace shardis::net {
class Loop;
}

namespace shardis::stats {

// Names of the pools and their servers, in config order (pools) and ring order (servers).
// A pool's servers are its live slots (proxy/topology.h): `slots[i]` is where server i's
// counters are in PoolStats::servers, which also keeps those of servers gone since.
struct PoolLayout {
  std::string name;
  std::vector<std::string> servers;
  std::vector<uint32_t> slots;
};
using Layout = std::vector<PoolLayout>;

// What the stats JSON says about the program itself.
struct Identity {
  std::string service = "shardis";
  std::string source;  // host name
  std::string version;
};

struct Snapshot {
  Identity identity;
  int64_t uptime_s = 0;
  int64_t timestamp_s = 0;  // unix seconds
  std::shared_ptr<const Layout> layout;
  WorkerStats totals;
  uint64_t config_reloads = 0;          // reloads applied
  uint64_t config_reload_failures = 0;  // reloads refused (an invalid file)

  [[nodiscard]] uint64_t totalConnections() const;  // client connections ever accepted
  [[nodiscard]] uint64_t currConnections() const;   // client connections open now
};

[[nodiscard]] Layout layoutOf(const config::Config& config);

class StatsHub {
 public:
  StatsHub(const config::Config& config, size_t workers, Identity identity);
  StatsHub(const StatsHub&) = delete;
  StatsHub& operator=(const StatsHub&) = delete;

  [[nodiscard]] size_t workers() const { return slots_.size(); }
  // Any thread: the pools and servers as listed now.
  [[nodiscard]] std::shared_ptr<const Layout> layout() const;
  // Any thread: the servers are listed by `layout` from now on (a new topology).
  void setLayout(Layout layout);
  // Any thread: one more reload, applied or refused.
  void countReload(bool applied);

  // Worker `worker`'s thread: replaces its slot with a copy of `stats`.
  void publish(size_t worker, const WorkerStats& stats);
  // Any thread: the merged slots, stamped with the current time.
  [[nodiscard]] Snapshot snapshot() const;

 private:
  struct Slot {
    std::mutex mutex;
    WorkerStats stats;
  };
  Identity identity_;
  mutable std::mutex layout_mutex_;  // guards layout_
  std::shared_ptr<const Layout> layout_;
  std::atomic<uint64_t> config_reloads_{0};
  std::atomic<uint64_t> config_reload_failures_{0};
  int64_t started_s_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// Owned by a worker: publishes its WorkerStats into the hub every `interval_ms` from a timer
// on the worker's loop. The worker calls close() (or publishNow() then close()) at shutdown.
class StatsPublisher {
 public:
  static constexpr uint64_t kIntervalMs = 1000;

  StatsPublisher(net::Loop& loop, StatsHub& hub, size_t worker, const WorkerStats& stats,
                 uint64_t interval_ms = kIntervalMs);
  StatsPublisher(const StatsPublisher&) = delete;
  StatsPublisher& operator=(const StatsPublisher&) = delete;

  void publishNow() { hub_.publish(worker_, stats_); }
  void close() { timer_.reset(); }

 private:
  StatsHub& hub_;
  size_t worker_;
  const WorkerStats& stats_;
  net::TimerPtr timer_;
};

}  // namespace shardis::stats
