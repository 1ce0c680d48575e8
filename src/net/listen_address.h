// ListenAddress: where a listener binds, in net/'s own terms (config/ parses the text of a
// pool's `listen` setting into its own struct; the proxy side converts, so net/ knows nothing
// of configuration files).
#pragma once

#include <cstdint>
#include <string>

namespace shardis::net {

struct ListenAddress {
  enum class Kind : uint8_t { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;          // kTcp: "127.0.0.1", "::1", "0.0.0.0"
  uint16_t port = 0;         // kTcp; 0 takes a free port
  std::string path;          // kUnix
  uint32_t permissions = 0;  // kUnix: chmod mode after bind, 0 = leave as created
  std::string text;          // as the user wrote it, for logs and errors
};

}  // namespace shardis::net
