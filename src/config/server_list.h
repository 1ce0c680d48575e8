// A pool's `servers` sequence: each entry a twemproxy string, a redis-shard URL or a
// redis-shard mapping, turned into config::Server values in ring order.
#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_context.h"

namespace shardis::config::detail {

// Throws config::Error naming the entry at fault. Sorts by name (twemproxy's order) unless
// the distribution is redis_shard, which keeps the listed order.
std::vector<Server> loadServers(const Context& context, const YAML::Node& servers,
                                hash::Distribution distribution);

// twemproxy's name order: shorter names first, equal lengths by bytes.
bool serverNameLess(const Server& a, const Server& b);

}  // namespace shardis::config::detail
