#include "app/pool_watch.h"

#include <spdlog/spdlog.h>

#include <array>

#include "resp/reply_decoder.h"

namespace shardis::app {

namespace {

constexpr auto kReaskInterval = std::chrono::seconds(2);
// Between rounds over every Sentinel of a pool when none could be reached.
constexpr auto kRetryInterval = std::chrono::seconds(1);
constexpr std::string_view kSwitchMaster = "+switch-master";
// What a replica's coming and going looks like on Sentinel's channels.
constexpr std::array<std::string_view, 3> kReplicaEvents = {"+sdown", "-sdown", "+slave"};

}  // namespace

PoolWatch::PoolWatch(uint32_t pool_index, const config::Pool& pool)
    : pool_index_(pool_index), pool_name_(pool.name), sentinel_(*pool.sentinel) {
  setServers(pool);
}

void PoolWatch::setServers(const config::Pool& pool) {
  masters_.clear();
  for (const config::Server& server : pool.servers) {
    masters_.push_back(Master{server.name, server.master_name,
                              MasterAddress{server.host, server.port}, server.replicas, false});
  }
}

int PoolWatch::subscriberFd() const {
  return subscriber_ && subscriber_->client().connected() ? subscriber_->client().fd() : -1;
}

void PoolWatch::tick(Clock::time_point now, const Reports& report) {
  if (subscriberFd() < 0 && !connect()) {
    due_ = now + kRetryInterval;
    return;
  }
  // A failed re-ask dropped the link: try the next Sentinel on the next turn, at once.
  due_ = reask(report) ? now + kReaskInterval : now;
}

bool PoolWatch::connect() {
  std::string errors;
  for (size_t attempt = 0; attempt < sentinel_.hosts.size(); ++attempt) {
    const size_t host = (current_ + attempt) % sentinel_.hosts.size();
    std::string error;
    if (connectTo(host, error)) {
      current_ = host;
      unreachable_logged_ = false;
      spdlog::info("pool '{}': following masters through sentinel {}", pool_name_, query_->name());
      return true;
    }
    if (error == "stopped") return false;
    errors += (errors.empty() ? "" : "; ") + subscriber_->name() + ": " + error;
  }
  subscriber_.reset();
  query_.reset();
  if (!unreachable_logged_) {
    spdlog::warn(
        "pool '{}': no sentinel reachable ({}); masters keep their last address, "
        "retrying every second",
        pool_name_, errors);
    unreachable_logged_ = true;
  }
  return false;
}

bool PoolWatch::connectTo(size_t host, std::string& error) {
  subscriber_ = std::make_unique<SentinelConnection>(sentinel_, sentinel_.hosts[host], wake_fd_);
  query_ = std::make_unique<SentinelConnection>(sentinel_, sentinel_.hosts[host], wake_fd_);
  const std::array<std::string_view, 5> subscribe = {"SUBSCRIBE", kSwitchMaster, kReplicaEvents[0],
                                                     kReplicaEvents[1], kReplicaEvents[2]};
  std::string_view reply;
  if (!subscriber_->open(error) || !subscriber_->client().call(subscribe, reply, error)) {
    return false;
  }
  // One confirmation per channel.
  for (size_t channel = 1; channel < subscribe.size(); ++channel) {
    if (channel > 1 && !subscriber_->client().receive(reply, error)) return false;
    if (!reply.starts_with("*3\r\n$9\r\nsubscribe\r\n")) {
      error = "SUBSCRIBE answered " + std::string(reply.substr(0, 60));
      subscriber_->client().close();
      return false;
    }
  }
  return query_->open(error);
}

bool PoolWatch::reask(const Reports& report) {
  for (Master& master : masters_) {
    MasterAddress address;
    std::string said;
    switch (query_->askMaster(master.name, address, said)) {
      case AskStatus::kFound:
        master.unknown_logged = false;
        update(master, address, report.master);
        if (!reaskReplicas(master, report)) return false;
        break;
      case AskStatus::kUnknownMaster:
        // Keep the last address: one Sentinel forgetting a master is no reason to move it.
        if (!master.unknown_logged) {
          spdlog::warn("pool '{}': sentinel {} does not know master '{}'; it keeps {}", pool_name_,
                       query_->name(), master.name, master.address.text());
        }
        master.unknown_logged = true;
        break;
      case AskStatus::kFailed:
        drop(said);
        return false;
    }
  }
  return true;
}

void PoolWatch::readMessages(const Reports& report) {
  do {
    std::string_view reply;
    std::string error;
    if (!subscriber_->client().receive(reply, error)) {
      drop(error);
      due_ = Clock::now();
      return;
    }
    std::vector<std::string_view> elements;
    if (!resp::arrayElements(reply, elements) || elements.size() != 3) continue;
    const auto kind = resp::stringValue(elements[0]);
    const auto channel = resp::stringValue(elements[1]);
    const auto payload = resp::stringValue(elements[2]);
    if (kind != "message" || !channel || !payload) continue;
    if (*channel == kSwitchMaster) {
      onSwitchMaster(*payload, report.master);
      due_ = Clock::now();  // the old master is a replica now, the new one no longer is
    } else {
      onReplicaEvent(*payload);
    }
  } while (subscriber_->client().buffered());
}

void PoolWatch::onSwitchMaster(std::string_view payload, const Callback& report) {
  std::string_view name;
  MasterAddress to;
  if (!parseSwitchMaster(payload, name, to)) {
    spdlog::warn(
        "pool '{}': sentinel {} sent a +switch-master that is not '<name> <old ip> "
        "<old port> <new ip> <new port>': {}",
        pool_name_, subscriber_->name(), payload);
    return;
  }
  for (Master& master : masters_) {
    if (master.name == name) update(master, to, report);
  }
}

// Asked right after the master, on the same Sentinel. A master the Sentinel forgot keeps its
// replicas, as it keeps its address.
bool PoolWatch::reaskReplicas(Master& master, const Reports& report) {
  std::vector<config::Server::Replica> healthy;
  std::string said;
  switch (query_->askReplicas(master.name, healthy, said)) {
    case AskStatus::kFound:
      break;
    case AskStatus::kUnknownMaster:
      return true;
    case AskStatus::kFailed:
      drop(said);
      return false;
  }
  if (healthy == master.replicas) return true;
  spdlog::info("pool '{}': master '{}' has {} (sentinel {})", pool_name_, master.name,
               replicasText(healthy), query_->name());
  master.replicas = std::move(healthy);
  if (report.replicas) report.replicas(pool_index_, master.server, master.replicas);
  return true;
}

void PoolWatch::onReplicaEvent(std::string_view payload) {
  std::string_view name;
  if (!parseReplicaEvent(payload, name)) return;
  for (const Master& master : masters_) {
    if (master.name == name) due_ = Clock::now();
  }
}

void PoolWatch::update(Master& master, const MasterAddress& address, const Callback& report) {
  if (master.address == address) return;
  spdlog::info("pool '{}': master '{}' moved from {} to {} (sentinel {})", pool_name_, master.name,
               master.address.text(), address.text(), query_->name());
  master.address = address;
  report(pool_index_, master.server, address);
}

void PoolWatch::drop(const std::string& why) {
  if (why != "stopped") {
    spdlog::warn("pool '{}': lost sentinel {} ({}); trying the next one", pool_name_,
                 query_->name(), why);
  }
  subscriber_.reset();
  query_.reset();
  current_ = (current_ + 1) % sentinel_.hosts.size();
}

}  // namespace shardis::app
