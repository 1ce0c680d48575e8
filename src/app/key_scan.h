// Walks the keys actually stored on one backend server, for `shardis locate --diff --scan`.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace shardis::app {

using KeyVisitor = std::function<void(std::string_view key)>;

// Calls `visit` for every key SCAN returns from `server` (COUNT 1000 per call), after AUTH
// and SELECT as the proxy would send them (the server's own password and db, else the
// pool's redis_auth and redis_db). Each network step is bounded by `timeout_ms`. False with
// `error` when the server cannot be reached or refuses; keys visited before that stay counted.
[[nodiscard]] bool scanServerKeys(const config::Pool& pool, const config::Server& server,
                                  int timeout_ms, const KeyVisitor& visit, std::string& error);

}  // namespace shardis::app
