// Commands the proxy answers from the client's own state (routing kLocal): PING, ECHO, QUIT,
// SELECT, AUTH, HELLO, RESET, COMMAND, CLIENT (names and ids), TIME, READONLY/READWRITE. Their
// handlers are listed by clientStateHandlers() (command_handlers.h) and called by ClientSession
// after resolve, arity and the auth check; each writes one RESP reply. INFO, CLIENT
// LIST/KILL/REPLY, CONFIG GET and SLOWLOG reach beyond one client: admin_commands.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "config/config.h"
#include "proxy/client_state.h"

namespace shardis::proxy {

// The version HELLO and INFO report when no server told its own: the Redis release whose
// command table the proxy follows.
inline constexpr std::string_view kRedisVersion = "7.0.0";

// HELLO's map (a flat array in RESP2) for client `id`, with `version` as the servers'.
void appendHelloReply(std::string_view version, uint64_t id, resp::Protocol protocol,
                      std::string& out);

// Runs a command answered from ClientState alone (its entry in command_handlers.h) outside a
// session. True when the command was answered (`out` has the reply); false when the proxy has
// no such handler for it.
bool runLocalCommand(const command::CommandSpec& spec, std::span<const std::string_view> argv,
                     const config::Pool& pool, ClientState& client, std::string& out);

// Redis's replies to an unknown command or subcommand.
std::string unknownCommandError(std::span<const std::string_view> argv);

}  // namespace shardis::proxy
