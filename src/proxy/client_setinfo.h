#pragma once

// CLIENT SETINFO and CLIENT NO-TOUCH, the Redis 7.2 subcommands that client libraries send on
// connect, answered as Redis 7.2 answers them. Called from the local CLIENT code
// (local_commands.cc) after the arity and AUTH checks.

#include <span>
#include <string>
#include <string_view>

#include "proxy/client_state.h"

namespace shardis::proxy {

// CLIENT SETINFO LIB-NAME|LIB-VER <value>: stores the value in `client` (an empty value
// clears it), or Redis's error for another attribute or a value CLIENT LIST could not show.
void clientSetinfo(std::span<const std::string_view> argv, ClientState& client, std::string& out);

// CLIENT NO-TOUCH ON|OFF. The servers' LRU/LFU clocks are touched by the proxy's shared
// connections whatever a client asks, so the mode is accepted and changes nothing.
void clientNoTouch(std::span<const std::string_view> argv, std::string& out);

}  // namespace shardis::proxy
