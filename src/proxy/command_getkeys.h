#pragma once

// COMMAND GETKEYSANDFLAGS, answered as redis-server 7.0 answers it (the keys from
// command::keysWithFlags). Called from the local COMMAND code (local_commands.cc).

#include <span>
#include <string>
#include <string_view>

#include "resp/encoder.h"

namespace shardis::proxy {

// argv is the whole request: "COMMAND" "GETKEYSANDFLAGS" <command line...> (at least one word
// of it: the command table's arity). Appends one reply in the client's `protocol` to `out`
// (RESP3: each key's flags are a set).
void commandGetkeysAndFlags(std::span<const std::string_view> argv, resp::Protocol protocol,
                            std::string& out);

}  // namespace shardis::proxy
