// The proxy's command table: for every command and subcommand of command/command_table.h, how
// the proxy handles it, indexed by the id stats already gives each command
// (stats::commandId). Built once on first use from the command table and the handler lists
// of the units that answer commands (local_commands.cc, admin_commands.cc, dispatcher.cc);
// read-only afterwards, so every worker shares it without a lock. The session resolves a request's
// name once, takes its entry by index, and from there on never compares the name again.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "config/config.h"
#include "proxy/merger.h"
#include "proxy/request.h"
#include "stats/command_index.h"

namespace shardis::proxy {

class AdminHost;
class Dispatcher;
struct ClientState;
struct CommandEntry;

// What the proxy does with a command.
enum class RouteClass : uint8_t {
  kLocal,       // answered by the proxy: the entry's handler
  kForwarded,   // one key: sent to that key's server as it came
  kSameServer,  // keys that must share a server (else -CROSSSLOT), sent to it
  kSplit,       // keys grouped per server when they do not share one: the handler splits
  kAllServers,  // every server of the pool: the handler sends and merges
  kPinned,      // the stateful layer: its handler (MULTI/EXEC/WATCH, blocking commands,
                // pub/sub), or refused (MONITOR)
  kRefused,     // refused with the entry's refusal
};

// One call of a handler: the request, the client it came from, and where its reply goes.
struct CommandCall {
  const CommandEntry& entry;
  Request& request;
  const config::Pool& pool;
  ClientState& client;
  std::string& out;  // a local command's reply, written when the handler returns
  // The caller's dispatcher and session; null when run outside a session (unit tests).
  Dispatcher* dispatcher = nullptr;
  AdminHost* admin = nullptr;
  bool answered = false;  // the handler replied itself or sent the request on: `out` unused
  bool in_exec = false;   // run by EXEC, queued since MULTI: the reply must go to `out` now
};

using CommandHandler = void (*)(CommandCall& call);

struct CommandEntry {
  const command::CommandSpec* spec = nullptr;  // null for the unknown-command id
  RouteClass route = RouteClass::kRefused;
  bool has_merge = false;
  MergeKind merge{};  // kSplit and kAllServers: how the parts' replies become one
  CommandHandler handler = nullptr;
  bool needs_session = false;         // the handler uses CommandCall::dispatcher or admin
  bool before_auth = false;           // may run before AUTH
  bool changes_client_state = false;  // may change ClientState (name, auth, reply mode ...)
  // Runs on a connection of its own (EXEC, WATCH): dispatched only once every earlier reply
  // is written, and the client's later requests wait for its reply (ClientSession::holdInput).
  bool own_connection = false;
  // XREAD, XREADGROUP: own_connection only with BLOCK (command::routingOf says kPinned).
  bool blocks_with_option = false;
  // Runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET).
  bool runs_in_multi = false;
  bool resets_client = false;  // RESET: ends any transaction and watch too
  // EXEC: refused (arity), it ends the transaction with -EXECABORT, as in Redis.
  bool discards_when_refused = false;
  // A local command that can wait in a transaction and run at EXEC: its handler answers at
  // once. Not INFO, whose handler asks every server.
  bool queueable = true;
  // Allowed in subscribed mode (RESP2): (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET.
  bool allowed_when_subscribed = false;
  // PUBLISH, SPUBLISH: routed by their channel, their receivers corrected (pubsub_merger.h).
  bool publishes = false;
  // PUBSUB's subcommands that ask every server (not HELP): merged (pubsub_merger.h).
  bool queries_pubsub = false;
  std::string refusal;  // kRefused, kPinned: the error reply without its '-'
};

// A handler as a unit registers it, by the command table's name ("client|setname").
struct NamedHandler {
  std::string_view name;
  CommandHandler handler;
  bool changes_client_state = false;
  bool answers_later = false;  // sends to servers itself: not queueable in a transaction
};

// The handler lists the table is built from.
std::span<const NamedHandler> clientStateHandlers();  // local_commands.cc: ClientState only
std::span<const NamedHandler> sessionHandlers();      // admin_commands.cc: need the session
// dispatcher.cc: how split and whole-keyspace commands are sent.
CommandHandler splitHandler();
CommandHandler fanOutHandler();
CommandHandler scanHandler();  // SCAN: its cursor names the one server it goes to
std::span<const NamedHandler> allServersHandlers();  // the fan-outs with rules of their own
// dispatcher_transaction.cc: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
std::span<const NamedHandler> transactionHandlers();
// dispatcher_blocking.cc: BLPOP, BRPOP, BLMOVE ... on a leased connection.
std::span<const NamedHandler> blockingHandlers();
// dispatcher_pubsub.cc: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
std::span<const NamedHandler> pubsubHandlers();
// dispatcher_tracking.cc: CLIENT TRACKING, TRACKINGINFO, GETREDIR, CACHING.
std::span<const NamedHandler> trackingHandlers();

// The entry of `id` (valid for every id below stats::commandCount()).
[[nodiscard]] const CommandEntry& commandEntry(stats::CommandId id);
// Every entry, by id; the last is the unknown-command id's.
[[nodiscard]] std::span<const CommandEntry> commandEntries();

}  // namespace shardis::proxy
