#include "app/sentinel_monitor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "app/pool_watch.h"

namespace shardis::app {

namespace {

using Clock = std::chrono::steady_clock;

int millisecondsUntil(Clock::time_point when, Clock::time_point now) {
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
}

}  // namespace

SentinelMonitor::SentinelMonitor() = default;

SentinelMonitor::~SentinelMonitor() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool SentinelMonitor::start(const config::Config& config, Callback on_change,
                            ReplicasCallback on_replicas, std::string& error) {
  on_change_ = std::move(on_change);
  on_replicas_ = std::move(on_replicas);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    error = std::string("sentinel monitor: eventfd: ") + std::strerror(errno);
    return false;
  }
  follow(config);
  return true;
}

void SentinelMonitor::follow(const config::Config& config) {
  std::lock_guard<std::mutex> hold(mutex_);
  if (stopping_ || wake_fd_ < 0) return;
  if (thread_.joinable()) {
    followed_ = config;  // the thread takes it on its next turn; a later reload's replaces it
    return wake();
  }
  adopt(config);
  if (!watches_.empty()) thread_ = std::thread([this] { run(); });
}

// Not under mutex_ while joining: the thread may be in a callback that waits for a reload,
// and that reload for follow().
void SentinelMonitor::stop() {
  bool started = false;
  {
    std::lock_guard<std::mutex> hold(mutex_);
    stopping_ = true;
    started = thread_.joinable();
  }
  if (started) {
    wake();
    thread_.join();
  }
  watches_.clear();
  // wake_fd_ stays open until the destructor: a worker may still call recheck().
}

void SentinelMonitor::recheck() {
  if (wake_fd_ < 0 || stopping_) return;
  recheck_ = true;
  wake();
}

void SentinelMonitor::wake() {
  const uint64_t one = 1;
  // A full counter (impossible here) would still leave the fd readable, which is all we need.
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

void SentinelMonitor::adopt(const config::Config& config) {
  std::vector<std::unique_ptr<PoolWatch>> watches;
  for (uint32_t p = 0; p < config.pools.size(); ++p) {
    const config::Pool& pool = config.pools[p];
    if (!pool.sentinel) continue;
    auto same = std::find_if(watches_.begin(), watches_.end(), [&](const auto& watch) {
      return watch && watch->poolIndex() == p && watch->sentinel() == *pool.sentinel;
    });
    if (same != watches_.end()) {
      (*same)->setServers(pool);
      watches.push_back(std::move(*same));
    } else {
      watches.push_back(std::make_unique<PoolWatch>(p, pool));
      watches.back()->setWakeFd(wake_fd_);
    }
    watches.back()->askNow();
  }
  watches_ = std::move(watches);
}

void SentinelMonitor::run() {
  PoolWatch::Reports report;
  report.master = [this](uint32_t pool, const std::string& server, const MasterAddress& address) {
    if (on_change_) on_change_(pool, server, address.host, address.port);
  };
  report.replicas = [this](uint32_t pool, const std::string& server,
                           const std::vector<config::Server::Replica>& replicas) {
    if (on_replicas_) on_replicas_(pool, server, replicas);
  };
  std::vector<pollfd> entries;
  std::vector<PoolWatch*> polled;
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::seconds(60);
    for (auto& watch : watches_) {
      if (!stopping_ && now >= watch->due()) watch->tick(now, report);
      next = std::min(next, watch->due());
    }
    entries.assign(1, pollfd{wake_fd_, POLLIN, 0});
    polled.clear();
    for (auto& watch : watches_) {
      if (watch->subscriberFd() < 0) continue;
      entries.push_back(pollfd{watch->subscriberFd(), POLLIN, 0});
      polled.push_back(watch.get());
    }
    const int ready = ::poll(entries.data(), entries.size(), millisecondsUntil(next, Clock::now()));
    if (ready > 0 && entries[0].revents != 0) {  // stop(), recheck() or follow()
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t read = ::read(wake_fd_, &count, sizeof count);
      std::optional<config::Config> followed;
      {
        std::lock_guard<std::mutex> hold(mutex_);
        followed.swap(followed_);
      }
      if (followed) adopt(*followed);
      if (recheck_.exchange(false)) {
        for (auto& watch : watches_) watch->askNow();
      }
      continue;
    }
    if (ready <= 0) continue;  // timeout or EINTR
    for (size_t i = 0; i < polled.size() && !stopping_; ++i) {
      if (entries[i + 1].revents != 0) polled[i]->readMessages(report);
    }
  }
}

}  // namespace shardis::app
