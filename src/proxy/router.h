// Router: decides where one request goes, from the command table and the pool's ring.
//
//   resolve + arity (ClientSession) → findKeys → hash tag → routing key → locate → server
//
// All keys on one server: forward there, as the original bytes. Keys on several servers:
// a split command (MGET, DEL ...) becomes a fan-out (issue 5); any other command gets
// -CROSSSLOT and nothing is sent. Keyless requests that still go to a server (EVAL with
// numkeys 0) go to the server its first argument hashes to, so the same script always runs
// on the same server. The Router holds no I/O: tests drive it with a ring and no sockets.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.h"
#include "config/config.h"
#include "hash/hash_tag.h"

namespace shardis::proxy {

// Maps a routing key to a server index (backend::ServerPool in the proxy, a Ring in tests).
class ServerLocator {
 public:
  static constexpr uint32_t kNoServer = UINT32_MAX;
  virtual uint32_t locate(std::string_view routing_key) = 0;

 protected:
  ~ServerLocator() = default;
};

struct Route {
  enum class Kind : uint8_t {
    kServer,          // forward the request to `server`
    kSeveralServers,  // split command over several servers: keyServers() says which
    kError,           // reply `error` (text after '-')
  };
  Kind kind = Kind::kError;
  uint32_t server = 0;
  std::string error;
};

hash::HashTag hashTagOf(const config::Pool& pool);

class Router {
 public:
  explicit Router(const config::Pool& pool) : pool_name_(pool.name), tag_(hashTagOf(pool)) {}

  Route route(const command::CommandSpec& spec, command::Routing routing,
              std::span<const std::string_view> argv, ServerLocator& locator);

  // After a route(): the argv index of each key and the server each went to, in key order.
  std::span<const uint32_t> keyIndexes() const { return key_indexes_; }
  std::span<const uint32_t> keyServers() const { return key_servers_; }
  const hash::HashTag& hashTag() const { return tag_; }

 private:
  Route locateKeyless(std::span<const std::string_view> argv, ServerLocator& locator);
  Route noServer() const;

  std::string pool_name_;
  hash::HashTag tag_;
  std::vector<uint32_t> key_indexes_;
  std::vector<uint32_t> key_servers_;
};

// Redis's wording for the errors the session and the router give.
std::string crossSlotError();
std::string notSupportedError(std::string_view name);
std::string severalServersError(std::string_view name);

}  // namespace shardis::proxy
