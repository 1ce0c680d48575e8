#include "app/reload.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <utility>

#include "app/listen_sockets.h"
#include "app/sentinel_client.h"

namespace shardis::app {

namespace {

// How long a reload waits for every worker to switch; a worker busy for longer still switches
// when it gets to it.
constexpr uint64_t kApplyWaitMs = 5000;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

// "pool 'alpha': added s4; removed s1; options timeout,listen" or "pool 'alpha': unchanged".
std::string describe(const proxy::PoolChange& change) {
  std::string out = "pool '" + change.pool + "':";
  if (change.empty()) return out + " unchanged";
  const std::pair<const char*, const std::vector<std::string>*> parts[] = {
      {"added", &change.added},
      {"removed", &change.removed},
      {"changed", &change.changed},
      {"options", &change.options}};
  bool first = true;
  for (const auto& [label, names] : parts) {
    if (names->empty()) continue;
    out += std::string(first ? " " : "; ") + label + " " + joined(*names);
    first = false;
  }
  return out;
}

}  // namespace

stats::Layout layoutOf(const proxy::Topology& topology) {
  stats::Layout layout;
  for (const auto& pool : topology) {
    stats::PoolLayout& entry = layout.emplace_back();
    entry.name = pool->config->name;
    for (const config::Server& server : pool->config->servers) entry.servers.push_back(server.name);
    entry.slots = pool->live;
  }
  return layout;
}

Reloader::Reloader(const config::Config& running, TopologyPublisher& publisher,
                   stats::StatsHub& hub, Applied applied)
    : path_(running.file),
      process_(running.process),
      publisher_(publisher),
      owner_(publisher.owner()),
      hub_(hub),
      applied_(std::move(applied)) {}

ReloadResult Reloader::refuse(std::string_view trigger, std::string message) {
  spdlog::error("{}: reload failed, the running configuration is kept: {}", trigger, message);
  hub_.countReload(false);
  return ReloadResult{false, std::move(message)};
}

ReloadResult Reloader::reload(std::string_view trigger) {
  std::lock_guard<std::mutex> hold(owner_.lock());
  if (publisher_.stopped()) return ReloadResult{false, "shardis is stopping"};
  config::Config next;
  try {
    next = config::loadFile(path_);
  } catch (const config::Error& error) {
    return refuse(trigger, error.what());
  }
  if (std::string wrong = checkPools(next); !wrong.empty()) return refuse(trigger, wrong);
  // A sentinel pool's file has names only: Sentinel gives the masters' addresses now.
  if (!discoverMasters(next)) {
    return refuse(trigger, "a sentinel pool's master has no address (see the line above)");
  }
  std::vector<std::vector<int>> fds;
  std::string error;
  if (!openChangedListeners(next, fds, error)) return refuse(trigger, error);
  std::vector<proxy::PoolChange> changes;
  proxy::Topology topology = owner_.build(next, changes);
  const uint64_t generation = topology.empty() ? 0 : topology.front()->generation;
  publisher_.publish(topology, fds);
  if (applied_) applied_(next);
  logProcessChanges(next.process);
  std::string summary;
  for (const proxy::PoolChange& change : changes) {
    summary += (summary.empty() ? "" : " | ") + describe(change);
  }
  spdlog::info("{}: config reloaded from {} (generation {}): {}", trigger, path_, generation,
               summary);
  hub_.countReload(true);
  return ReloadResult{true, {}};
}

std::string Reloader::checkPools(const config::Config& next) const {
  const proxy::Topology current = owner_.current();
  bool same = next.pools.size() == current.size();
  for (size_t p = 0; same && p < current.size(); ++p) {
    same = next.pools[p].name == current[p]->config->name;
  }
  if (same) return {};
  return path_ + ": the pools differ from the running ones (names and order); pools are added, " +
         "removed or renamed by a restart, not a reload";
}

// Per pool, the new sockets of a changed `listen` (none when unchanged), opened before
// anything is applied so that an address in use fails the reload as a whole.
bool Reloader::openChangedListeners(const config::Config& next, std::vector<std::vector<int>>& fds,
                                    std::string& error) const {
  const proxy::Topology current = owner_.current();
  fds.assign(next.pools.size(), {});
  for (size_t p = 0; p < next.pools.size(); ++p) {
    const config::Pool& pool = next.pools[p];
    if (pool.listen.text == current[p]->config->listen.text) continue;
    if (openPoolSockets(pool, publisher_.workers(), fds[p], error)) continue;
    error = fmt::format("pool '{}': cannot listen on {}: {}", pool.name, pool.listen.text, error);
    for (auto& opened : fds) {
      for (int fd : opened) ::close(fd);
    }
    return false;
  }
  return true;
}

// Every worker gets the topology and its own socket of each changed listener; the old unix
// socket files are removed once no worker listens on them.
void TopologyPublisher::publish(const proxy::Topology& topology,
                                const std::vector<std::vector<int>>& fds) {
  const proxy::Topology before = owner_.current();
  owner_.adopt(topology);
  hub_.setLayout(layoutOf(topology));
  step(proxy::TopologyStep::kPrepare, topology, {});
  step(proxy::TopologyStep::kSwitch, topology, fds);
  step(proxy::TopologyStep::kFinish, topology, {});
  for (size_t p = 0; p < fds.size(); ++p) {
    const config::ListenAddress& old_listen = before[p]->config->listen;
    if (!fds[p].empty() && old_listen.kind == config::ListenAddress::Kind::kUnix) {
      ::unlink(old_listen.path.c_str());
    }
  }
}

void TopologyPublisher::step(proxy::TopologyStep step, const proxy::Topology& topology,
                             const std::vector<std::vector<int>>& fds) {
  auto done = std::make_shared<proxy::Countdown>(workers_.size());
  for (size_t w = 0; w < workers_.size(); ++w) {
    std::vector<int> mine(fds.size(), -1);
    for (size_t p = 0; p < fds.size(); ++p) {
      if (!fds[p].empty()) mine[p] = fds[p][w];
    }
    workers_[w]->post(step, topology, std::move(mine), done);
  }
  if (done->wait(kApplyWaitMs)) return;
  static constexpr const char* kNames[] = {"subscribed where channels move to", "switched",
                                           "left the old servers"};
  spdlog::warn("reload: a worker has not {} after {} ms; it will when it is free",
               kNames[static_cast<size_t>(step)], kApplyWaitMs);
}

// Settings of the `shardis:` section that have no command-line flag (those with one would
// differ whenever the flag was given).
void Reloader::logProcessChanges(const config::Process& next) const {
  std::vector<std::string> changed;
  auto check = [&](bool differs, const char* name) {
    if (differs) changed.emplace_back(name);
  };
  check(next.admin_listen != process_.admin_listen, "admin_listen");
  check(next.max_clients != process_.max_clients, "max_clients");
  check(!(next.client_output_buffer_limit == process_.client_output_buffer_limit),
        "client_output_buffer_limit");
  check(!(next.client_output_buffer_limit_pubsub == process_.client_output_buffer_limit_pubsub),
        "client_output_buffer_limit_pubsub");
  check(next.client_queue_limit != process_.client_queue_limit, "client_queue_limit");
  check(next.server_queue_limit != process_.server_queue_limit, "server_queue_limit");
  check(next.slowlog_log_slower_than_us != process_.slowlog_log_slower_than_us,
        "slowlog_log_slower_than");
  check(next.slowlog_max_len != process_.slowlog_max_len, "slowlog_max_len");
  check(next.hotkeys != process_.hotkeys, "hotkeys");
  if (changed.empty()) return;
  spdlog::warn("reload: process settings {} changed in the file; they apply at the next start",
               joined(changed));
}

}  // namespace shardis::app
