// SentinelMonitor: follows the masters of every pool with a sentinel once the proxy runs.
// One thread for all such pools. Per pool it holds two connections to one of its Sentinels
// (the next in the list when that one fails): one SUBSCRIBEd to +switch-master, and one that
// re-asks SENTINEL get-master-addr-by-name for every master every 2 seconds and right after
// each (re)connect, so a missed message or a dropped link cannot leave a stale address.
// Whenever a master's address differs from the last one known, it logs one line and calls
// back, on its own thread. It asks for each master's healthy replicas (SENTINEL REPLICAS)
// with the master, and at once when a replica of the pool is flagged down or up (+sdown,
// -sdown), a replica appears (+slave) or a master moves; when a master's list of healthy
// replicas changes it calls its second callback. serve() owns it; the callbacks' receiver
// must be thread-safe. A reload hands it the new configuration (follow()): servers added to
// a pool are followed from then on, removed ones no longer, and a pool whose sentinel section
// changed is followed through its new Sentinels.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"

namespace shardis::app {

class PoolWatch;

class SentinelMonitor {
 public:
  // `pool` indexes config.pools; `server` is the server's name in it.
  using Callback = std::function<void(uint32_t pool, const std::string& server, std::string host,
                                      uint16_t port)>;
  using ReplicasCallback = std::function<void(uint32_t pool, const std::string& server,
                                              std::vector<config::Server::Replica> replicas)>;

  SentinelMonitor();
  ~SentinelMonitor();
  SentinelMonitor(const SentinelMonitor&) = delete;
  SentinelMonitor& operator=(const SentinelMonitor&) = delete;

  // Starts watching every pool of `config` with a sentinel, from the addresses and replicas
  // `config` holds (discoverMasters() filled them), so only later changes call back. Starts
  // no thread while no pool has a sentinel. False with `error` when the thread cannot be set
  // up.
  [[nodiscard]] bool start(const config::Config& config, Callback on_change,
                           ReplicasCallback on_replicas, std::string& error);
  // Any thread, after a reload applied `config` (its addresses discovered): watches its
  // sentinel pools from now on, and asks every master again at once. The thread starts here
  // if `config` is the first with a sentinel. Harmless after stop().
  void follow(const config::Config& config);
  // Wakes the thread out of any wait (poll, connect, a Sentinel's reply) and joins it: returns
  // within milliseconds whatever socket_timeout is. Safe to call twice, or without start().
  void stop();
  // Any thread: ask every master again now (a connection found a replica where a master was
  // expected: a failover this monitor has not heard of). Harmless after stop().
  void recheck();

 private:
  void run();
  void wake();
  // On the monitor's thread (or before it starts): the watches for `config`'s sentinel pools;
  // a pool whose sentinel section is unchanged keeps its watch (and its Sentinel link).
  void adopt(const config::Config& config);

  int wake_fd_ = -1;  // eventfd: written by stop(), recheck() and follow(), watched by every wait
  std::atomic<bool> stopping_{false};
  std::atomic<bool> recheck_{false};
  // Guards thread_'s start against stop(), and the configuration follow() hands over.
  std::mutex mutex_;
  std::optional<config::Config> followed_;
  Callback on_change_;
  ReplicasCallback on_replicas_;
  std::vector<std::unique_ptr<PoolWatch>> watches_;
  std::thread thread_;
};

}  // namespace shardis::app
