// The twemproxy stats document and the /healthz body.
#include <cinttypes>
#include <cstdio>

#include "stats/render.h"

namespace shardis::stats {

namespace {

// Appends JSON with twemproxy's separators: every field is followed by ", ", and closing an
// object turns the trailing ", " (or ",") into "}," so objects chain as twemproxy's do.
class TwemproxyWriter {
 public:
  explicit TwemproxyWriter(std::string& out) : out_(out) { out_ = "{"; }

  void field(std::string_view key, std::string_view text) {
    appendKey(key);
    out_ += '"';
    appendEscaped(text);
    out_ += "\", ";
  }
  void field(std::string_view key, uint64_t value) { number(key, std::to_string(value)); }
  void field(std::string_view key, int64_t value) { number(key, std::to_string(value)); }
  void begin(std::string_view key) {
    appendKey(key);
    out_ += " {";
  }
  // The last field's separator becomes the object's end. Resized and appended rather than
  // replaced in place, which g++ 12 at -O2 warns about (-Wrestrict, a false positive).
  void end() {
    if (out_.ends_with(", ")) {
      out_.resize(out_.size() - 2);
    } else if (out_.ends_with(",")) {
      out_.pop_back();
    }
    out_ += "},";  // an empty object too
  }
  void finish() {
    if (out_.ends_with(", ")) out_.resize(out_.size() - 2);
    if (out_.ends_with(",")) out_.pop_back();
    out_ += "}\n";
  }

 private:
  void number(std::string_view key, const std::string& digits) {
    appendKey(key);
    out_ += digits;
    out_ += ", ";
  }
  void appendKey(std::string_view key) {
    out_ += '"';
    appendEscaped(key);
    out_ += "\":";
  }
  void appendEscaped(std::string_view text) {
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (byte < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
        out_ += escaped;
      } else {
        out_ += c;
      }
    }
  }

  std::string& out_;
};

void writeServer(TwemproxyWriter& json, std::string_view name, const ServerCounters& server) {
  json.begin(name);
  json.field("server_eof", server.server_eof);
  json.field("server_err", server.server_err);
  json.field("server_timedout", server.server_timedout);
  json.field("server_connections", server.server_connections);
  json.field("server_ejected_at", server.server_ejected_at_us);
  json.field("requests", server.requests);
  json.field("request_bytes", server.request_bytes);
  json.field("responses", server.responses);
  json.field("response_bytes", server.response_bytes);
  json.field("in_queue", server.in_queue);
  json.field("in_queue_bytes", server.in_queue_bytes);
  json.field("out_queue", server.out_queue);
  json.field("out_queue_bytes", server.out_queue_bytes);
  // Ours from here on.
  json.field("server_up", uint64_t{server.state == ServerState::kUp ? 1u : 0u});
  json.field("server_connections_total", server.server_connections_total);
  json.field("leases_in_use", server.leases_in_use);
  json.field("leases_idle", server.leases_idle);
  json.field("pubsub_channels", server.pubsub_channels);
  json.field("pubsub_patterns", server.pubsub_patterns);
  json.field("pubsub_shard_channels", server.pubsub_shard_channels);
  json.field("round_trip_p50_us", server.round_trip.percentile(50));
  json.field("round_trip_p99_us", server.round_trip.percentile(99));
  json.end();
}

void writePool(TwemproxyWriter& json, const PoolLayout& layout, const PoolStats& pool) {
  const PoolCounters& counters = pool.counters;
  json.begin(layout.name);
  json.field("client_eof", counters.client_eof);
  json.field("client_err", counters.client_err);
  json.field("client_connections", counters.client_connections);
  json.field("server_ejects", counters.server_ejects);
  json.field("forward_error", counters.errors[static_cast<size_t>(ProxyError::kBackendDown)]);
  json.field("fragments", counters.fragments);
  for (size_t s = 0; s < layout.servers.size() && s < layout.slots.size(); ++s) {
    if (layout.slots[s] >= pool.servers.size()) continue;
    writeServer(json, layout.servers[s], pool.servers[layout.slots[s]]);
  }
  // Ours from here on.
  json.field("client_connections_total", counters.client_connections_total);
  json.field("requests", counters.requests);
  json.field("replies", counters.replies);
  json.field("split_commands", counters.split_commands);
  json.field("transactions_started", counters.transactions_started);
  json.field("transactions_committed", counters.transactions_committed);
  json.field("transactions_aborted", counters.transactions_aborted);
  json.field("transactions_discarded", counters.transactions_discarded);
  json.field("transactions_cross_server", counters.transactions_cross_server);
  json.field("blocked_clients", counters.blocked_clients);
  json.field("blocking_one_server", counters.blocking_one_server);
  json.field("blocking_cross_server", counters.blocking_cross_server);
  json.field("blocking_put_back", counters.blocking_put_back);
  json.field("pubsub_clients", counters.pubsub_clients);
  json.field("pubsub_messages_in", counters.pubsub_messages_in);
  json.field("pubsub_messages_delivered", counters.pubsub_messages_delivered);
  json.field("pubsub_slow_closes", counters.pubsub_slow_closes);
  json.field("pubsub_resubscribes", counters.pubsub_resubscribes);
  for (size_t kind = 0; kind < kProxyErrorKinds; ++kind) {
    std::string key = "error_";
    key += proxyErrorName(static_cast<ProxyError>(kind));
    json.field(key, counters.errors[kind]);
  }
  json.end();
}

}  // namespace

std::string renderTwemproxyJson(const Snapshot& snapshot) {
  std::string out;
  TwemproxyWriter json(out);
  json.field("service", snapshot.identity.service);
  json.field("source", snapshot.identity.source);
  json.field("version", snapshot.identity.version);
  json.field("uptime", snapshot.uptime_s);
  json.field("timestamp", snapshot.timestamp_s);
  json.field("total_connections", snapshot.totalConnections());
  json.field("curr_connections", snapshot.currConnections());
  json.field("config_reloads", snapshot.config_reloads);
  json.field("config_reload_failures", snapshot.config_reload_failures);
  const auto& pools = snapshot.totals.pools();
  if (snapshot.layout) {
    for (size_t p = 0; p < snapshot.layout->size() && p < pools.size(); ++p) {
      writePool(json, (*snapshot.layout)[p], pools[p]);
    }
  }
  json.finish();
  return out;
}

bool renderHealth(const Snapshot& snapshot, std::string& body) {
  bool healthy = true;
  std::string pools_text;
  std::string down_text;
  const auto& pools = snapshot.totals.pools();
  for (size_t p = 0; snapshot.layout && p < snapshot.layout->size() && p < pools.size(); ++p) {
    uint64_t live = 0;
    const PoolLayout& layout = (*snapshot.layout)[p];
    for (uint32_t slot : layout.slots) {
      if (slot < pools[p].servers.size() && pools[p].servers[slot].state == ServerState::kUp)
        ++live;
    }
    const std::string& name = layout.name;
    if (!pools_text.empty()) pools_text += ",";
    pools_text += "{\"pool\":\"" + printableKey(name) +
                  "\",\"live_servers\":" + std::to_string(live) +
                  ",\"servers\":" + std::to_string(layout.slots.size()) + "}";
    if (live == 0) {
      healthy = false;
      if (!down_text.empty()) down_text += ",";
      // Appended piece by piece: g++ 12 -O2 misreads `"\"" + name + "\""` (-Wrestrict).
      down_text.append("\"").append(printableKey(name)).append("\"");
    }
  }
  body = std::string("{\"status\":\"") + (healthy ? "ok" : "unavailable") +
         "\",\"pools_without_live_servers\":[" + down_text + "],\"pools\":[" + pools_text + "]}\n";
  return healthy;
}

}  // namespace shardis::stats
