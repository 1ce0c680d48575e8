#pragma once

// The keys of a command line with the access flags of each, as redis-server 7.0's COMMAND
// GETKEYSANDFLAGS finds them: the key specs first, and where they cannot say it (an
// incomplete or unknown spec, a bad numkeys, variable flags) the server's own getkeys
// procedure, whose flags are its own (often none). Called by the proxy's COMMAND
// GETKEYSANDFLAGS; routing uses findKeys (find_keys.cc), which refuses what the server's
// commands refuse rather than what its GETKEYS tolerates.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "command/command_table.h"

namespace shardis::command {

struct KeyWithFlags {
  uint32_t index;  // in argv
  uint16_t flags;  // KeyFlag bits
};

// Appends the keys of `argv` (argv[0] the command name, `spec` what resolve() gave, arity
// already checked) in the server's order. False when the server finds no key at all: its
// GETKEYSANDFLAGS then answers an empty array for a no_mandatory_keys command and an error
// for the others.
[[nodiscard]] bool keysWithFlags(const CommandSpec& spec, std::span<const std::string_view> argv,
                                 std::vector<KeyWithFlags>& keys);

// Redis's names of the KeyFlag bits, in the order COMMAND INFO and GETKEYSANDFLAGS give them.
[[nodiscard]] std::span<const std::string_view> keyFlagNames();

}  // namespace shardis::command
