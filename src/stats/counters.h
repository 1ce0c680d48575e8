// The counters one worker keeps: plain structs of integers, updated by the worker's own
// thread only (no atomics, no locks), copied to the StatsHub once a second (hub.h).
//
// Vocabulary is twemproxy's (client_eof, server_ejects, in_queue ...) where twemproxy has a
// counter, Redis's (calls, failed_calls, rejected_calls, usec) for commands.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stats/command_index.h"
#include "stats/histogram.h"
#include "stats/hot_keys.h"

namespace shardis::config {
struct Config;
}

namespace shardis::stats {

// Errors the proxy itself answers with, by kind (the Prometheus `kind` label).
enum class ProxyError : uint8_t {
  kCrossSlot,    // -CROSSSLOT: keys on several servers
  kUnsupported,  // a command the proxy refuses
  kAuth,         // -NOAUTH / wrong password
  kTimeout,      // the server did not answer within the pool's timeout
  kBackendDown,  // no connection to the key's server (twemproxy's forward_error)
  kProtocol,     // the client sent bytes that are not RESP
};
inline constexpr size_t kProxyErrorKinds = 6;
[[nodiscard]] std::string_view proxyErrorName(ProxyError kind);

struct PoolCounters {
  uint64_t client_connections = 0;  // gauge: open now
  uint64_t client_connections_total = 0;
  uint64_t client_eof = 0;
  uint64_t client_err = 0;
  uint64_t requests = 0;       // commands received (a split command counts once)
  uint64_t replies = 0;        // replies written to clients
  uint64_t error_replies = 0;  // of which errors (Redis's total_error_replies)
  std::array<uint64_t, kProxyErrorKinds> errors{};
  uint64_t split_commands = 0;  // commands split over several servers
  uint64_t fragments = 0;       // the sub-commands they were split into
  uint64_t server_ejects = 0;
  // MULTI/EXEC, counted by the proxy's transaction code.
  uint64_t transactions_started = 0;       // a MULTI accepted
  uint64_t transactions_committed = 0;     // EXEC ran the queued commands
  uint64_t transactions_aborted = 0;       // EXEC answered null: a watched key changed
  uint64_t transactions_discarded = 0;     // DISCARD, EXECABORT, or the client gone mid-way
  uint64_t transactions_cross_server = 0;  // started ones whose keys span several servers
  // Blocking commands (BLPOP and the rest), counted by the proxy's blocking code.
  uint64_t blocked_clients = 0;        // gauge: clients waiting in a blocking command now
  uint64_t blocking_one_server = 0;    // blocking commands served on one server
  uint64_t blocking_cross_server = 0;  // blocking commands whose keys span several servers
  uint64_t blocking_put_back = 0;      // elements pushed back after a cross-server pop
  // Pub/sub, counted by the proxy's pub/sub code.
  uint64_t pubsub_clients = 0;             // gauge: clients in subscribed mode now
  uint64_t pubsub_messages_in = 0;         // messages read from the servers
  uint64_t pubsub_messages_delivered = 0;  // messages written to subscribers (one per client)
  uint64_t pubsub_slow_closes = 0;         // subscribers closed over their output limit
  uint64_t pubsub_resubscribes = 0;        // re-subscriptions after a server connection drop

  void countError(ProxyError kind) { ++errors[static_cast<size_t>(kind)]; }
  void merge(const PoolCounters& other);
};

// Ordered from best to worst: a merge keeps the worst any worker reports (see hub.h).
enum class ServerState : uint8_t { kUp, kDown, kEjected };
[[nodiscard]] std::string_view serverStateName(ServerState state);

struct ServerCounters {
  uint64_t server_connections = 0;        // gauge: open now
  uint64_t server_connections_total = 0;  // opened since start, in every mode
  uint64_t leases_in_use = 0;             // gauges: leased connections held by a client,
  uint64_t leases_idle = 0;               // and kept for the next lease
  // Gauges: upstream subscriptions the proxy holds on the server (one per worker and name).
  uint64_t pubsub_channels = 0;
  uint64_t pubsub_patterns = 0;
  uint64_t pubsub_shard_channels = 0;
  uint64_t requests = 0;  // (sub-)commands sent to the server
  uint64_t request_bytes = 0;
  uint64_t responses = 0;
  uint64_t response_bytes = 0;
  uint64_t in_queue = 0;  // gauges: waiting to be sent, and sent awaiting their reply
  uint64_t in_queue_bytes = 0;
  uint64_t out_queue = 0;
  uint64_t out_queue_bytes = 0;
  uint64_t server_timedout = 0;
  uint64_t server_eof = 0;
  uint64_t server_err = 0;
  int64_t server_ejected_at_us = 0;      // unix µs of the last ejection, 0 = never (twemproxy's)
  ServerState state = ServerState::kUp;  // live until a connection attempt says otherwise
  Histogram round_trip;                  // request written to reply read, µs

  void merge(const ServerCounters& other);
};

// Redis's commandstats semantics: a rejected call (refused by the proxy before it ran:
// arity, CROSSSLOT, unsupported, NOAUTH) counts only in rejected_calls; a call that ran and
// got an error reply counts in calls and failed_calls.
struct CommandCounters {
  uint64_t calls = 0;
  uint64_t failed_calls = 0;
  uint64_t rejected_calls = 0;
  uint64_t usec = 0;
  Histogram latency;  // proxy receive to reply written, µs

  void merge(const CommandCounters& other);
};

enum class CommandOutcome : uint8_t { kOk, kFailed, kRejected };

struct PoolStats {
  PoolCounters counters;
  std::vector<ServerCounters> servers;  // in the config's ring order
  std::unique_ptr<HotKeys> hot_keys;    // null unless `hotkeys: true`
};

// Everything one worker counts. Sized from the config once; the hot path only indexes.
class WorkerStats {
 public:
  WorkerStats() = default;
  explicit WorkerStats(const config::Config& config);
  WorkerStats(const WorkerStats& other) { *this = other; }
  WorkerStats& operator=(const WorkerStats& other);
  WorkerStats(WorkerStats&&) = default;
  WorkerStats& operator=(WorkerStats&&) = default;
  ~WorkerStats() = default;

  [[nodiscard]] PoolCounters& pool(size_t pool) { return pools_[pool].counters; }
  [[nodiscard]] ServerCounters& server(size_t pool, size_t server) {
    return pools_[pool].servers[server];
  }
  [[nodiscard]] CommandCounters& command(CommandId id) { return commands_[id]; }

  // On every reply written to a client (latency: request received to reply written).
  void recordCommand(CommandId id, uint64_t latency_us, CommandOutcome outcome) {
    CommandCounters& counters = commands_[id];
    if (outcome == CommandOutcome::kRejected) {
      ++counters.rejected_calls;
      return;
    }
    ++counters.calls;
    counters.usec += latency_us;
    counters.latency.record(latency_us);
    if (outcome == CommandOutcome::kFailed) ++counters.failed_calls;
  }
  // On every reply read from a server for a request sent to it.
  void recordServerReply(size_t pool, size_t server, uint64_t round_trip_us, uint64_t bytes) {
    ServerCounters& counters = pools_[pool].servers[server];
    ++counters.responses;
    counters.response_bytes += bytes;
    counters.round_trip.record(round_trip_us);
  }
  // On every key routed, when hot keys are on (no-op otherwise).
  void recordKey(size_t pool, std::string_view key) {
    if (HotKeys* hot = pools_[pool].hot_keys.get()) hot->record(key);
  }

  // Pool `pool` has `count` server slots (a new topology added some); never shrinks.
  void ensureServers(size_t pool, size_t count) {
    if (pools_[pool].servers.size() < count) pools_[pool].servers.resize(count);
  }
  // Adds `other` (same config) into this one.
  void merge(const WorkerStats& other);

  [[nodiscard]] const std::vector<PoolStats>& pools() const { return pools_; }
  [[nodiscard]] const std::vector<CommandCounters>& commands() const { return commands_; }

 private:
  std::vector<PoolStats> pools_;
  std::vector<CommandCounters> commands_;  // by CommandId
};

}  // namespace shardis::stats
