#include "config/server_list.h"

#include <algorithm>
#include <map>

#include "config/address.h"
#include "config/redact_url.h"

namespace shardis::config::detail {

namespace {

// `replicas: [host:port, ...]`: read replicas (read_from), each inheriting the server's login.
std::vector<Server::Replica> loadReplicas(const Context& context, const YAML::Node& value) {
  if (!value.IsSequence()) {
    context.fail(value.Mark(),
                 "server replicas must be a list of host:port, got " + describe(value));
  }
  std::vector<Server::Replica> replicas;
  for (const YAML::Node& item : value) {
    Server::Replica replica;
    replica.address_text = context.text(item, "a replica address");
    if (!parseHostAndPort(replica.address_text, replica.host, replica.port)) {
      context.fail(item.Mark(), "replica '" + replica.address_text + "' is not host:port");
    }
    replicas.push_back(std::move(replica));
  }
  return replicas;
}

constexpr const char* kNamesOnly =
    "a pool with a 'sentinel' takes each server by name only (its Sentinel master name); "
    "Sentinel gives the address";

void loadMappingKey(const Context& context, const std::string& key, const YAML::Node& value,
                    Server& server) {
  if (key == "name") {
    server.name = context.text(value, "server name");
  } else if (key == "host") {
    server.host = context.text(value, "server host");
  } else if (key == "port") {
    server.port = static_cast<uint16_t>(context.integer(value, "server port", 1, 65535));
  } else if (key == "db") {
    server.db = static_cast<int>(context.integer(value, "server db", 0, INT32_MAX));
  } else if (key == "username") {
    server.username = context.text(value, "server username");
  } else if (key == "password") {
    server.password = context.text(value, "server password");
  } else if (key == "weight") {
    server.weight = static_cast<uint32_t>(context.integer(value, "server weight", 1, UINT32_MAX));
  } else if (key == "max_connections") {
    server.max_connections =
        static_cast<uint32_t>(context.integer(value, "server max_connections", 1, UINT32_MAX));
  } else if (key == "replicas") {
    server.replicas = loadReplicas(context, value);
  }
}

// Reads every key of a server mapping into `server`; false when it has no 'host'.
bool readMappingKeys(const Context& context, const YAML::Node& entry, bool sentinel,
                     Server& server) {
  static constexpr std::string_view kKeys[] = {"name",     "host",     "port",   "db",
                                               "username", "password", "weight", "max_connections",
                                               "replicas"};
  bool has_host = false;
  for (const auto& item : entry) {
    const std::string key = context.text(item.first, "a server mapping key");
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      context.fail(item.first.Mark(),
                   "unknown server key '" + key +
                       "' (known: name, host, port, db, username, password, weight, "
                       "max_connections, replicas)");
    }
    if (sentinel && (key == "host" || key == "port")) {
      context.fail(item.first.Mark(), "server key '" + key + "': " + kNamesOnly);
    }
    if (sentinel && key == "replicas") {
      context.fail(item.first.Mark(),
                   "server key 'replicas': in a pool with a 'sentinel', Sentinel gives each "
                   "server's replicas (SENTINEL REPLICAS)");
    }
    has_host = has_host || key == "host";
    loadMappingKey(context, key, item.second, server);
  }
  return has_host;
}

// redis-shard's sentinel form: {name} (plus db, password ... for the master's connections).
Server loadNamedMapping(const Context& context, const YAML::Node& entry) {
  Server server;
  readMappingKeys(context, entry, true, server);
  if (server.name.empty()) {
    context.fail(entry.Mark(),
                 "server mapping has no 'name' (with a sentinel, the name is the master's)");
  }
  return server;
}

// redis-shard's dict form: {name, host, port, db, password, weight, max_connections}.
Server loadServerMapping(const Context& context, const YAML::Node& entry) {
  Server server;
  server.port = kRedisDefaultPort;
  if (!readMappingKeys(context, entry, false, server)) {
    context.fail(entry.Mark(),
                 "server mapping has no 'host' (only a pool with a 'sentinel' takes names alone)");
  }
  HostPort parts;
  const std::string address = server.host.find(':') != std::string::npos
                                  ? '[' + server.host + "]:" + std::to_string(server.port)
                                  : server.host + ':' + std::to_string(server.port);
  if (server.host.empty() || !splitHostPort(address, parts)) {
    context.fail(entry["host"].Mark(), "server host '" + server.host +
                                           "' is not a host name "
                                           "or IP address");
  }
  server.address_text = address;
  if (server.name.empty()) {
    server.name = defaultServerName(address.substr(0, address.rfind(':')), server.port);
  }
  return server;
}

// A name alone, as a pool with a sentinel takes it: nothing that reads as an address.
bool isBareName(std::string_view text) {
  return !text.empty() && text.find_first_of(": \t/") == std::string_view::npos;
}

// With a sentinel: "name" or {name: ...}; the address comes from Sentinel.
Server loadNamedEntry(const Context& context, const YAML::Node& entry, const Sentinel& sentinel) {
  Server server;
  if (entry.IsMap()) {
    server = loadNamedMapping(context, entry);
  } else if (entry.IsScalar() && isBareName(entry.Scalar())) {
    server.name = entry.Scalar();
  } else if (entry.IsScalar()) {
    context.fail(entry.Mark(), "server '" + redactUrl(entry.Scalar()) + "': " + kNamesOnly);
  } else {
    context.fail(entry.Mark(),
                 "a server must be a name or a mapping with a 'name', got " + describe(entry));
  }
  server.master_name = sentinel.master_prefix + server.name;
  return server;
}

Server loadServerEntry(const Context& context, const YAML::Node& entry) {
  if (entry.IsMap()) {
    return loadServerMapping(context, entry);
  }
  if (!entry.IsScalar()) {
    context.fail(entry.Mark(),
                 "a server must be a string, a redis:// URL or a mapping, got " + describe(entry));
  }
  const std::string& text = entry.Scalar();
  if (isBareName(text)) {
    context.fail(entry.Mark(), "server '" + text +
                                   "' is not host:port:weight [name], /path.sock:weight [name] "
                                   "or a redis:// URL (only a pool with a 'sentinel' takes "
                                   "names alone)");
  }
  Server server;
  const bool is_url = text.find("://") != std::string::npos;
  // Messages quote the entry without its password (a config error lands in logs).
  const std::string shown = redactUrl(text);
  if (is_url && !text.starts_with("redis://")) {
    context.fail(entry.Mark(), "server '" + shown + "': only redis:// URLs are supported");
  }
  std::string error = is_url ? parseServerUrl(text, server) : parseServerString(text, server);
  if (!error.empty()) {
    if (is_url) error = redactUrlReason(text, error);
    // Reasons starting with a verb read as a sentence after the quoted entry.
    const bool verb = error.starts_with("is ") || error.starts_with("has ");
    context.fail(entry.Mark(), "server '" + shown + (verb ? "' " : "': ") + error);
  }
  if (server.name.empty()) {
    context.fail(entry.Mark(), "server '" + shown + "' has an empty name");
  }
  return server;
}

}  // namespace

bool serverNameLess(const Server& a, const Server& b) {
  if (a.name.size() != b.name.size()) {
    return a.name.size() < b.name.size();
  }
  return a.name < b.name;
}

std::vector<Server> loadServers(const Context& context, const YAML::Node& servers,
                                hash::Distribution distribution, const Sentinel* sentinel) {
  if (!servers.IsSequence()) {
    context.fail(servers.Mark(), "servers must be a sequence of servers, got " + describe(servers));
  }
  if (servers.size() == 0) {
    context.fail(servers.Mark(), "servers is empty; a pool needs at least one server");
  }
  std::vector<Server> result;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : servers) {
    Server server = sentinel != nullptr ? loadNamedEntry(context, entry, *sentinel)
                                        : loadServerEntry(context, entry);
    auto [it, inserted] = seen.emplace(server.name, entry.Mark());
    if (!inserted) {
      context.fail(entry.Mark(), "server name '" + server.name +
                                     "' is used twice in this pool (first at line " +
                                     std::to_string(it->second.line + 1) + ")");
    }
    result.push_back(std::move(server));
  }
  if (distribution != hash::Distribution::kRedisShard) {
    // twemproxy sorts its server array by name while validating and never restores the
    // listed order, so ketama/modula indexes follow the sorted order.
    std::stable_sort(result.begin(), result.end(), serverNameLess);
  }
  return result;
}

}  // namespace shardis::config::detail
