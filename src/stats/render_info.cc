// INFO sections in redis-server's line format ("field:value\r\n" under "# Section").
#include <cinttypes>
#include <cstdio>

#include "stats/render.h"

namespace shardis::stats {

namespace {

// Redis's INFO latencystats percentiles and their labels ("%f" without trailing zeros).
struct Percentile {
  double value;
  const char* label;
};
constexpr Percentile kPercentiles[] = {{50.0, "p50"}, {99.0, "p99"}, {99.9, "p99.9"}};

}  // namespace

std::string printableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '%' || c == '"' || c == '\\') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

void appendStatsSection(std::string& out, const Snapshot& snapshot, size_t pool) {
  const auto& pools = snapshot.totals.pools();
  static const PoolCounters kNone;
  const PoolCounters& counters = pool < pools.size() ? pools[pool].counters : kNone;
  auto line = [&out](std::string_view field, uint64_t value) {
    out.append(field).append(":").append(std::to_string(value)).append("\r\n");
  };
  out += "# Stats\r\n";
  line("total_connections_received", counters.client_connections_total);
  line("total_commands_processed", counters.requests);
  line("total_error_replies", counters.error_replies);
  line("total_replies", counters.replies);
  line("client_eof", counters.client_eof);
  line("client_err", counters.client_err);
  line("split_commands", counters.split_commands);
  line("fragments", counters.fragments);
  line("server_ejects", counters.server_ejects);
  line("transactions_started", counters.transactions_started);
  line("transactions_committed", counters.transactions_committed);
  line("transactions_aborted", counters.transactions_aborted);
  line("transactions_discarded", counters.transactions_discarded);
  line("transactions_cross_server", counters.transactions_cross_server);
  line("blocking_one_server", counters.blocking_one_server);
  line("blocking_cross_server", counters.blocking_cross_server);
  line("blocking_put_back", counters.blocking_put_back);
  line("pubsub_clients", counters.pubsub_clients);
  line("pubsub_messages_in", counters.pubsub_messages_in);
  line("pubsub_messages_delivered", counters.pubsub_messages_delivered);
  line("pubsub_slow_closes", counters.pubsub_slow_closes);
  line("pubsub_resubscribes", counters.pubsub_resubscribes);
  // The pool's servers summed (per server: the stats JSON and /metrics).
  ServerCounters servers;
  if (pool < pools.size()) {
    for (const ServerCounters& server : pools[pool].servers) servers.merge(server);
  }
  line("server_connections_total", servers.server_connections_total);
  line("leases_in_use", servers.leases_in_use);
  line("leases_idle", servers.leases_idle);
  for (size_t kind = 0; kind < kProxyErrorKinds; ++kind) {
    std::string field = "proxy_errors_";
    field += proxyErrorName(static_cast<ProxyError>(kind));
    line(field, counters.errors[kind]);
  }
}

uint64_t blockedClients(const Snapshot& snapshot, size_t pool) {
  const auto& pools = snapshot.totals.pools();
  return pool < pools.size() ? pools[pool].counters.blocked_clients : 0;
}

void appendCommandStats(std::string& out, const Snapshot& snapshot) {
  out += "# Commandstats\r\n";
  const auto& commands = snapshot.totals.commands();
  char line[256];
  for (size_t id = 0; id < commands.size(); ++id) {
    const CommandCounters& c = commands[id];
    if (c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0) continue;
    double per_call =
        c.calls == 0 ? 0.0 : static_cast<double>(c.usec) / static_cast<double>(c.calls);
    std::string_view name = commandName(static_cast<CommandId>(id));
    std::snprintf(line, sizeof line,
                  "cmdstat_%.*s:calls=%" PRIu64 ",usec=%" PRIu64
                  ",usec_per_call=%.2f,rejected_calls=%" PRIu64 ",failed_calls=%" PRIu64 "\r\n",
                  static_cast<int>(name.size()), name.data(), c.calls, c.usec, per_call,
                  c.rejected_calls, c.failed_calls);
    out += line;
  }
}

void appendLatencyStats(std::string& out, const Snapshot& snapshot) {
  out += "# Latencystats\r\n";
  const auto& commands = snapshot.totals.commands();
  char value[64];
  for (size_t id = 0; id < commands.size(); ++id) {
    const Histogram& latency = commands[id].latency;
    if (latency.count() == 0) continue;
    out += "latency_percentiles_usec_";
    out += commandName(static_cast<CommandId>(id));
    out += ':';
    for (size_t i = 0; i < std::size(kPercentiles); ++i) {
      std::snprintf(value, sizeof value, "%s%s=%.3f", i == 0 ? "" : ",", kPercentiles[i].label,
                    static_cast<double>(latency.percentile(kPercentiles[i].value)));
      out += value;
    }
    out += "\r\n";
  }
}

void appendHotKeys(std::string& out, const Snapshot& snapshot, size_t pool) {
  out += "# Hotkeys\r\n";
  const auto& pools = snapshot.totals.pools();
  const HotKeys* hot = pool < pools.size() ? pools[pool].hot_keys.get() : nullptr;
  out += hot != nullptr ? "hotkeys_enabled:1\r\n" : "hotkeys_enabled:0\r\n";
  if (hot == nullptr || !snapshot.layout || pool >= snapshot.layout->size()) return;
  std::string name = printableKey((*snapshot.layout)[pool].name);
  size_t rank = 0;
  // The count comes first so that a key holding ',' or '=' cannot shift the fields.
  for (const HotKeys::Entry& entry : hot->top()) {
    out += "hotkey_" + name + "_" + std::to_string(++rank) +
           ":count=" + std::to_string(entry.count) + ",key=" + printableKey(entry.key()) + "\r\n";
  }
}

}  // namespace shardis::stats
