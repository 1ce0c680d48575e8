#include "proxy/command_handlers.h"

#include <utility>
#include <vector>

#include "proxy/function_commands.h"
#include "proxy/router.h"

namespace shardis::proxy {

namespace {

// How the parts of each split or whole-keyspace command merge.
constexpr std::pair<std::string_view, MergeKind> kMergeKinds[] = {
    {"del", MergeKind::kSum},
    {"unlink", MergeKind::kSum},
    {"exists", MergeKind::kSum},
    {"touch", MergeKind::kSum},
    {"dbsize", MergeKind::kSum},
    {"mset", MergeKind::kAllOk},
    {"flushdb", MergeKind::kAllOk},
    {"flushall", MergeKind::kAllOk},
    {"script|flush", MergeKind::kAllOk},
    {"mget", MergeKind::kMget},
    {"keys", MergeKind::kConcat},
    {"randomkey", MergeKind::kRandomKey},
    {"script|load", MergeKind::kSameString},
    {"script|exists", MergeKind::kAllOnes},
    {"wait", MergeKind::kMin},
    {"lastsave", MergeKind::kMin},
    {"script|kill", MergeKind::kKill},
    {"function|kill", MergeKind::kKill},
    {"function|delete", MergeKind::kFunctionOk},
    {"function|flush", MergeKind::kFunctionOk},
    {"function|restore", MergeKind::kFunctionOk},
    {"function|list", MergeKind::kFunctionList},
    {"function|dump", MergeKind::kFunctionDump},
    {"function|stats", MergeKind::kFunctionStats},
};

RouteClass routeClassOf(command::Routing routing) {
  switch (routing) {
    case command::Routing::kLocal:
      return RouteClass::kLocal;
    case command::Routing::kSingleKey:
      return RouteClass::kForwarded;
    case command::Routing::kSameServerKeys:
      return RouteClass::kSameServer;
    case command::Routing::kSplit:
      return RouteClass::kSplit;
    case command::Routing::kAllServers:
      return RouteClass::kAllServers;
    case command::Routing::kPinned:
      return RouteClass::kPinned;
    case command::Routing::kUnsupported:
      return RouteClass::kRefused;
  }
  return RouteClass::kRefused;
}

const NamedHandler* findHandler(std::span<const NamedHandler> list, std::string_view name) {
  for (const NamedHandler& named : list) {
    if (named.name == name) return &named;
  }
  return nullptr;
}

void setHandler(CommandEntry& entry, const NamedHandler& named, bool needs_session) {
  entry.handler = named.handler;
  entry.changes_client_state = named.changes_client_state;
  entry.needs_session = needs_session;
  entry.queueable = !named.answers_later;
}

// What a command does inside MULTI other than being queued, and whether it may run in
// subscribed mode (Redis's processCommand).
void setTransactionRole(CommandEntry& entry) {
  constexpr std::string_view kRunAtOnce[] = {"multi", "exec", "discard", "watch", "quit", "reset"};
  constexpr std::string_view kOwnConnection[] = {"exec", "watch", "wait"};
  std::string_view name = entry.spec->name;
  for (std::string_view each : kRunAtOnce) entry.runs_in_multi |= each == name;
  for (std::string_view each : kOwnConnection) entry.own_connection |= each == name;
  entry.resets_client = name == "reset";
  entry.discards_when_refused = name == "exec";
  entry.blocks_with_option = name == "xread" || name == "xreadgroup";
  constexpr std::string_view kWhenSubscribed[] = {"subscribe",   "psubscribe",   "ssubscribe",
                                                  "unsubscribe", "punsubscribe", "sunsubscribe",
                                                  "ping",        "quit",         "reset"};
  for (std::string_view each : kWhenSubscribed) entry.allowed_when_subscribed |= each == name;
}

void setMerge(CommandEntry& entry) {
  for (const auto& [name, kind] : kMergeKinds) {
    if (name != entry.spec->name) continue;
    entry.has_merge = true;
    entry.merge = kind;
  }
}

void setLocalHandler(CommandEntry& entry) {
  std::string_view name = entry.spec->name;
  if (const NamedHandler* named = findHandler(clientStateHandlers(), name)) {
    return setHandler(entry, *named, false);
  }
  if (const NamedHandler* named = findHandler(sessionHandlers(), name)) {
    return setHandler(entry, *named, true);
  }
}

// A split or whole-keyspace command is sent by the handler only when its parts can merge.
void setRemoteHandler(CommandEntry& entry) {
  setMerge(entry);
  if (const NamedHandler* named = findHandler(allServersHandlers(), entry.spec->name)) {
    return setHandler(entry, *named, true);
  }
  if (const NamedHandler* named = findHandler(functionHandlers(), entry.spec->name)) {
    return setHandler(entry, *named, true);
  }
  if (!entry.has_merge) return;
  entry.handler = entry.route == RouteClass::kSplit ? splitHandler() : fanOutHandler();
  entry.needs_session = true;
}

CommandEntry makeEntry(const command::CommandSpec& spec) {
  CommandEntry entry;
  entry.spec = &spec;
  entry.route = routeClassOf(spec.routing);
  // QUIT is not flagged no-auth, but Redis lets an unauthenticated client hang up.
  entry.before_auth = spec.hasFlag(command::kNoAuth) || spec.name == "quit";
  switch (entry.route) {
    case RouteClass::kLocal:
      setLocalHandler(entry);
      break;
    case RouteClass::kSplit:
    case RouteClass::kAllServers:
      setRemoteHandler(entry);
      break;
    case RouteClass::kPinned:
      if (const NamedHandler* named = findHandler(transactionHandlers(), spec.name)) {
        setHandler(entry, *named, true);
      } else if (const NamedHandler* blocking = findHandler(blockingHandlers(), spec.name)) {
        setHandler(entry, *blocking, true);
        entry.own_connection = true;
      } else if (const NamedHandler* pubsub = findHandler(pubsubHandlers(), spec.name)) {
        setHandler(entry, *pubsub, true);
        entry.publishes = spec.name == "publish" || spec.name == "spublish";
        entry.queries_pubsub = spec.name.starts_with("pubsub|");
      } else if (const NamedHandler* tracking = findHandler(trackingHandlers(), spec.name)) {
        setHandler(entry, *tracking, true);
        // Its connections leased and the command sent only once every earlier reply is in,
        // so that no earlier request overtakes it on them.
        entry.own_connection = spec.name == "client|tracking";
      } else {
        entry.refusal = notSupportedError(spec.name);
      }
      break;
    case RouteClass::kRefused:
      entry.refusal = spec.unsupported_reason.empty()
                          ? notSupportedError(spec.name)
                          : "ERR " + std::string(spec.unsupported_reason);
      break;
    case RouteClass::kForwarded:
    case RouteClass::kSameServer:
      break;
  }
  setTransactionRole(entry);
  return entry;
}

// Entries in id order: the ids follow allCommands(), each container's subcommands after it.
std::vector<CommandEntry> buildEntries() {
  std::vector<CommandEntry> entries(stats::commandCount());
  auto add = [&](const command::CommandSpec& spec) {
    entries[stats::commandId(&spec)] = makeEntry(spec);
  };
  for (const command::CommandSpec& spec : command::allCommands()) {
    add(spec);
    for (const command::CommandSpec& sub : spec.subcommands) add(sub);
  }
  return entries;  // the unknown id's entry stays kRefused: its error names the request
}

const std::vector<CommandEntry>& entries() {
  static const std::vector<CommandEntry> built = buildEntries();
  return built;
}

}  // namespace

const CommandEntry& commandEntry(stats::CommandId id) { return entries()[id]; }

std::span<const CommandEntry> commandEntries() { return entries(); }

}  // namespace shardis::proxy
