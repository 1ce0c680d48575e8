// FUNCTION LOAD over every server of a pool, so that a library is on every server or on
// none (issue 13 item 9). The other FUNCTION subcommands are plain fan-outs with the mergers
// of function_merger.h.
//
//   FUNCTION LOAD [REPLACE] code ──► every server ──► all loaded: the library's name
//                                                 └─► all failed: the error (as one server
//                                                     words it when they all agree)
//                                                 └─► some loaded, some failed: undo, then
//                                                     the first failure, naming its server
//
// Undo: without REPLACE, FUNCTION DELETE <name> to the servers that loaded it, and to those
// that did not answer (a timeout may hide a load); where it failed with an error, what was
// there before stays. With REPLACE the old code is gone from the servers
// that loaded the new one and cannot be put back, so the library is deleted from every
// server: FCALL then fails loudly everywhere rather than running two versions of it.
//
// The DELETEs go on this client's own connections to those servers before its reply is
// written, so every later request of the client sees them done; a DELETE that fails is
// logged. Other clients may see the library on some servers in between, as during any LOAD.
#pragma once

#include <span>

#include "proxy/command_handlers.h"

namespace shardis::proxy {

// The all-servers handlers of the FUNCTION family ("function|load").
std::span<const NamedHandler> functionHandlers();

}  // namespace shardis::proxy
