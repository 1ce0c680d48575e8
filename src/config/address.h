// Parsing of the address texts a config file holds: a pool's `listen` value and the string
// forms of a server entry (twemproxy's "host:port:weight [name]" and redis-shard's URL).
// Each parser returns an empty string on success, else the reason, which the loader prefixes
// with the file position and the pool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace shardis::config {

// "host:port", "[v6]:port" or "v6:port" (the last colon splits), the form of the `admin`
// setting; port 0 is accepted (a free port). False when `text` is not of that form.
bool parseHostAndPort(std::string_view text, std::string& host, uint16_t& port);

}  // namespace shardis::config

namespace shardis::config::detail {

inline constexpr uint16_t kRedisDefaultPort = 6379;
// twemproxy leaves this port out of a server's default name, for libmemcached's sake.
inline constexpr uint16_t kKetamaDefaultPort = 11211;

// Host and port of "host:port", "[v6]:port" or "v6:port" (the last colon splits).
// `host_text` keeps the brackets as written; `host` has them removed.
struct HostPort {
  std::string host;
  std::string host_text;
  std::string_view port_text;
};
bool splitHostPort(std::string_view text, HostPort& out);
bool parsePort(std::string_view text, uint16_t& port);

std::string parseListen(std::string_view text, ListenAddress& out);

// twemproxy's server string. The name, if absent, follows twemproxy's rule.
std::string parseServerString(std::string_view text, Server& out);
// redis-shard's redis://[user:password@]host[:port][/db][?name=NAME&weight=N&...].
std::string parseServerUrl(std::string_view text, Server& out);

// twemproxy's default name for a server written as `host_text`:`port`.
std::string defaultServerName(std::string_view host_text, uint16_t port);

}  // namespace shardis::config::detail
