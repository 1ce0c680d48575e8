// Commands the proxy answers from the client's own state (routing kLocal): PING, ECHO, QUIT,
// SELECT, AUTH, HELLO, RESET, COMMAND, CLIENT (names and ids), TIME, READONLY/READWRITE. Their
// handlers are listed by clientStateHandlers() (command_handlers.h) and called by ClientSession
// after resolve, arity and the auth check; each writes one RESP reply. INFO, CLIENT
// LIST/KILL/REPLY, CONFIG GET and SLOWLOG reach beyond one client: session_commands.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "config/config.h"

namespace shardis::proxy {

// The per-client state local commands read and change.
struct ClientState {
  uint64_t id = 0;
  bool authenticated = false;
  bool quit = false;  // set by QUIT: close once this reply is written
  std::string name;   // CLIENT SETNAME
  // Where the client is (addr, laddr, fd, age) is in the ClientRegistry only: no copy here.
  uint64_t last_active_ms = 0;
  std::string_view last_command = "NULL";  // the command table's name (static storage)
  // CLIENT REPLY: OFF silences every reply until ON; SKIP silences the next command's.
  bool replies_off = false;
  bool skip_next = false;
};

// The version HELLO reports: the Redis release whose command table the proxy follows.
inline constexpr std::string_view kRedisVersion = "7.0.0";

// Runs a command answered from ClientState alone (its entry in command_handlers.h) outside a
// session. True when the command was answered (`out` has the reply); false when the proxy has
// no such handler for it.
bool runLocalCommand(const command::CommandSpec& spec, std::span<const std::string_view> argv,
                     const config::Pool& pool, ClientState& client, std::string& out);

// Redis's replies to an unknown command or subcommand.
std::string unknownCommandError(std::span<const std::string_view> argv);

}  // namespace shardis::proxy
