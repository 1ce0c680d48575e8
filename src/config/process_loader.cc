#include "config/process_loader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "config/address.h"
#include "config/yaml_context.h"

namespace shardis::config::detail {

namespace {

using Setter = void (*)(const Context&, const YAML::Node&, Process&);

struct ProcessKey {
  std::string_view name;
  Setter set;
};

uint32_t toU32(int64_t value) { return static_cast<uint32_t>(value); }

void setLogLevel(const Context& c, const YAML::Node& v, Process& p) {
  const std::string level = c.text(v, "log_level");
  if (!isLogLevelName(level)) {
    c.fail(v.Mark(), "log_level '" + level + "' is not one of " + std::string(kLogLevelNames));
  }
  p.log_level = level;
}

void setAdmin(const Context& c, const YAML::Node& v, Process& p) {
  const std::string text = c.text(v, "admin");
  HostPort parts;
  uint16_t port = 0;
  if (!text.empty() && (!splitHostPort(text, parts) || !parsePort(parts.port_text, port))) {
    c.fail(v.Mark(), "admin '" + text + "' is not host:port or [ipv6]:port");
  }
  p.admin_listen = text;
}

void setStatsAddr(const Context& c, const YAML::Node& v, Process& p) {
  const std::string text = c.text(v, "stats_addr");
  HostPort parts;
  // Reuse the host check by giving it a dummy port.
  if (!splitHostPort((text.find(':') != std::string::npos ? '[' + text + ']' : text) + ":1",
                     parts)) {
    c.fail(v.Mark(), "stats_addr '" + text + "' is not a host name or IP address");
  }
  p.stats_addr = text;
}

// HARD SOFT SECONDS, or one byte count, the hard limit alone (shardis's earlier form); 0 is
// no limit.
template <typename Refuse>
void parseOutputBufferLimit(const Context& c, const YAML::Node& v, const std::string& what,
                            const std::vector<std::string>& words, OutputBufferLimit& limit,
                            Refuse refuse) {
  limit = OutputBufferLimit{};
  if (words.size() == 1) {
    if (!parseByteCount(words[0], limit.hard_bytes)) refuse();
    return;
  }
  if (!parseByteCount(words[0], limit.hard_bytes)) {
    c.fail(v.Mark(), what + " hard limit '" + words[0] + "' is not a byte count");
  }
  if (!parseByteCount(words[1], limit.soft_bytes)) {
    c.fail(v.Mark(), what + " soft limit '" + words[1] + "' is not a byte count");
  }
  int64_t seconds = 0;
  if (!parseInteger(words[2], seconds) || seconds < 0 || seconds > UINT32_MAX) {
    c.fail(v.Mark(), what + " soft seconds '" + words[2] + "' is not a whole number of seconds");
  }
  limit.soft_seconds = static_cast<uint32_t>(seconds);
}

// Redis's form, `[CLASS] HARD SOFT SECONDS` (client-output-buffer-limit normal 0 0 0), for
// the normal class, or for the pubsub one when named so (as
// client_output_buffer_limit_pubsub); `pubsub_key`: the setting that has no class word.
void setOutputBufferLimitOf(const Context& c, const YAML::Node& v, Process& p, bool pubsub_key) {
  const std::string what =
      pubsub_key ? "client_output_buffer_limit_pubsub" : "client_output_buffer_limit";
  const auto refuse = [&] {
    c.fail(v.Mark(), what + " must be a byte count or '" + (pubsub_key ? "" : "[normal|pubsub] ") +
                         "HARD SOFT SECONDS' (0 = no limit), such as 64mb or 256mb 64mb 60, "
                         "got " +
                         describe(v));
  };
  if (!v.IsScalar()) refuse();
  std::vector<std::string> words;
  std::istringstream split(v.Scalar());
  for (std::string word; split >> word;) words.push_back(word);
  bool pubsub = pubsub_key;
  if (words.size() == 4 && !pubsub_key) {
    std::string lower = words.front();
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower == "replica" || lower == "slave") {
      c.fail(v.Mark(),
             what + " class '" + words.front() + "' is not supported (only normal and pubsub)");
    }
    if (lower != "normal" && lower != "pubsub") refuse();
    pubsub = lower == "pubsub";
    words.erase(words.begin());
  }
  if (words.size() != 1 && words.size() != 3) refuse();
  parseOutputBufferLimit(
      c, v, what, words,
      pubsub ? p.client_output_buffer_limit_pubsub : p.client_output_buffer_limit, refuse);
}

void setOutputBufferLimit(const Context& c, const YAML::Node& v, Process& p) {
  setOutputBufferLimitOf(c, v, p, false);
}

void setPubsubOutputBufferLimit(const Context& c, const YAML::Node& v, Process& p) {
  setOutputBufferLimitOf(c, v, p, true);
}

void setLimits(const Context& c, const YAML::Node& v, Process& p);

// A byte count, or 0 for no limit.
uint64_t limitBytes(const Context& c, const YAML::Node& v, std::string_view what) {
  if (v.IsScalar() && v.Scalar() == "0") return 0;
  return c.bytes(v, what);
}

constexpr std::array<ProcessKey, 15> kProcessKeys = {{
    {"threads", [](const Context& c, const YAML::Node& v,
                   Process& p) { p.threads = static_cast<int>(c.integer(v, "threads", 0, 1024)); }},
    {"stats_addr", setStatsAddr},
    {"stats_port",
     [](const Context& c, const YAML::Node& v, Process& p) {
       p.stats_port = static_cast<int>(c.integer(v, "stats_port", 1, 65535));
     }},
    {"admin", setAdmin},
    {"log_level", setLogLevel},
    {"log_file",
     [](const Context& c, const YAML::Node& v, Process& p) { p.log_file = c.text(v, "log_file"); }},
    {"max_clients",
     [](const Context& c, const YAML::Node& v, Process& p) {
       p.max_clients = toU32(c.integer(v, "max_clients", 1, UINT32_MAX));
     }},
    {"client_output_buffer_limit", setOutputBufferLimit},
    {"client_output_buffer_limit_pubsub", setPubsubOutputBufferLimit},
    {"client_queue_limit",
     [](const Context& c, const YAML::Node& v, Process& p) {
       p.client_queue_limit = limitBytes(c, v, "client_queue_limit");
     }},
    {"server_queue_limit",
     [](const Context& c, const YAML::Node& v, Process& p) {
       p.server_queue_limit = limitBytes(c, v, "server_queue_limit");
     }},
    {"slowlog_log_slower_than",
     [](const Context& c, const YAML::Node& v, Process& p) {
       // Microseconds, as in Redis; a negative value turns the slow log off.
       p.slowlog_log_slower_than_us = c.integer(v, "slowlog_log_slower_than", -1, INT64_MAX);
     }},
    {"slowlog_max_len",
     [](const Context& c, const YAML::Node& v, Process& p) {
       p.slowlog_max_len = toU32(c.integer(v, "slowlog_max_len", 0, UINT32_MAX));
     }},
    {"hotkeys", [](const Context& c, const YAML::Node& v,
                   Process& p) { p.hotkeys = c.boolean(v, "hotkeys"); }},
    {"limits", setLimits},
}};

struct LimitKey {
  std::string_view name;
  void (*set)(const Context&, const YAML::Node&, ProtocolLimits&);
};

constexpr std::array<LimitKey, 4> kLimitKeys = {{
    {"max_bulk_len", [](const Context& c, const YAML::Node& v,
                        ProtocolLimits& l) { l.max_bulk_len = c.bytes(v, "limits.max_bulk_len"); }},
    {"max_array_len",
     [](const Context& c, const YAML::Node& v, ProtocolLimits& l) {
       l.max_array_len = toU32(c.integer(v, "limits.max_array_len", 1, INT32_MAX));
     }},
    {"max_depth",
     [](const Context& c, const YAML::Node& v, ProtocolLimits& l) {
       l.max_depth = toU32(c.integer(v, "limits.max_depth", 1, 1024));
     }},
    {"max_inline_len",
     [](const Context& c, const YAML::Node& v, ProtocolLimits& l) {
       const uint64_t bytes = c.bytes(v, "limits.max_inline_len");
       if (bytes > UINT32_MAX) {
         c.fail(v.Mark(), "limits.max_inline_len must be at most 4gb, got '" + v.Scalar() + "'");
       }
       l.max_inline_len = static_cast<uint32_t>(bytes);
     }},
}};

void setLimits(const Context& c, const YAML::Node& v, Process& p) {
  if (!v.IsMap()) {
    c.fail(v.Mark(), "limits must be a mapping, got " + describe(v));
  }
  std::vector<std::string> seen;
  for (const auto& item : v) {
    const auto& key = findSetting<LimitKey>(c, item.first, kLimitKeys, seen);
    key.set(c, item.second, p.limits);
  }
}

}  // namespace

bool isLogLevelName(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

Process loadProcess(std::string_view file, const YAML::Node& name, const YAML::Node& body) {
  const Context context(file, "section 'shardis'");
  Process process;
  if (body.IsNull()) {
    return process;  // "shardis:" with nothing under it: all defaults
  }
  if (!body.IsMap()) {
    context.fail(body.IsNull() ? name.Mark() : body.Mark(),
                 "the shardis section must be a mapping of settings, got " + describe(body));
  }
  std::vector<std::string> seen;
  for (const auto& item : body) {
    const auto& key = findSetting<ProcessKey>(context, item.first, kProcessKeys, seen);
    key.set(context, item.second, process);
  }
  return process;
}

}  // namespace shardis::config::detail
