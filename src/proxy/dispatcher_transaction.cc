// The Dispatcher's transactions: MULTI, the queueing of what follows it, EXEC, DISCARD, WATCH
// and UNWATCH (transaction.h says how a transaction is kept, exec_run.h how EXEC runs).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "proxy/client_session.h"
#include "proxy/exec_run.h"
#include "proxy/router.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
// Sharding's own reason (README, "Transactions"): the queued commands went to servers that
// no longer hold their keys.
constexpr std::string_view kExecAbortMoved =
    "EXECABORT Transaction discarded because the pool's servers changed while it was queued "
    "(a reload or a failover); nothing ran";

std::string notInMultiError(std::string_view name) {
  return "ERR '" + std::string(name) + "' inside MULTI is not supported by this proxy";
}

}  // namespace

Transaction::~Transaction() = default;

void Transaction::closeQueue() {
  open = false;
  dirty = false;
  routed_by.reset();
  queued.clear();
  queued_bytes = 0;
}

void Transaction::unwatch() {
  if (watch) watch.release(backend::LeaseEnd::kUnwatch);
}

Transaction& Dispatcher::transaction() {
  if (!transaction_) transaction_ = std::make_unique<Transaction>();
  // An EXEC that has answered is freed here, on the client's next transaction command.
  if (transaction_->running && transaction_->running->finished()) transaction_->running.reset();
  return *transaction_;
}

int64_t Dispatcher::queuedInMulti() const {
  return inMulti() ? static_cast<int64_t>(transaction_->queued.size()) : -1;
}

size_t Dispatcher::transactionMemory() const {
  if (!inMulti()) return 0;
  size_t bytes = transaction_->queued.capacity() * sizeof(QueuedCommand);
  for (const QueuedCommand& command : transaction_->queued) {
    for (const std::string& arg : command.argv) bytes += arg.capacity();
    for (const QueuedPart& part : command.parts)
      bytes += sizeof(QueuedPart) + part.bytes.capacity();
  }
  return bytes;
}

void Dispatcher::clientGone() {
  retireBlockRun(true);
  waiting_.reset();
  leaveSubscriptions(true);
  if (!transaction_) return;
  if (transaction_->open) ++pool_.counters().transactions_discarded;
  transaction_->closeQueue();
  transaction_->unwatch();
  if (transaction_->running) transaction_->running->abandon();
}

// DISCARD and RESET: the queue and the watch go, as in Redis.
void Dispatcher::endTransaction() {
  if (!transaction_) return;
  if (transaction_->open) ++pool_.counters().transactions_discarded;
  transaction_->closeQueue();
  transaction_->unwatch();
  if (client_.mode == SessionMode::kTransaction) client_.mode = SessionMode::kNormal;
}

void Dispatcher::multi(CommandCall& call) {
  if (inMulti()) return resp::appendError(call.out, "ERR MULTI calls can not be nested");
  Transaction& tx = transaction();
  tx.open = true;
  // A watched transaction is bound to the placement its WATCH was routed by.
  if (!tx.watch) tx.routed_by = pool_.topology;
  client_.mode = SessionMode::kTransaction;
  ++pool_.counters().transactions_started;
  resp::appendStatus(call.out, "OK");
}

void Dispatcher::discard(CommandCall& call) {
  if (!inMulti()) return resp::appendError(call.out, "ERR DISCARD without MULTI");
  endTransaction();
  resp::appendStatus(call.out, "OK");
}

void Dispatcher::unwatch(CommandCall& call) {
  if (transaction_) transaction_->unwatch();
  resp::appendStatus(call.out, "OK");
}

// WATCH runs at once on a leased connection to its keys' server, which the transaction keeps:
// EXEC's MULTI runs on the same connection, so the server checks the watch itself. Keys on
// several servers cannot be watched together (no optimistic lock spans servers).
void Dispatcher::watch(CommandCall& call) {
  Request& request = call.request;
  if (inMulti()) return resp::appendError(call.out, "ERR WATCH inside MULTI is not allowed");
  Route route =
      pool_.router.route(*call.entry.spec, command::Routing::kSameServerKeys, request.argv, pool_);
  Transaction& tx = transaction();
  if (route.kind == Route::Kind::kServer && tx.watch && tx.watch.server() != route.server) {
    route = Route{Route::Kind::kError, 0, crossSlotError()};
  }
  if (route.kind != Route::Kind::kServer) {
    if (route.kind == Route::Kind::kSeveralServers) route.error = crossSlotError();
    pool_.counters().countError(stats::ProxyError::kCrossSlot);
    request.rejected = true;
    return resp::appendError(call.out, route.error);
  }
  if (!tx.watch) {
    tx.watch = pool_.serverPool().lease(route.server, client_.protocol);
    if (!tx.watch) {
      return resp::appendError(call.out, "ERR max_leased_connections reached for server " +
                                             pool_.serverName(route.server));
    }
    tx.watch_closes = tx.watch.connection().closes();
    tx.routed_by = pool_.topology;
  }
  call.answered = true;
  PendingRequest& pending = awaitReply(request);
  pending.server = route.server;
  backend::ServerConnection& connection = tx.watch.connection();
  if (!connection.send(serverBytes(request), &pending, 0, pending.ticket(0),
                       pool_.requestTimeoutMs())) {
    pool_.counters().countError(stats::ProxyError::kBackendDown);
    tx.unwatch();
    return pending.onFailure(0, connection.lastError());
  }
  session_.holdInput();
}

void Dispatcher::exec(CommandCall& call) {
  Request& request = call.request;
  if (!inMulti()) return resp::appendError(call.out, "ERR EXEC without MULTI");
  Transaction& tx = transaction();
  client_.mode = SessionMode::kNormal;
  if (tx.dirty) {
    endTransaction();
    return resp::appendError(call.out, kExecAbort);
  }
  if (placementChanged(tx)) {
    endTransaction();
    return resp::appendError(call.out, kExecAbortMoved);
  }
  std::vector<QueuedCommand> commands = std::move(tx.queued);
  tx.closeQueue();
  // The watch was checked when EXEC began, in Redis: a queued UNWATCH does not undo it.
  backend::Lease watch = std::move(tx.watch);
  bool watch_lost = watch && watch.connection().closes() != tx.watch_closes;
  bool to_servers = static_cast<bool>(watch);
  for (QueuedCommand& command : commands) {
    command.protocol = client_.protocol;
    if (command.local) runQueuedLocal(command);
    to_servers |= !command.parts.empty();
  }
  if (!to_servers) {
    // Only local commands: the array is made here, and nothing is leased.
    ++pool_.counters().transactions_committed;
    resp::appendArrayHeader(call.out, commands.size());
    for (const QueuedCommand& command : commands) call.out += command.reply;
    return;
  }
  call.answered = true;
  PendingRequest& pending = awaitReply(request);
  PubSubRegistry::PublishTicket ticket;
  if (std::any_of(commands.begin(), commands.end(),
                  [](const QueuedCommand& command) { return command.publishes; })) {
    ticket = shared_.pubsub(pool_.index).publishing();
  }
  tx.running = std::make_unique<ExecRun>(pool_, std::move(commands), std::move(watch), watch_lost,
                                         pending, client_.protocol, std::move(ticket));
  session_.holdInput();
  tx.running->start();
}

// Only what goes to servers can be misplaced: a transaction of local commands still runs.
bool Dispatcher::placementChanged(const Transaction& tx) const {
  if (!tx.routed_by || tx.routed_by->samePlacement(*pool_.topology)) return false;
  if (tx.watch) return true;
  return std::any_of(tx.queued.begin(), tx.queued.end(),
                     [](const QueuedCommand& command) { return !command.parts.empty(); });
}

// A local command queued in MULTI runs when EXEC does, its reply taking its place.
void Dispatcher::runQueuedLocal(QueuedCommand& command) {
  std::vector<std::string_view> argv(command.argv.begin(), command.argv.end());
  Request request;
  request.argv = argv;
  request.command_id = command.command_id;
  const CommandEntry& entry = commandEntry(command.command_id);
  CommandCall call{entry, request, pool_.config(), client_, command.reply, this, &admin_};
  call.in_exec = true;
  entry.handler(call);
  if (entry.changes_client_state) shared_.registry.rename(client_.id, client_.name);
}

// After MULTI: +QUEUED, or the error Redis gives at queue time (which makes EXEC abort).
void Dispatcher::queue(const CommandEntry& entry, command::Routing routing, Request& request) {
  Transaction& tx = *transaction_;
  QueuedCommand command;
  command.command_id = request.command_id;
  std::string error = planQueued(entry, routing, request, command);
  if (!error.empty()) return reject(request, stats::ProxyError::kUnsupported, error);
  const uint64_t limit = shared_.config.process.client_queue_limit;
  tx.queued_bytes += request.bytes + backend::kRequestOverhead;
  if (limit != 0 && tx.queued_bytes > limit) {
    return reject(request, stats::ProxyError::kUnsupported,
                  "ERR transaction too large: its queued commands exceed client_queue_limit");
  }
  tx.queued.push_back(std::move(command));
  std::string bytes;
  resp::appendStatus(bytes, "QUEUED");
  session_.reply(request, std::move(bytes));
}

std::string Dispatcher::planQueued(const CommandEntry& entry, command::Routing routing,
                                   const Request& request, QueuedCommand& command) {
  const command::CommandSpec& spec = *entry.spec;
  if (spec.hasFlag(command::kNoMulti)) return "ERR Command not allowed inside a transaction";
  switch (entry.route) {
    case RouteClass::kRefused:
      return entry.refusal;
    case RouteClass::kLocal:
    case RouteClass::kPinned:
      if (entry.publishes) return planPublish(request, command);
      if (entry.queries_pubsub) return planPubsubQuery(entry, request, command);
      // Blocking commands do not block inside MULTI: queued on their keys' server.
      if (entry.route == RouteClass::kPinned && spec.hasFlag(command::kBlocking)) {
        return planKeyed(entry, routing, request, command);
      }
      if (entry.handler != nullptr) {
        if (!entry.queueable) return notInMultiError(spec.name);
        command.local = true;
        command.argv.assign(request.argv.begin(), request.argv.end());
        return {};
      }
      return notInMultiError(spec.name);
    case RouteClass::kAllServers:
      return planAllServers(entry, request, command);
    case RouteClass::kForwarded:
    case RouteClass::kSameServer:
    case RouteClass::kSplit:
      return planKeyed(entry, routing, request, command);
  }
  return notInMultiError(spec.name);
}

std::string Dispatcher::planKeyed(const CommandEntry& entry, command::Routing routing,
                                  const Request& request, QueuedCommand& command) {
  Route route = pool_.router.route(*entry.spec, routing, request.argv, pool_);
  if (route.kind == Route::Kind::kError) return route.error;
  if (route.kind == Route::Kind::kServer) {
    command.parts.push_back(QueuedPart{route.server, std::string(serverBytes(request))});
    return {};
  }
  Splitter& splitter = pool_.splitter;
  if (!entry.has_merge || !splitter.split(request.argv, pool_.router.keyIndexes(),
                                          pool_.router.keyServers(), pool_.serverCount())) {
    return std::string(kOutOfMemoryError);
  }
  for (size_t p = 0; p < splitter.parts(); ++p) {
    command.parts.push_back(
        QueuedPart{splitter.partServer(p), std::string(splitter.partRequest(p))});
  }
  command.merger = makeMerger(entry.merge, pool_, splitter.partServers(), splitter.keyParts());
  splitter.releaseLarge();
  return {};
}

// A whole-keyspace command inside MULTI: its request on every server (SCAN: on its cursor's),
// merged as outside. WAIT does not wait inside MULTI, as in Redis.
std::string Dispatcher::planAllServers(const CommandEntry& entry, const Request& request,
                                       QueuedCommand& command) {
  if (entry.handler == scanHandler()) {
    ScanCursor at;
    uint32_t server = 0;
    if (!scanRequest(request.argv, at, server)) return "ERR invalid cursor";
    command.parts.push_back(QueuedPart{server, pool_.request_scratch});
    command.merger = makeScanMerger(pool_, server, at, pool_.every_server.size());
    return {};
  }
  if (!entry.has_merge) return notInMultiError(entry.spec->name);
  std::string_view bytes = serverBytes(request);
  for (uint32_t server : pool_.every_server)
    command.parts.push_back(QueuedPart{server, std::string(bytes)});
  command.merger = makeMerger(entry.merge, pool_, pool_.every_server);
  return {};
}

struct Dispatcher::TransactionHandlers {
  static void multi(CommandCall& call) { call.dispatcher->multi(call); }
  static void exec(CommandCall& call) { call.dispatcher->exec(call); }
  static void discard(CommandCall& call) { call.dispatcher->discard(call); }
  static void watch(CommandCall& call) { call.dispatcher->watch(call); }
  static void unwatch(CommandCall& call) { call.dispatcher->unwatch(call); }
};

namespace {
constexpr NamedHandler kTransactionHandlers[] = {
    {"multi", Dispatcher::TransactionHandlers::multi},
    {"exec", Dispatcher::TransactionHandlers::exec},
    {"discard", Dispatcher::TransactionHandlers::discard},
    {"watch", Dispatcher::TransactionHandlers::watch},
    {"unwatch", Dispatcher::TransactionHandlers::unwatch},
};
}  // namespace

std::span<const NamedHandler> transactionHandlers() { return kTransactionHandlers; }

}  // namespace shardis::proxy
