// Prometheus text exposition: one family at a time (HELP, TYPE, then every sample), as the
// format requires every sample of a family to follow its TYPE line.
#include <cinttypes>
#include <cstdio>

#include "stats/render.h"

namespace shardis::stats {

namespace {

struct Label {
  std::string_view name;
  std::string_view value;
};

// Backslash, double quote and line feed are the three escapes a label value knows.
void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void appendSample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                  std::string_view value, const Label* extra = nullptr) {
  out.append(name);
  if (labels.size() != 0 || extra != nullptr) {
    out += '{';
    bool first = true;
    auto add = [&](const Label& label) {
      if (!first) out += ',';
      first = false;
      out.append(label.name).append("=\"");
      appendLabelValue(out, label.value);
      out += '"';
    };
    for (const Label& label : labels) add(label);
    if (extra != nullptr) add(*extra);
    out += '}';
  }
  out.append(" ").append(value).append("\n");
}

// Microseconds as decimal seconds, exact: 16 -> "0.000016".
std::string seconds(uint64_t us) {
  char text[32];
  std::snprintf(text, sizeof text, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
  return text;
}

void appendHistogram(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                     const Histogram& histogram) {
  std::string bucket = std::string(name) + "_bucket";
  for (uint64_t bound : Histogram::exportBounds()) {
    std::string le = seconds(bound);
    Label label{"le", le};
    appendSample(out, bucket, labels, std::to_string(histogram.countAtMost(bound)), &label);
  }
  Label inf{"le", "+Inf"};
  appendSample(out, bucket, labels, std::to_string(histogram.count()), &inf);
  appendSample(out, std::string(name) + "_sum", labels, seconds(histogram.sumUs()));
  appendSample(out, std::string(name) + "_count", labels, std::to_string(histogram.count()));
}

struct PoolMetric {
  const char* name;
  const char* type;
  const char* help;
  uint64_t PoolCounters::*member;
};

constexpr PoolMetric kPoolMetrics[] = {
    {"shardis_client_connections", "gauge", "Client connections open now.",
     &PoolCounters::client_connections},
    {"shardis_client_connections_accepted_total", "counter", "Client connections accepted.",
     &PoolCounters::client_connections_total},
    {"shardis_client_eof_total", "counter", "Client connections closed by the client.",
     &PoolCounters::client_eof},
    {"shardis_client_errors_total", "counter", "Client connections ended by an error.",
     &PoolCounters::client_err},
    {"shardis_requests_total", "counter", "Commands received from clients.",
     &PoolCounters::requests},
    {"shardis_replies_total", "counter", "Replies written to clients.", &PoolCounters::replies},
    {"shardis_split_commands_total", "counter", "Commands split over several servers.",
     &PoolCounters::split_commands},
    {"shardis_fragments_total", "counter", "Sub-commands created by splitting commands.",
     &PoolCounters::fragments},
    {"shardis_server_ejects_total", "counter", "Times a server was ejected from the ring.",
     &PoolCounters::server_ejects},
    {"shardis_transactions_started_total", "counter", "Transactions started (MULTI accepted).",
     &PoolCounters::transactions_started},
    {"shardis_transactions_committed_total", "counter", "Transactions whose EXEC ran.",
     &PoolCounters::transactions_committed},
    {"shardis_transactions_aborted_total", "counter",
     "Transactions whose EXEC answered null because a watched key changed.",
     &PoolCounters::transactions_aborted},
    {"shardis_transactions_discarded_total", "counter",
     "Transactions discarded (DISCARD, EXECABORT, client gone mid-way).",
     &PoolCounters::transactions_discarded},
    {"shardis_transactions_cross_server_total", "counter",
     "Transactions whose keys span several servers.", &PoolCounters::transactions_cross_server},
    {"shardis_blocked_clients", "gauge", "Clients waiting in a blocking command now.",
     &PoolCounters::blocked_clients},
    {"shardis_blocking_one_server_total", "counter", "Blocking commands served on one server.",
     &PoolCounters::blocking_one_server},
    {"shardis_blocking_cross_server_total", "counter",
     "Blocking commands whose keys span several servers.", &PoolCounters::blocking_cross_server},
    {"shardis_blocking_put_back_total", "counter",
     "Elements pushed back to their server after a cross-server pop.",
     &PoolCounters::blocking_put_back},
    {"shardis_pubsub_clients", "gauge", "Clients in subscribed mode now.",
     &PoolCounters::pubsub_clients},
    {"shardis_pubsub_messages_in_total", "counter", "Pub/sub messages read from the servers.",
     &PoolCounters::pubsub_messages_in},
    {"shardis_pubsub_messages_delivered_total", "counter",
     "Pub/sub messages written to subscribers (one per subscriber).",
     &PoolCounters::pubsub_messages_delivered},
    {"shardis_pubsub_slow_closes_total", "counter",
     "Subscribers closed over client_output_buffer_limit_pubsub.",
     &PoolCounters::pubsub_slow_closes},
    {"shardis_pubsub_resubscribes_total", "counter",
     "Re-subscriptions after a server's subscriber connection dropped.",
     &PoolCounters::pubsub_resubscribes},
};

struct ServerMetric {
  const char* name;
  const char* type;
  const char* help;
  uint64_t ServerCounters::*member;
};

constexpr ServerMetric kServerMetrics[] = {
    {"shardis_server_connections", "gauge", "Connections to the server open now.",
     &ServerCounters::server_connections},
    {"shardis_server_connections_opened_total", "counter",
     "Connections to the server opened (shared, leased and subscriber).",
     &ServerCounters::server_connections_total},
    {"shardis_server_leases_in_use", "gauge", "Leased connections to the server held by clients.",
     &ServerCounters::leases_in_use},
    {"shardis_server_leases_idle", "gauge",
     "Leased connections to the server kept idle for the next lease.",
     &ServerCounters::leases_idle},
    {"shardis_server_pubsub_channels", "gauge",
     "Channel subscriptions the proxy holds on the server (one per worker and channel).",
     &ServerCounters::pubsub_channels},
    {"shardis_server_pubsub_patterns", "gauge",
     "Pattern subscriptions the proxy holds on the server (one per worker and pattern).",
     &ServerCounters::pubsub_patterns},
    {"shardis_server_pubsub_shard_channels", "gauge",
     "Shard channel subscriptions the proxy holds on the server (one per worker and channel).",
     &ServerCounters::pubsub_shard_channels},
    {"shardis_server_requests_total", "counter", "Requests sent to the server.",
     &ServerCounters::requests},
    {"shardis_server_request_bytes_total", "counter", "Request bytes sent to the server.",
     &ServerCounters::request_bytes},
    {"shardis_server_responses_total", "counter", "Replies read from the server.",
     &ServerCounters::responses},
    {"shardis_server_response_bytes_total", "counter", "Reply bytes read from the server.",
     &ServerCounters::response_bytes},
    {"shardis_server_in_queue", "gauge", "Requests waiting to be sent to the server.",
     &ServerCounters::in_queue},
    {"shardis_server_in_queue_bytes", "gauge", "Bytes of requests waiting to be sent.",
     &ServerCounters::in_queue_bytes},
    {"shardis_server_out_queue", "gauge", "Requests sent and awaiting their reply.",
     &ServerCounters::out_queue},
    {"shardis_server_out_queue_bytes", "gauge", "Bytes of requests awaiting their reply.",
     &ServerCounters::out_queue_bytes},
    {"shardis_server_timeouts_total", "counter", "Requests to the server that timed out.",
     &ServerCounters::server_timedout},
    {"shardis_server_eof_total", "counter", "Server connections closed by the server.",
     &ServerCounters::server_eof},
    {"shardis_server_errors_total", "counter", "Server connections ended by an error.",
     &ServerCounters::server_err},
};

struct CommandMetric {
  const char* name;
  const char* help;
  uint64_t CommandCounters::*member;
};

constexpr CommandMetric kCommandMetrics[] = {
    {"shardis_command_calls_total", "Calls of the command (Redis's commandstats calls).",
     &CommandCounters::calls},
    {"shardis_command_failed_calls_total", "Calls that got an error reply.",
     &CommandCounters::failed_calls},
    {"shardis_command_rejected_calls_total", "Calls refused by the proxy before running.",
     &CommandCounters::rejected_calls},
};

class Exposition {
 public:
  Exposition(const Snapshot& snapshot, std::string& out)
      : snapshot_(snapshot),
        layout_(*snapshot.layout),
        pools_(snapshot.totals.pools()),
        out_(out) {}

  void poolFamilies() {
    for (const PoolMetric& metric : kPoolMetrics) {
      appendHeader(out_, metric.name, metric.type, metric.help);
      forEachPool([&](const std::string& pool, const PoolStats& stats) {
        appendSample(out_, metric.name, {{"pool", pool}},
                     std::to_string(stats.counters.*metric.member));
      });
    }
    appendHeader(out_, "shardis_proxy_errors_total", "counter",
                 "Error replies the proxy generated, by kind.");
    forEachPool([&](const std::string& pool, const PoolStats& stats) {
      for (size_t kind = 0; kind < kProxyErrorKinds; ++kind) {
        appendSample(out_, "shardis_proxy_errors_total",
                     {{"pool", pool}, {"kind", proxyErrorName(static_cast<ProxyError>(kind))}},
                     std::to_string(stats.counters.errors[kind]));
      }
    });
  }

  void serverFamilies() {
    for (const ServerMetric& metric : kServerMetrics) {
      appendHeader(out_, metric.name, metric.type, metric.help);
      forEachServer(
          [&](const std::string& pool, const std::string& server, const ServerCounters& stats) {
            appendSample(out_, metric.name, {{"pool", pool}, {"server", server}},
                         std::to_string(stats.*metric.member));
          });
    }
    appendHeader(out_, "shardis_server_ejected_at_seconds", "gauge",
                 "Unix time of the server's last ejection, 0 if never.");
    forEachServer([&](const std::string& pool, const std::string& server,
                      const ServerCounters& stats) {
      appendSample(out_, "shardis_server_ejected_at_seconds", {{"pool", pool}, {"server", server}},
                   std::to_string(stats.server_ejected_at_us / 1000000));
    });
    serverStateFamily();
    appendHeader(out_, "shardis_server_round_trip_seconds", "histogram",
                 "Time from a request written to the server to its reply read.");
    forEachServer(
        [&](const std::string& pool, const std::string& server, const ServerCounters& stats) {
          appendHistogram(out_, "shardis_server_round_trip_seconds",
                          {{"pool", pool}, {"server", server}}, stats.round_trip);
        });
  }

  void commandFamilies() {
    const auto& commands = snapshot_.totals.commands();
    for (const CommandMetric& metric : kCommandMetrics) {
      appendHeader(out_, metric.name, "counter", metric.help);
      for (size_t id = 0; id < commands.size(); ++id) {
        if (commands[id].calls + commands[id].rejected_calls == 0) continue;
        appendSample(out_, metric.name, {{"command", commandName(static_cast<CommandId>(id))}},
                     std::to_string(commands[id].*metric.member));
      }
    }
    appendHeader(out_, "shardis_command_duration_seconds", "histogram",
                 "Time from a command received to its reply written.");
    for (size_t id = 0; id < commands.size(); ++id) {
      if (commands[id].calls == 0) continue;
      appendHistogram(out_, "shardis_command_duration_seconds",
                      {{"command", commandName(static_cast<CommandId>(id))}}, commands[id].latency);
    }
  }

  void hotKeyFamily() {
    bool any = false;
    for (const PoolStats& pool : pools_) any = any || pool.hot_keys != nullptr;
    if (!any) return;
    appendHeader(out_, "shardis_hotkey_requests", "gauge",
                 "Estimated requests for the most requested keys (count-min sketch).");
    forEachPool([&](const std::string& pool, const PoolStats& stats) {
      if (!stats.hot_keys) return;
      for (const HotKeys::Entry& entry : stats.hot_keys->top()) {
        std::string key = printableKey(entry.key());
        appendSample(out_, "shardis_hotkey_requests", {{"pool", pool}, {"key", key}},
                     std::to_string(entry.count));
      }
    });
  }

 private:
  void serverStateFamily() {
    appendHeader(out_, "shardis_server_state", "gauge",
                 "1 for the server's state (up, down or ejected), 0 for the others.");
    forEachServer(
        [&](const std::string& pool, const std::string& server, const ServerCounters& stats) {
          for (ServerState state : {ServerState::kUp, ServerState::kDown, ServerState::kEjected}) {
            appendSample(out_, "shardis_server_state",
                         {{"pool", pool}, {"server", server}, {"state", serverStateName(state)}},
                         stats.state == state ? "1" : "0");
          }
        });
  }

  template <typename Visit>
  void forEachPool(Visit visit) {
    for (size_t p = 0; p < layout_.size() && p < pools_.size(); ++p) {
      visit(layout_[p].name, pools_[p]);
    }
  }
  template <typename Visit>
  void forEachServer(Visit visit) {
    forEachPool([&](const std::string& pool, const PoolStats& stats) {
      const PoolLayout& layout = layout_[static_cast<size_t>(&stats - pools_.data())];
      for (size_t s = 0; s < layout.servers.size() && s < layout.slots.size(); ++s) {
        if (layout.slots[s] < stats.servers.size())
          visit(pool, layout.servers[s], stats.servers[layout.slots[s]]);
      }
    });
  }

  const Snapshot& snapshot_;
  const Layout& layout_;
  const std::vector<PoolStats>& pools_;
  std::string& out_;
};

}  // namespace

std::string renderPrometheus(const Snapshot& snapshot) {
  std::string out;
  appendHeader(out, "shardis_uptime_seconds", "gauge", "Seconds since the proxy started.");
  appendSample(out, "shardis_uptime_seconds", {}, std::to_string(snapshot.uptime_s));
  appendHeader(out, "shardis_config_reloads_total", "counter",
               "Reloads of the configuration file applied.");
  appendSample(out, "shardis_config_reloads_total", {}, std::to_string(snapshot.config_reloads));
  appendHeader(out, "shardis_config_reload_failures_total", "counter",
               "Reloads refused because the file was invalid; the running config was kept.");
  appendSample(out, "shardis_config_reload_failures_total", {},
               std::to_string(snapshot.config_reload_failures));
  if (!snapshot.layout) return out;
  Exposition exposition(snapshot, out);
  exposition.poolFamilies();
  exposition.serverFamilies();
  exposition.commandFamilies();
  exposition.hotKeyFamily();
  return out;
}

}  // namespace shardis::stats
