#pragma once

// The HELP subcommands of CLIENT, CONFIG, COMMAND and PUBSUB: redis-server 7.0's own help text,
// line for line, keeping only the subcommands the proxy answers or forwards (the command table says
// which). Called from the local-command code (local_commands.cc); SLOWLOG HELP is the slow log's
// (stats/slow_log.cc).

#include <string>

#include "command/command_table.h"

namespace shardis::proxy {

// Appends the HELP reply for `spec` ("client|help", "config|help", "command|help" or
// "pubsub|help"); false,
// with nothing appended, for any other command.
bool appendHelp(const command::CommandSpec& spec, std::string& out);

}  // namespace shardis::proxy
