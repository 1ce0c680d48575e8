// A pool's `sentinel:` section: where its Sentinels are and how to talk to them. The servers
// of such a pool are names only (server_list.h); their addresses come from Sentinel at start.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_context.h"

namespace shardis::config::detail {

// Throws config::Error naming the value at fault.
Sentinel loadSentinel(const Context& context, const YAML::Node& section);

}  // namespace shardis::config::detail
