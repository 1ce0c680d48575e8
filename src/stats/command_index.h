// CommandIndex: a small integer id for every command and subcommand of the command table, so
// that a worker's per-command counters are a plain vector indexed by id.
//
// Ids follow allCommands() (sorted by name); a container's subcommands come right after it.
// The names are Redis 7's commandstats names: "get", "client|setname".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shardis::command {
struct CommandSpec;
}

namespace shardis::stats {

using CommandId = uint16_t;

// Id of `spec` (a pointer from command::lookup()/resolve()); O(1), allocation-free. A spec
// that is not in the table (never expected) gets kUnknownCommand.
[[nodiscard]] CommandId commandId(const command::CommandSpec* spec);
// Number of ids; valid ids are 0 .. commandCount() - 1, kUnknownCommand is the last.
[[nodiscard]] size_t commandCount();
[[nodiscard]] std::string_view commandName(CommandId id);

// Counts requests whose name is not in the table (they are refused before any routing).
inline constexpr std::string_view kUnknownCommandName = "unknown";
[[nodiscard]] CommandId unknownCommandId();

}  // namespace shardis::stats
