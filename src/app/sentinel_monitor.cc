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
  for (uint32_t p = 0; p < config.pools.size(); ++p) {
    if (config.pools[p].sentinel) {
      watches_.push_back(std::make_unique<PoolWatch>(p, config.pools[p]));
    }
  }
  if (watches_.empty()) return true;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    error = std::string("sentinel monitor: eventfd: ") + std::strerror(errno);
    watches_.clear();
    return false;
  }
  for (auto& watch : watches_) watch->setWakeFd(wake_fd_);
  thread_ = std::thread([this] { run(); });
  return true;
}

void SentinelMonitor::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    const uint64_t one = 1;
    // A full counter (impossible here) would still leave the fd readable, which is all we need.
    [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  watches_.clear();
  // wake_fd_ stays open until the destructor: a worker may still call recheck().
}

void SentinelMonitor::recheck() {
  if (wake_fd_ < 0 || stopping_) return;
  recheck_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

void SentinelMonitor::run() {
  PoolWatch::Reports report;
  report.master = [this](uint32_t pool, uint32_t server, const MasterAddress& address) {
    if (on_change_) on_change_(pool, server, address.host, address.port);
  };
  report.replicas = [this](uint32_t pool, uint32_t server,
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
    if (ready > 0 && entries[0].revents != 0) {  // stop() or recheck()
      uint64_t count = 0;
      [[maybe_unused]] const ssize_t read = ::read(wake_fd_, &count, sizeof count);
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
