// Commands the proxy answers itself (routing kLocal): PING, ECHO, QUIT, SELECT, AUTH, HELLO,
// COMMAND, CLIENT (names and ids), TIME, READONLY/READWRITE. INFO, CLIENT LIST/KILL/REPLY,
// CONFIG GET and SLOWLOG reach beyond one client: ClientSession answers them
// (session_commands.cc). Called by ClientSession after
// resolve, arity and the auth check; writes one RESP reply.
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
  bool quit = false;     // set by QUIT: close once this reply is written
  std::string name;      // CLIENT SETNAME
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  // Where the client is (addr, laddr, fd, age) is in the ClientRegistry only: no copy here.
  uint64_t last_active_ms = 0;
  std::string_view last_command = "NULL";  // the command table's name (static storage)
  // CLIENT REPLY: OFF silences every reply until ON; SKIP silences the next command's.
  bool replies_off = false;
  bool skip_next = false;
};

// The version HELLO reports: the Redis release whose command table the proxy follows.
inline constexpr std::string_view kRedisVersion = "7.0.0";

// True when the command was answered (`out` has the reply); false when the proxy has no local
// implementation of it (the caller refuses it).
bool runLocalCommand(const command::CommandSpec& spec, std::span<const std::string_view> argv,
                     const config::Pool& pool, ClientState& client, std::string& out);

// Whether a client that has not authenticated may run `spec`.
bool allowedBeforeAuth(const command::CommandSpec& spec);

// Redis's replies to an unknown command or subcommand.
std::string unknownCommandError(std::span<const std::string_view> argv);

}  // namespace shardis::proxy
