#include "stats/counters.h"

#include <algorithm>

#include "config/config.h"

namespace shardis::stats {

std::string_view proxyErrorName(ProxyError kind) {
  switch (kind) {
    case ProxyError::kCrossSlot:
      return "crossslot";
    case ProxyError::kUnsupported:
      return "unsupported";
    case ProxyError::kAuth:
      return "auth";
    case ProxyError::kTimeout:
      return "timeout";
    case ProxyError::kBackendDown:
      return "backend_down";
    case ProxyError::kProtocol:
      return "protocol";
  }
  return "unknown";
}

std::string_view serverStateName(ServerState state) {
  switch (state) {
    case ServerState::kUp:
      return "up";
    case ServerState::kDown:
      return "down";
    case ServerState::kEjected:
      return "ejected";
  }
  return "unknown";
}

void PoolCounters::merge(const PoolCounters& other) {
  client_connections += other.client_connections;
  client_connections_total += other.client_connections_total;
  client_eof += other.client_eof;
  client_err += other.client_err;
  requests += other.requests;
  replies += other.replies;
  error_replies += other.error_replies;
  for (size_t i = 0; i < kProxyErrorKinds; ++i) errors[i] += other.errors[i];
  split_commands += other.split_commands;
  fragments += other.fragments;
  server_ejects += other.server_ejects;
  transactions_started += other.transactions_started;
  transactions_committed += other.transactions_committed;
  transactions_aborted += other.transactions_aborted;
  transactions_discarded += other.transactions_discarded;
  transactions_cross_server += other.transactions_cross_server;
  blocked_clients += other.blocked_clients;
  blocking_one_server += other.blocking_one_server;
  blocking_cross_server += other.blocking_cross_server;
  blocking_put_back += other.blocking_put_back;
  pubsub_clients += other.pubsub_clients;
  pubsub_messages_in += other.pubsub_messages_in;
  pubsub_messages_delivered += other.pubsub_messages_delivered;
  pubsub_slow_closes += other.pubsub_slow_closes;
  pubsub_resubscribes += other.pubsub_resubscribes;
}

void ServerCounters::merge(const ServerCounters& other) {
  server_connections += other.server_connections;
  server_connections_total += other.server_connections_total;
  leases_in_use += other.leases_in_use;
  leases_idle += other.leases_idle;
  pubsub_channels += other.pubsub_channels;
  pubsub_patterns += other.pubsub_patterns;
  pubsub_shard_channels += other.pubsub_shard_channels;
  requests += other.requests;
  request_bytes += other.request_bytes;
  responses += other.responses;
  response_bytes += other.response_bytes;
  in_queue += other.in_queue;
  in_queue_bytes += other.in_queue_bytes;
  out_queue += other.out_queue;
  out_queue_bytes += other.out_queue_bytes;
  server_timedout += other.server_timedout;
  server_eof += other.server_eof;
  server_err += other.server_err;
  server_ejected_at_us = std::max(server_ejected_at_us, other.server_ejected_at_us);
  state = std::max(state, other.state);
  round_trip.merge(other.round_trip);
}

void CommandCounters::merge(const CommandCounters& other) {
  calls += other.calls;
  failed_calls += other.failed_calls;
  rejected_calls += other.rejected_calls;
  usec += other.usec;
  latency.merge(other.latency);
}

WorkerStats::WorkerStats(const config::Config& config) : commands_(commandCount()) {
  pools_.resize(config.pools.size());
  for (size_t i = 0; i < config.pools.size(); ++i) {
    pools_[i].servers.resize(config.pools[i].servers.size());
    if (config.process.hotkeys) pools_[i].hot_keys = std::make_unique<HotKeys>();
  }
}

// Copying reuses this object's buffers when the shapes match (the hub's slots after the
// first publish), so a publish allocates nothing.
WorkerStats& WorkerStats::operator=(const WorkerStats& other) {
  if (this == &other) return *this;
  pools_.resize(other.pools_.size());
  for (size_t i = 0; i < other.pools_.size(); ++i) {
    PoolStats& mine = pools_[i];
    const PoolStats& theirs = other.pools_[i];
    mine.counters = theirs.counters;
    mine.servers = theirs.servers;
    if (!theirs.hot_keys) {
      mine.hot_keys.reset();
    } else if (mine.hot_keys) {
      *mine.hot_keys = *theirs.hot_keys;
    } else {
      mine.hot_keys = std::make_unique<HotKeys>(*theirs.hot_keys);
    }
  }
  commands_ = other.commands_;
  return *this;
}

void WorkerStats::merge(const WorkerStats& other) {
  if (pools_.empty() && commands_.empty()) {
    *this = other;
    return;
  }
  for (size_t i = 0; i < pools_.size() && i < other.pools_.size(); ++i) {
    PoolStats& mine = pools_[i];
    const PoolStats& theirs = other.pools_[i];
    mine.counters.merge(theirs.counters);
    // Workers apply a topology at different moments: one may have more slots for a while.
    if (mine.servers.size() < theirs.servers.size()) mine.servers.resize(theirs.servers.size());
    for (size_t s = 0; s < theirs.servers.size(); ++s) {
      mine.servers[s].merge(theirs.servers[s]);
    }
    if (mine.hot_keys && theirs.hot_keys) mine.hot_keys->merge(*theirs.hot_keys);
  }
  for (size_t i = 0; i < commands_.size() && i < other.commands_.size(); ++i) {
    commands_[i].merge(other.commands_[i]);
  }
}

}  // namespace shardis::stats
