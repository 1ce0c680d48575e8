// One pool's mapping (twemproxy's keys and meanings) turned into a config::Pool.
#pragma once

#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace shardis::config::detail {

// `name` is the pool's key node; `body` its value. Throws config::Error.
Pool loadPool(std::string_view file, const YAML::Node& name, const YAML::Node& body);

}  // namespace shardis::config::detail
