// A pool's `servers` sequence: each entry a twemproxy string, a redis-shard URL or a
// redis-shard mapping, turned into config::Server values in ring order; in a pool with a
// sentinel, each entry a name or a mapping with a name.
#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_context.h"

namespace shardis::config::detail {

// Throws config::Error naming the entry at fault. Sorts by name (twemproxy's order) unless
// the distribution is redis_shard, which keeps the listed order. With a `sentinel`, entries
// are names only (a string or a mapping without host and port), each given its master_name.
std::vector<Server> loadServers(const Context& context, const YAML::Node& servers,
                                hash::Distribution distribution, const Sentinel* sentinel);

// twemproxy's name order: shorter names first, equal lengths by bytes.
bool serverNameLess(const Server& a, const Server& b);

}  // namespace shardis::config::detail
