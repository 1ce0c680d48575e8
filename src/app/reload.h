// Reload: rereads the configuration file and applies it to the running proxy without closing
// a client connection. Triggered by SIGHUP (after the log file is reopened), SIGUSR1
// (twemproxy's signal) and the admin port's `POST /reload`; any thread may call reload(), and
// calls are taken one at a time.
//
// What a reload may change: each pool's servers (added, removed, changed address or login;
// through a new topology, topology.h) and its options (they apply to requests from then on);
// `listen` (the new address is opened, the old listener closed, its clients stay). What it
// may not: the set of pools (names and order), which a restart changes; process-wide
// settings (the `shardis:` section) are logged as needing a restart and otherwise ignored.
// An invalid file, or a new `listen` that cannot be opened, changes nothing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/topology.h"
#include "proxy/worker.h"
#include "stats/hub.h"

namespace shardis::app {

struct ReloadResult {
  bool applied = false;
  std::string message;  // why not, when not applied
};

// Hands a new topology to every worker and the stats; the caller holds owner.lock().
class TopologyPublisher {
 public:
  TopologyPublisher(proxy::TopologyOwner& owner,
                    std::vector<std::unique_ptr<proxy::Worker>>& workers, stats::StatsHub& hub)
      : owner_(owner), workers_(workers), hub_(hub) {}

  // Makes `topology` current in TopologyStep's three steps; pool p of worker w listens on
  // fds[p][w] where fds[p] is not empty. Returns once every worker took every step, each
  // waited for at most a bound.
  void publish(const proxy::Topology& topology, const std::vector<std::vector<int>>& fds);
  [[nodiscard]] proxy::TopologyOwner& owner() { return owner_; }
  [[nodiscard]] size_t workers() const { return workers_.size(); }
  // The workers are stopping: nothing is published any more (guarded by owner.lock()).
  void stop() { stopped_ = true; }
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  // Posts `step` to every worker and waits (bounded) until each has taken it.
  void step(proxy::TopologyStep step, const proxy::Topology& topology,
            const std::vector<std::vector<int>>& fds);

  proxy::TopologyOwner& owner_;
  std::vector<std::unique_ptr<proxy::Worker>>& workers_;
  stats::StatsHub& hub_;
  bool stopped_ = false;
};

class Reloader {
 public:
  // Told each configuration applied (its sentinel pools' addresses discovered), under the
  // owner's lock: the Sentinel monitor follows it.
  using Applied = std::function<void(const config::Config&)>;
  // `running`: the config the proxy started with (its path is the file reread).
  Reloader(const config::Config& running, TopologyPublisher& publisher, stats::StatsHub& hub,
           Applied applied = {});

  // Rereads the file and applies it; `trigger` names what asked ("SIGHUP", "POST /reload").
  ReloadResult reload(std::string_view trigger);

 private:
  [[nodiscard]] std::string checkPools(const config::Config& next) const;
  [[nodiscard]] bool openChangedListeners(const config::Config& next,
                                          std::vector<std::vector<int>>& fds,
                                          std::string& error) const;
  void logProcessChanges(const config::Process& next) const;
  ReloadResult refuse(std::string_view trigger, std::string message);

  std::string path_;
  config::Process process_;  // as started: process settings are not reloaded
  TopologyPublisher& publisher_;
  proxy::TopologyOwner& owner_;
  stats::StatsHub& hub_;
  Applied applied_;
};

// The stats layout of a topology: each pool's live servers and their slots.
[[nodiscard]] stats::Layout layoutOf(const proxy::Topology& topology);

}  // namespace shardis::app
