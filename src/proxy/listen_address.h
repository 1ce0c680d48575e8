// The config's listen address in net/'s terms (net/ does not depend on config/).
#pragma once

#include "config/config.h"
#include "net/listen_address.h"

namespace shardis::proxy {

[[nodiscard]] inline net::ListenAddress listenAddressOf(const config::ListenAddress& listen) {
  net::ListenAddress address;
  address.kind = listen.kind == config::ListenAddress::Kind::kUnix ? net::ListenAddress::Kind::kUnix
                                                                   : net::ListenAddress::Kind::kTcp;
  address.host = listen.host;
  address.port = listen.port;
  address.path = listen.path;
  address.permissions = listen.permissions;
  address.text = listen.text;
  return address;
}

}  // namespace shardis::proxy
