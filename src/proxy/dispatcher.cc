#include "proxy/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>
#include <vector>

#include "proxy/client_session.h"
#include "proxy/local_commands.h"
#include "proxy/router.h"
#include "proxy/shared_state.h"
#include "proxy/wait_limit.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

bool Dispatcher::dispatch(Request& request) {
  Argv argv = request.argv;
  const command::CommandSpec* spec = command::resolve(argv);
  request.command_id = stats::commandId(spec);
  const CommandEntry& entry = commandEntry(request.command_id);
  const bool own_connection =
      entry.own_connection || (entry.blocks_with_option && spec != nullptr &&
                               command::routingOf(*spec, argv) == command::Routing::kPinned);
  // Queued inside MULTI, it runs with EXEC: no order to keep now.
  const bool queued = inMulti() && !entry.runs_in_multi;
  if (own_connection && !queued && !session_.nothingOwed()) {
    session_.holdInput();
    return false;
  }
  if (pool_.worker.counting()) ++pool_.counters().requests;
  request.silent = client_.takeReplySilence();
  client_.last_active_ms = request.received_ns / 1000000;
  if (spec == nullptr) {
    reject(request, stats::ProxyError::kUnsupported, unknownCommandError(argv));
    return true;
  }
  if (!command::arityOk(*spec, argv.size())) {
    rejectArity(entry, request);
    return true;
  }
  if (!client_.authenticated && !entry.before_auth) {
    reject(request, stats::ProxyError::kAuth, "NOAUTH Authentication required.");
    return true;
  }
  // RESP3 carries messages as pushes, so a RESP3 subscriber may run any command (Redis 7).
  if (client_.mode == SessionMode::kSubscribed && client_.protocol == resp::Protocol::kResp2 &&
      !entry.allowed_when_subscribed) {
    rejectInSubscribedMode(entry, request);
    return true;
  }
  client_.last_command = spec->name;
  command::Routing routing = command::routingOf(*spec, argv);
  if (inMulti() && !entry.runs_in_multi) {
    queue(entry, routing, request);
    return true;
  }
  route(entry, routing, request);
  return true;
}

// Redis's words; a refused EXEC discards the transaction and says so, as for any refusal.
void Dispatcher::rejectInSubscribedMode(const CommandEntry& entry, Request& request) {
  std::string error = "Can't execute '" + std::string(entry.spec->name) +
                      "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                      "allowed in this context";
  request.rejected = true;
  if (!entry.discards_when_refused) return replyError(request, "ERR " + error);
  endTransaction();
  replyError(request, "EXECABORT Transaction discarded because of: " + error);
}

void Dispatcher::rejectArity(const CommandEntry& entry, Request& request) {
  std::string error =
      "wrong number of arguments for '" + std::string(entry.spec->name) + "' command";
  if (!entry.discards_when_refused) {
    return reject(request, stats::ProxyError::kUnsupported, "ERR " + error);
  }
  // Redis's quirk: a refused EXEC discards the transaction (and the watch) and says so.
  endTransaction();
  reject(request, stats::ProxyError::kUnsupported,
         "EXECABORT Transaction discarded because of: " + error);
}

void Dispatcher::route(const CommandEntry& entry, command::Routing routing, Request& request) {
  // Anything but a read that reaches a server (a write, a script, a transaction, a blocking
  // command) keeps this client's later reads on the servers themselves (read_from).
  if (entry.route != RouteClass::kLocal && (entry.spec->flags & command::kReadonly) == 0) {
    client_.wrote = true;
  }
  // XREAD and XREADGROUP with BLOCK block whatever their entry says.
  if (routing == command::Routing::kPinned && entry.route != RouteClass::kPinned) {
    return block(entry, request);
  }
  switch (entry.route) {
    case RouteClass::kLocal:
      return runLocal(entry, request);
    case RouteClass::kPinned:
      if (entry.handler != nullptr) return runLocal(entry, request);
      return reject(request, stats::ProxyError::kUnsupported, entry.refusal);
    case RouteClass::kRefused:
      return reject(request, stats::ProxyError::kUnsupported, entry.refusal);
    case RouteClass::kAllServers:
      return runHandler(entry, request);
    case RouteClass::kForwarded:
    case RouteClass::kSameServer:
    case RouteClass::kSplit:
      return forward(entry, routing, request);
  }
}

void Dispatcher::runLocal(const CommandEntry& entry, Request& request) {
  if (entry.handler == nullptr) {
    return reject(request, stats::ProxyError::kUnsupported, notSupportedError(entry.spec->name));
  }
  std::string bytes;
  CommandCall call{entry, request, pool_.config(), client_, bytes, this, &admin_};
  entry.handler(call);
  if (entry.resets_client) {
    if (tracking_) tracking_->reset();
    endTransaction();
    leaveSubscriptions(false);
    session_.setSubscribed(false);
  }
  // Before the reply, which HELLO sends later: other workers' CLIENT LIST reads the registry.
  if (entry.changes_client_state) shared_.registry.rename(client_.id, client_.name);
  if (call.answered) return;
  session_.reply(request, std::move(bytes), client_.quit);
}

// A split or whole-keyspace command's handler: it sends the request on, or refuses it.
void Dispatcher::runHandler(const CommandEntry& entry, Request& request) {
  if (entry.handler == nullptr) {
    return reject(request, stats::ProxyError::kUnsupported, severalServersError(entry.spec->name));
  }
  std::string unused;
  CommandCall call{entry, request, pool_.config(), client_, unused, this, &admin_};
  entry.handler(call);
}

void Dispatcher::forward(const CommandEntry& entry, command::Routing routing, Request& request) {
  Route route = pool_.router.route(*entry.spec, routing, request.argv, pool_);
  if (route.kind == Route::Kind::kError) {
    bool crossed = route.error.starts_with("CROSSSLOT");
    if (crossed) pool_.counters().countError(stats::ProxyError::kCrossSlot);
    request.rejected = crossed;
    return replyError(request, route.error);
  }
  if (shared_.config.process.hotkeys && pool_.worker.counting()) {
    for (uint32_t i : pool_.router.keyIndexes())
      pool_.worker.stats().recordKey(pool_.index, request.argv[i]);
  }
  if (route.kind == Route::Kind::kSeveralServers) return runHandler(entry, request);
  uint32_t server = route.server;
  if (readsFromReplica(entry)) server = pool_.readSlot(server);
  sendTo(request, server, serverBytes(request));
}

// read_from: a read-only command goes to a replica unless this client has sent a write on
// this connection (it reads its own writes from the server that took them) or tracks keys
// (its invalidations come from the servers it reads from).
bool Dispatcher::readsFromReplica(const CommandEntry& entry) const {
  return pool_.readsFromReplicas() && !client_.wrote && !tracking_ &&
         (entry.spec->flags & command::kReadonly) != 0;
}

PendingRequest& Dispatcher::awaitReply(const Request& request, uint32_t parts,
                                       std::unique_ptr<Merger> merger) {
  PendingRequest& pending = session_.enqueue(request);
  pending.expect(parts, std::move(merger));
  pending.silent = request.silent;
  pending.command_id = request.command_id;
  pending.received_ns = request.received_ns;
  if (request.log_arguments) pending.arguments.assign(request.argv.begin(), request.argv.end());
  return pending;
}

std::string_view Dispatcher::serverBytes(const Request& request) {
  if (!request.is_inline) return request.raw;
  // Inline requests follow Redis's quoting rules; the server gets the decoded arguments.
  pool_.request_scratch.clear();
  resp::appendCommand(pool_.request_scratch, request.argv);
  return pool_.request_scratch;
}

backend::ServerConnection& Dispatcher::connectionOf(uint32_t server) {
  if (tracking_) {
    if (backend::ServerConnection* own = tracking_->connection(server, client_.protocol)) {
      return *own;
    }
  }
  return pool_.serverPool().connectionFor(server, client_.id, client_.protocol);
}

void Dispatcher::sendTo(const Request& request, uint32_t server, std::string_view bytes) {
  PendingRequest& pending = awaitReply(request);
  pending.server = server;
  backend::ServerConnection& connection = connectionOf(server);
  if (!connection.send(bytes, &pending, 0, pending.ticket(0), pool_.requestTimeoutMs())) {
    pool_.counters().countError(stats::ProxyError::kBackendDown);
    pending.onFailure(0, connection.lastError());
  } else if (connection.full()) {
    session_.waitFor(connection);
  }
}

// A request on several servers rides on the same connections as the client's single-server
// requests, so each part keeps its order with them (a client reads its own writes).
void Dispatcher::sendParts(const Request& request, std::span<const uint32_t> parts,
                           std::unique_ptr<Merger> merger, std::string_view bytes,
                           const Splitter* splitter) {
  PendingRequest& pending =
      awaitReply(request, static_cast<uint32_t>(parts.size()), std::move(merger));
  pending.part_servers.assign(parts.begin(), parts.end());
  // A part refused at once completes synchronously; only the last one can complete the
  // request (and pop it), so `pending` is not touched after the loop.
  for (uint32_t p = 0; p < parts.size(); ++p) {
    backend::ServerConnection& connection = connectionOf(parts[p]);
    if (!connection.send(splitter != nullptr ? splitter->partRequest(p) : bytes, &pending, p,
                         pending.ticket(p), pool_.requestTimeoutMs())) {
      pool_.counters().countError(stats::ProxyError::kBackendDown);
      pending.onFailure(p, connection.lastError());
    } else if (connection.full()) {
      session_.waitFor(connection);
    }
  }
}

// MGET, MSET, DEL ... whose keys landed on several servers: one sub-command per server.
void Dispatcher::split(const CommandEntry& entry, Request& request) {
  Splitter& splitter = pool_.splitter;
  if (!splitter.split(request.argv, pool_.router.keyIndexes(), pool_.router.keyServers(),
                      pool_.serverCount())) {
    spdlog::warn("client {}: out of memory splitting a {} over servers", client_.id,
                 entry.spec->name);
    return replyError(request, kOutOfMemoryError);
  }
  ++pool_.counters().split_commands;
  pool_.counters().fragments += splitter.parts();
  sendParts(request, splitter.partServers(),
            makeMerger(entry.merge, pool_, splitter.partServers(), splitter.keyParts()), {},
            &splitter);
  splitter.releaseLarge();  // the connections copied their parts
}

// Whole-keyspace commands: the request as it came, to every server of the pool.
void Dispatcher::fanOut(const CommandEntry& entry, Request& request) {
  sendParts(request, pool_.every_server, makeMerger(entry.merge, pool_, pool_.every_server),
            serverBytes(request));
}

// WAIT: every server, each on a lease of its own (wait_run.h says why that still counts the
// client's writes).
void Dispatcher::wait(Request& request) {
  WaitCheck wait = checkWait(request.argv);
  if (!wait.error.empty()) return replyError(request, wait.error);
  PendingRequest& pending = awaitReply(request);
  pending.part_servers.assign(pool_.every_server.begin(), pool_.every_server.end());
  waiting_ = std::make_unique<WaitRun>(pool_, pending, client_);
  session_.holdInput();
  waiting_->start(serverBytes(request), wait.timeout_ms);
}

// SCAN: the client's cursor names the server to ask and that server's own cursor.
void Dispatcher::scan(Request& request) {
  ScanCursor at;
  uint32_t server = 0;
  if (!scanRequest(request.argv, at, server)) {
    request.rejected = true;
    return replyError(request, "ERR invalid cursor");
  }
  sendParts(request, std::span<const uint32_t>(&server, 1),
            makeScanMerger(pool_, server, at, pool_.every_server.size()), pool_.request_scratch);
}

// Writes into the pool's request scratch the SCAN its cursor's server gets; `at` is the
// cursor and `server` the slot at its position in the live list.
bool Dispatcher::scanRequest(Argv argv, ScanCursor& at, uint32_t& server) {
  std::optional<ScanCursor> cursor =
      ScanCursor::decode(argv[1], pool_.every_server.size(), pool_.listEpoch());
  if (!cursor) return false;
  std::array<char, 24> digits{};
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), cursor->cursor);
  std::vector<std::string_view>& args = pool_.argv_scratch;
  args.assign(argv.begin(), argv.end());
  args[1] = std::string_view(digits.data(), static_cast<size_t>(end - digits.data()));
  pool_.request_scratch.clear();
  resp::appendCommand(pool_.request_scratch, args);
  at = *cursor;
  server = pool_.every_server[cursor->server];
  return true;
}

// Refused: inside MULTI, as Redis flags the transaction, EXEC will answer EXECABORT.
void Dispatcher::reject(Request& request, stats::ProxyError kind, std::string_view message) {
  if (inMulti()) transaction_->dirty = true;
  pool_.counters().countError(kind);
  request.rejected = true;
  replyError(request, message);
}

void Dispatcher::replyError(Request& request, std::string_view message) {
  std::string bytes;
  resp::appendError(bytes, message);
  session_.reply(request, std::move(bytes));
}

struct Dispatcher::RoutingHandlers {
  static void split(CommandCall& call) { call.dispatcher->split(call.entry, call.request); }
  static void fanOut(CommandCall& call) { call.dispatcher->fanOut(call.entry, call.request); }
  static void scan(CommandCall& call) { call.dispatcher->scan(call.request); }
  static void wait(CommandCall& call) { call.dispatcher->wait(call.request); }
};

namespace {
constexpr NamedHandler kAllServersHandlers[] = {
    {"scan", Dispatcher::RoutingHandlers::scan},
    {"wait", Dispatcher::RoutingHandlers::wait},
};
}  // namespace

CommandHandler splitHandler() { return Dispatcher::RoutingHandlers::split; }
CommandHandler fanOutHandler() { return Dispatcher::RoutingHandlers::fanOut; }
CommandHandler scanHandler() { return Dispatcher::RoutingHandlers::scan; }
std::span<const NamedHandler> allServersHandlers() { return kAllServersHandlers; }

}  // namespace shardis::proxy
