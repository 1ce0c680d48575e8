// The optional top-level `shardis:` section: process-wide settings (config::Process).
#pragma once

#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace shardis::config::detail {

// Throws config::Error for an unknown key or a bad value.
Process loadProcess(std::string_view file, const YAML::Node& name, const YAML::Node& body);

// trace, debug, info, warn, error, critical, off (spdlog's level names).
bool isLogLevelName(std::string_view name);
inline constexpr std::string_view kLogLevelNames = "trace, debug, info, warn, error, critical, off";

}  // namespace shardis::config::detail
