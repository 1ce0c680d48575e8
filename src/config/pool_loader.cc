#include "config/pool_loader.h"

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

#include "config/address.h"
#include "config/sentinel_loader.h"
#include "config/server_list.h"
#include "config/yaml_context.h"

namespace shardis::config::detail {

namespace {

// Settings whose meaning depends on others (hash on distribution, hash_tag on both) are
// kept as nodes and resolved once the whole mapping has been read.
struct PoolDraft {
  Pool pool;
  // yaml-cpp's default Node counts as defined, so absence needs optional.
  std::optional<YAML::Node> listen;
  std::optional<YAML::Node> hash;
  std::optional<YAML::Node> hash_tag;
  std::optional<YAML::Node> distribution;
  std::optional<YAML::Node> servers;
  std::optional<YAML::Node> sentinel;
};

using Setter = void (*)(const Context&, const YAML::Node&, PoolDraft&);

ReadFrom parseReadFrom(const Context& context, const YAML::Node& value) {
  const std::string text = context.text(value, "read_from");
  if (text == "master") return ReadFrom::kMaster;
  if (text == "replica") return ReadFrom::kReplica;
  if (text == "prefer_replica") return ReadFrom::kPreferReplica;
  context.fail(value.Mark(),
               "read_from '" + text + "' is not one of master, replica, prefer_replica");
}

struct PoolKey {
  std::string_view name;
  Setter set;
};

int toInt(int64_t value) { return static_cast<int>(value); }
uint32_t toU32(int64_t value) { return static_cast<uint32_t>(value); }

void setRedis(const Context& c, const YAML::Node& v, PoolDraft&) {
  if (!c.boolean(v, "redis")) {
    c.fail(v.Mark(),
           "redis: false asks for a memcached pool; shardis speaks only the Redis protocol");
  }
}

constexpr std::array<PoolKey, 21> kPoolKeys = {{
    {"listen", [](const Context&, const YAML::Node& v, PoolDraft& d) { d.listen.emplace(v); }},
    {"hash", [](const Context&, const YAML::Node& v, PoolDraft& d) { d.hash.emplace(v); }},
    {"hash_tag", [](const Context&, const YAML::Node& v, PoolDraft& d) { d.hash_tag.emplace(v); }},
    {"distribution",
     [](const Context&, const YAML::Node& v, PoolDraft& d) { d.distribution.emplace(v); }},
    {"servers", [](const Context&, const YAML::Node& v, PoolDraft& d) { d.servers.emplace(v); }},
    {"sentinel", [](const Context&, const YAML::Node& v, PoolDraft& d) { d.sentinel.emplace(v); }},
    {"redis", setRedis},
    {"timeout", [](const Context& c, const YAML::Node& v,
                   PoolDraft& d) { d.pool.timeout_ms = c.integer(v, "timeout", 1, INT32_MAX); }},
    {"backlog",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.backlog = toInt(c.integer(v, "backlog", 1, INT32_MAX));
     }},
    {"preconnect", [](const Context& c, const YAML::Node& v,
                      PoolDraft& d) { d.pool.preconnect = c.boolean(v, "preconnect"); }},
    {"redis_auth", [](const Context& c, const YAML::Node& v,
                      PoolDraft& d) { d.pool.redis_auth = c.text(v, "redis_auth"); }},
    {"redis_db",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.redis_db = toInt(c.integer(v, "redis_db", 0, INT32_MAX));
     }},
    {"server_connections",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.server_connections = toU32(c.integer(v, "server_connections", 1, UINT32_MAX));
     }},
    {"max_leased_connections",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.max_leased_connections = toU32(c.integer(v, "max_leased_connections", 1, UINT32_MAX));
     }},
    {"auto_eject_hosts",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.auto_eject_hosts = c.boolean(v, "auto_eject_hosts");
     }},
    {"server_retry_timeout",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.server_retry_timeout_ms = c.integer(v, "server_retry_timeout", 1, INT32_MAX);
     }},
    {"server_failure_limit",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.server_failure_limit = toU32(c.integer(v, "server_failure_limit", 1, UINT32_MAX));
     }},
    {"client_connections",
     [](const Context& c, const YAML::Node& v, PoolDraft& d) {
       d.pool.client_connections = toU32(c.integer(v, "client_connections", 0, UINT32_MAX));
     }},
    {"tcpkeepalive", [](const Context& c, const YAML::Node& v,
                        PoolDraft& d) { d.pool.tcpkeepalive = c.boolean(v, "tcpkeepalive"); }},
    {"reuseport", [](const Context& c, const YAML::Node& v,
                     PoolDraft& d) { d.pool.reuseport = c.boolean(v, "reuseport"); }},
    {"read_from", [](const Context& c, const YAML::Node& v,
                     PoolDraft& d) { d.pool.read_from = parseReadFrom(c, v); }},
}};

void readKeys(const Context& context, const YAML::Node& body, PoolDraft& draft) {
  std::vector<std::string> seen;
  for (const auto& item : body) {
    const auto& key = findSetting<PoolKey>(context, item.first, kPoolKeys, seen);
    key.set(context, item.second, draft);
  }
}

void resolveDistribution(const Context& context, PoolDraft& draft) {
  if (!draft.distribution) {
    return;  // twemproxy's default, ketama, from the struct
  }
  const std::string name = context.text(*draft.distribution, "distribution");
  const auto parsed = hash::parseDistribution(name);
  if (!parsed) {
    context.fail(draft.distribution->Mark(),
                 "distribution '" + name + "' is not one of ketama, modula, random, redis_shard");
  }
  draft.pool.distribution = *parsed;
}

void resolveHash(const Context& context, PoolDraft& draft) {
  const bool redis_shard = draft.pool.distribution == hash::Distribution::kRedisShard;
  // redis-shard's default is its crc32; twemproxy's is fnv1a_64 (set in the struct).
  if (redis_shard) {
    draft.pool.hash = hash::HashKind::kCrc32;
  }
  if (!draft.hash) {
    return;
  }
  const std::string name = context.text(*draft.hash, "hash");
  const auto parsed = hash::parseHashKind(name);
  if (redis_shard) {
    const bool allowed =
        parsed && (*parsed == hash::HashKind::kCrc32 || *parsed == hash::HashKind::kMd5 ||
                   *parsed == hash::HashKind::kSha1);
    if (!allowed) {
      context.fail(draft.hash->Mark(), "hash '" + name +
                                           "' is not one of crc32, md5, sha1 (the hashes of "
                                           "distribution redis_shard)");
    }
  } else if (!parsed || *parsed == hash::HashKind::kSha1) {
    std::string message =
        "hash '" + name + "' is not one of " + std::string(hash::twemproxyHashNames());
    if (parsed) {
      message += " (sha1 needs distribution redis_shard)";
    }
    context.fail(draft.hash->Mark(), message);
  }
  draft.pool.hash = *parsed;
}

void resolveHashTag(const Context& context, PoolDraft& draft) {
  const bool redis_shard = draft.pool.distribution == hash::Distribution::kRedisShard;
  if (!draft.hash_tag) {
    draft.pool.hash_tag = redis_shard ? "{}" : "";
    return;
  }
  const std::string tag = context.text(*draft.hash_tag, "hash_tag");
  // redis_shard alone may turn tags off with ""; twemproxy insists on two characters, and
  // redis-shard's rule with other delimiters works the same way as with {}.
  if (tag.size() != 2 && !(redis_shard && tag.empty())) {
    context.fail(draft.hash_tag->Mark(), "hash_tag '" + tag +
                                             "' must be exactly two characters, such as \"{}\"" +
                                             (redis_shard ? " (or \"\" to turn tags off)" : ""));
  }
  draft.pool.hash_tag = tag;
}

void resolveListen(const Context& context, const YAML::Node& name, PoolDraft& draft) {
  if (!draft.listen) {
    context.fail(name.Mark(), "missing 'listen' (the address clients connect to)");
  }
  const std::string text = context.text(*draft.listen, "listen");
  const std::string error = parseListen(text, draft.pool.listen);
  if (!error.empty()) {
    const bool verb = error.starts_with("is ");
    context.fail(draft.listen->Mark(), "listen '" + text + (verb ? "' " : "': ") + error);
  }
}

}  // namespace

Pool loadPool(std::string_view file, const YAML::Node& name, const YAML::Node& body) {
  const std::string& pool_name = name.Scalar();
  const Context context(file, "pool '" + pool_name + "'");
  if (!body.IsMap()) {
    context.fail(body.IsNull() ? name.Mark() : body.Mark(),
                 "a pool must be a mapping of settings, got " + describe(body));
  }
  PoolDraft draft;
  draft.pool.name = pool_name;
  readKeys(context, body, draft);
  resolveListen(context, name, draft);
  if (!draft.servers) {
    context.fail(name.Mark(), "missing 'servers' (a list of at least one server)");
  }
  resolveDistribution(context, draft);
  resolveHash(context, draft);
  resolveHashTag(context, draft);
  // The servers' form depends on it: names only with a sentinel, addresses without.
  if (draft.sentinel) {
    draft.pool.sentinel = loadSentinel(context, *draft.sentinel);
  }
  draft.pool.servers = loadServers(context, *draft.servers, draft.pool.distribution,
                                   draft.pool.sentinel ? &*draft.pool.sentinel : nullptr);
  return draft.pool;
}

}  // namespace shardis::config::detail
