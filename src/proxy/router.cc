#include "proxy/router.h"

#include "proxy/sort_patterns.h"

namespace shardis::proxy {

hash::HashTag hashTagOf(const config::Pool& pool) {
  return hash::HashTag::forPool(pool.distribution, pool.hash_tag);
}

std::string crossSlotError() { return "CROSSSLOT Keys in request don't hash to the same server"; }

std::string notSupportedError(std::string_view name) {
  return "ERR '" + std::string(name) + "' is not supported by this proxy";
}

std::string severalServersError(std::string_view name) {
  return "ERR '" + std::string(name) + "' across several servers is not supported yet";
}

Route Router::noServer() const {
  return Route{Route::Kind::kError, 0, "ERR no server available in pool '" + pool_name_ + "'"};
}

Route Router::locateKeyless(std::span<const std::string_view> argv, ServerLocator& locator) {
  std::string_view routing_key = argv.size() > 1 ? argv[1] : std::string_view{};
  uint32_t server = locator.locate(routing_key);
  if (server == ServerLocator::kNoServer) return noServer();
  return Route{Route::Kind::kServer, server, {}};
}

Route Router::route(const command::CommandSpec& spec, command::Routing routing,
                    std::span<const std::string_view> argv, ServerLocator& locator) {
  key_indexes_.clear();
  key_servers_.clear();
  std::string_view error;
  if (command::findKeys(spec, argv, key_indexes_, error) != command::KeysStatus::kOk) {
    return Route{Route::Kind::kError, 0, std::string(error)};
  }
  if (key_indexes_.empty()) return locateKeyless(argv, locator);

  bool same_server = true;
  for (uint32_t index : key_indexes_) {
    uint32_t server = locator.locate(tag_.routingKey(argv[index]));
    if (server == ServerLocator::kNoServer) return noServer();
    if (!key_servers_.empty() && server != key_servers_.front()) same_server = false;
    key_servers_.push_back(server);
  }
  if (same_server) {
    uint32_t server = key_servers_.front();
    if (spec.key_rule == command::KeyRule::kSort || spec.key_rule == command::KeyRule::kSortRo) {
      std::string denied = checkSortPatterns(argv, tag_, locator, server);
      if (!denied.empty()) return Route{Route::Kind::kError, 0, std::move(denied)};
    }
    return Route{Route::Kind::kServer, server, {}};
  }
  if (routing == command::Routing::kSplit) return Route{Route::Kind::kSeveralServers, 0, {}};
  return Route{Route::Kind::kError, 0, crossSlotError()};
}

}  // namespace shardis::proxy
