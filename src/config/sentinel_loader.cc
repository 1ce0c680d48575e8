#include "config/sentinel_loader.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>

#include "config/address.h"

namespace shardis::config::detail {

namespace {

constexpr std::string_view kHostForms =
    "a sentinel host must be [host, port] or \"host:port\", got ";

SentinelHost loadHostPair(const Context& context, const YAML::Node& entry) {
  if (entry.size() != 2) {
    context.fail(entry.Mark(), std::string(kHostForms) + "a sequence of " +
                                   std::to_string(entry.size()) + " item(s)");
  }
  SentinelHost host;
  host.host = context.text(entry[0], "sentinel host");
  host.port = static_cast<uint16_t>(context.integer(entry[1], "sentinel port", 1, 65535));
  // The same rule as a server's host; "[::1]" and "::1" both name IPv6 loopback.
  HostPort parts;
  if (!splitHostPort(host.host + ":0", parts)) {
    context.fail(entry[0].Mark(),
                 "sentinel host '" + host.host + "' is not a host name or IP address");
  }
  host.host = parts.host;
  return host;
}

SentinelHost loadHostString(const Context& context, const YAML::Node& entry) {
  const std::string text = context.text(entry, "sentinel host");
  HostPort parts;
  SentinelHost host;
  if (!splitHostPort(text, parts)) {
    context.fail(entry.Mark(), std::string(kHostForms) + "'" + text + "'");
  }
  if (!parsePort(parts.port_text, host.port)) {
    context.fail(entry.Mark(), "sentinel host '" + text +
                                   "': port must be an integer from 1 to "
                                   "65535, got '" +
                                   std::string(parts.port_text) + "'");
  }
  host.host = parts.host;
  return host;
}

// redis-shard hands `hosts` to redis-py's Sentinel, which takes (host, port) pairs; in YAML
// a pair is a two-item sequence. "host:port" is the form the rest of this file uses.
void setHosts(const Context& context, const YAML::Node& value, Sentinel& sentinel) {
  if (!value.IsSequence() || value.size() == 0) {
    context.fail(value.Mark(),
                 "sentinel hosts must be a non-empty sequence of [host, port] or "
                 "\"host:port\", got " +
                     describe(value));
  }
  for (const auto& entry : value) {
    if (entry.IsSequence()) {
      sentinel.hosts.push_back(loadHostPair(context, entry));
    } else if (entry.IsScalar()) {
      sentinel.hosts.push_back(loadHostString(context, entry));
    } else {
      context.fail(entry.Mark(), std::string(kHostForms) + describe(entry));
    }
  }
}

// Seconds as redis-py takes them (0.1 is common); kept in whole milliseconds, at least one.
void setSocketTimeout(const Context& context, const YAML::Node& value, Sentinel& sentinel) {
  constexpr double kMaxSeconds = 3600;
  double seconds = 0;
  const std::string text = value.IsScalar() ? value.Scalar() : std::string();
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  if (text.empty() || ec != std::errc() || ptr != end || !(seconds > 0) || seconds > kMaxSeconds) {
    context.fail(value.Mark(),
                 "sentinel socket_timeout must be a number of seconds above 0 and at most 3600, "
                 "got " +
                     describe(value));
  }
  sentinel.timeout_ms = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds * 1000)));
}

using Setter = void (*)(const Context&, const YAML::Node&, Sentinel&);

struct SentinelKey {
  std::string_view name;
  Setter set;
};

constexpr std::array<SentinelKey, 5> kSentinelKeys = {{
    {"hosts", setHosts},
    {"socket_timeout", setSocketTimeout},
    {"password", [](const Context& c, const YAML::Node& v,
                    Sentinel& s) { s.password = c.text(v, "sentinel password"); }},
    {"username", [](const Context& c, const YAML::Node& v,
                    Sentinel& s) { s.username = c.text(v, "sentinel username"); }},
    {"master_prefix", [](const Context& c, const YAML::Node& v,
                         Sentinel& s) { s.master_prefix = c.text(v, "sentinel master_prefix"); }},
}};

}  // namespace

Sentinel loadSentinel(const Context& context, const YAML::Node& section) {
  if (!section.IsMap()) {
    context.fail(section.Mark(),
                 "sentinel must be a mapping with 'hosts' (and socket_timeout, password, "
                 "username, master_prefix), got " +
                     describe(section));
  }
  Sentinel sentinel;
  std::vector<std::string> seen;
  std::optional<YAML::Mark> username_mark;
  for (const auto& item : section) {
    const auto& key = findSetting<SentinelKey>(context, item.first, kSentinelKeys, seen);
    key.set(context, item.second, sentinel);
    if (key.name == "username") username_mark = item.first.Mark();
  }
  if (sentinel.hosts.empty()) {
    context.fail(section.Mark(),
                 "sentinel has no 'hosts' (the Sentinels to ask, such as "
                 "[[127.0.0.1, 26379]])");
  }
  // Sentinel's AUTH takes a user name only together with a password.
  if (username_mark && !sentinel.password) {
    context.fail(*username_mark, "sentinel username needs a sentinel password");
  }
  return sentinel;
}

}  // namespace shardis::config::detail
