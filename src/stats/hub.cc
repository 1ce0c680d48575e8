#include "stats/hub.h"

#include <chrono>

#include "config/config.h"

namespace shardis::stats {

namespace {

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

uint64_t Snapshot::totalConnections() const {
  uint64_t total = 0;
  for (const PoolStats& pool : totals.pools()) total += pool.counters.client_connections_total;
  return total;
}

uint64_t Snapshot::currConnections() const {
  uint64_t total = 0;
  for (const PoolStats& pool : totals.pools()) total += pool.counters.client_connections;
  return total;
}

Layout layoutOf(const config::Config& config) {
  Layout layout;
  layout.reserve(config.pools.size());
  for (const config::Pool& pool : config.pools) {
    PoolLayout& entry = layout.emplace_back();
    entry.name = pool.name;
    for (const config::Server& server : pool.servers) {
      entry.slots.push_back(static_cast<uint32_t>(entry.servers.size()));
      entry.servers.push_back(server.name);
    }
  }
  return layout;
}

StatsHub::StatsHub(const config::Config& config, size_t workers, Identity identity)
    : identity_(std::move(identity)),
      layout_(std::make_shared<const Layout>(layoutOf(config))),
      started_s_(unixSeconds()) {
  slots_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->stats = WorkerStats(config);
  }
}

std::shared_ptr<const Layout> StatsHub::layout() const {
  std::lock_guard lock(layout_mutex_);
  return layout_;
}

void StatsHub::setLayout(Layout layout) {
  auto next = std::make_shared<const Layout>(std::move(layout));
  std::lock_guard lock(layout_mutex_);
  layout_ = std::move(next);
}

void StatsHub::countReload(bool applied) {
  (applied ? config_reloads_ : config_reload_failures_).fetch_add(1, std::memory_order_relaxed);
}

void StatsHub::publish(size_t worker, const WorkerStats& stats) {
  Slot& slot = *slots_[worker];
  std::lock_guard lock(slot.mutex);
  slot.stats = stats;
}

Snapshot StatsHub::snapshot() const {
  Snapshot snapshot;
  snapshot.identity = identity_;
  {
    std::lock_guard lock(layout_mutex_);
    snapshot.layout = layout_;
  }
  snapshot.config_reloads = config_reloads_.load(std::memory_order_relaxed);
  snapshot.config_reload_failures = config_reload_failures_.load(std::memory_order_relaxed);
  snapshot.timestamp_s = unixSeconds();
  snapshot.uptime_s = snapshot.timestamp_s - started_s_;
  for (const auto& slot : slots_) {
    std::lock_guard lock(slot->mutex);
    snapshot.totals.merge(slot->stats);
  }
  return snapshot;
}

StatsPublisher::StatsPublisher(net::Loop& loop, StatsHub& hub, size_t worker,
                               const WorkerStats& stats, uint64_t interval_ms)
    : hub_(hub), worker_(worker), stats_(stats) {
  timer_ = net::Timer::create(loop, [this] { publishNow(); });
  timer_->start(interval_ms, interval_ms);
}

}  // namespace shardis::stats
