// PoolWatch: SentinelMonitor's state for one pool with a sentinel: the Sentinel it listens
// to, its two connections to it (subscribed to +switch-master and to the replicas' +sdown,
// -sdown and +slave, and one for questions), and the last address and healthy replicas known
// of each master. Runs only on the monitor's thread. A server is reported by its name in the
// pool (the ring's, not Sentinel's master name), which a reload never renumbers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/sentinel_client.h"
#include "config/config.h"

namespace shardis::app {

class PoolWatch {
 public:
  using Callback =
      std::function<void(uint32_t pool, const std::string& server, const MasterAddress& address)>;
  using ReplicasCallback = std::function<void(uint32_t pool, const std::string& server,
                                              const std::vector<config::Server::Replica>&)>;
  // Who hears of a change: a master's new address, a master's new list of healthy replicas.
  struct Reports {
    Callback master;
    ReplicasCallback replicas;
  };
  using Clock = std::chrono::steady_clock;

  // Copies what it needs of `pool`: the monitor outlives no config, and holds none.
  PoolWatch(uint32_t pool_index, const config::Pool& pool);
  PoolWatch(const PoolWatch&) = delete;
  PoolWatch& operator=(const PoolWatch&) = delete;

  [[nodiscard]] uint32_t poolIndex() const { return pool_index_; }
  [[nodiscard]] const config::Sentinel& sentinel() const { return sentinel_; }
  // The pool's servers after a reload (its sentinel section unchanged): the masters followed
  // from now on, at the addresses and with the replicas the reload found.
  void setServers(const config::Pool& pool);

  void setWakeFd(int fd) { wake_fd_ = fd; }
  // When tick() wants to run next: the next re-ask, or the next try to reach a Sentinel.
  [[nodiscard]] Clock::time_point due() const { return due_; }
  // Makes the next tick() due now.
  void askNow() { due_ = Clock::time_point{}; }
  // Connects if not connected (each Sentinel in turn from the current one), then re-asks
  // every master and its replicas; drops the link, to try the next Sentinel, when anything
  // fails.
  void tick(Clock::time_point now, const Reports& report);
  // The subscribed connection's descriptor, -1 while not connected.
  [[nodiscard]] int subscriberFd() const;
  // Reads what the subscribed connection has: +switch-master, which moves a master at once;
  // any of these messages about one of the pool's masters or replicas makes the next tick()
  // due now, to ask for the replicas (a failover or a replica going down changes them).
  void readMessages(const Reports& report);

 private:
  struct Master {
    std::string server;  // its name in the pool
    std::string name;    // Sentinel's (master_prefix + server)
    MasterAddress address;
    std::vector<config::Server::Replica> replicas;  // healthy ones, sorted (sentinel_client.h)
    bool unknown_logged = false;                    // one warning while a Sentinel does not know it
  };

  bool connect();
  bool connectTo(size_t host, std::string& error);
  bool reask(const Reports& report);
  bool reaskReplicas(Master& master, const Reports& report);
  void onSwitchMaster(std::string_view payload, const Callback& report);
  void onReplicaEvent(std::string_view payload);
  void update(Master& master, const MasterAddress& address, const Callback& report);
  void drop(const std::string& why);

  uint32_t pool_index_;
  std::string pool_name_;
  config::Sentinel sentinel_;  // SentinelConnection keeps a reference: PoolWatch never moves
  std::vector<Master> masters_;
  size_t current_ = 0;  // index in sentinel_.hosts of the Sentinel listened to (or next tried)
  std::unique_ptr<SentinelConnection> subscriber_;
  std::unique_ptr<SentinelConnection> query_;
  int wake_fd_ = -1;
  Clock::time_point due_{};
  bool unreachable_logged_ = false;  // one warning per outage, not one per retry
};

}  // namespace shardis::app
