// Dispatcher: what the proxy does with one decoded request of one client. Resolves the command
// once, takes its entry from the command table (command_handlers.h) by index, checks arity and
// AUTH, then answers it (a local handler), refuses it, or sends it on: to one server
// (forwarded), split over several (split), or to every server (whole-keyspace). Each call gets
// its Request explicitly; nothing of a request is kept here between two requests. Owned by the
// client's ClientSession, which it calls back (not virtually) to reply and to queue a request
// that waits for servers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "proxy/block_run.h"
#include "proxy/client_state.h"
#include "proxy/client_tracking.h"
#include "proxy/command_handlers.h"
#include "proxy/fanout.h"
#include "proxy/merger.h"
#include "proxy/pubsub_client.h"
#include "proxy/request.h"
#include "proxy/transaction.h"
#include "proxy/wait_run.h"
#include "stats/counters.h"

namespace shardis::proxy {

class AdminHost;
class ClientSession;
struct PoolRuntime;
struct SharedState;

class Dispatcher {
 public:
  Dispatcher(ClientSession& session, AdminHost& admin, PoolRuntime& pool, SharedState& shared,
             ClientState& client)
      : session_(session), admin_(admin), pool_(pool), shared_(shared), client_(client) {}
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  ~Dispatcher();

  // A decoded, non-empty request: `request.argv`, `raw` and `is_inline` are set. False when
  // it was not dispatched: it runs on a connection of its own and replies are still owed, so
  // the session holds it (and the input after it) until they are written.
  [[nodiscard]] bool dispatch(Request& request);
  // The client is gone: its transaction is dropped and its leased connections given back.
  void clientGone();
  // CLIENT LIST's multi=: commands queued since MULTI, -1 outside a transaction.
  [[nodiscard]] int64_t queuedInMulti() const;
  // CLIENT LIST's multi-mem=: what the queued commands keep (their bytes and parts).
  [[nodiscard]] size_t transactionMemory() const;
  // CLIENT LIST's sub=, psub= and ssub=.
  void subscriptionCounts(size_t& channels, size_t& patterns, size_t& shard_channels) const;
  // CLIENT LIST's flags t (tracking) and B (BCAST), and redir=.
  [[nodiscard]] bool tracking() const { return tracking_ && tracking_->on(); }
  [[nodiscard]] bool trackingBcast() const { return tracking_ && tracking_->bcast(); }

  // Sends one request per part to parts[p]: the splitter's part p when given, else `bytes` to
  // each. `merger` makes the client's reply.
  void sendParts(const Request& request, std::span<const uint32_t> parts,
                 std::unique_ptr<Merger> merger, std::string_view bytes,
                 const Splitter* splitter = nullptr);
  void reject(Request& request, stats::ProxyError kind, std::string_view message);
  void replyError(Request& request, std::string_view message);
  // The pool this client's requests go to (handlers of their own unit: function_commands.cc).
  PoolRuntime& poolRuntime() { return pool_; }

  // The handlers of split and whole-keyspace commands, and of transactions
  // (command_handlers.h).
  struct RoutingHandlers;
  struct TransactionHandlers;
  struct BlockingHandlers;
  struct PubSubHandlers;
  struct TrackingHandlers;

 private:
  using Argv = std::span<const std::string_view>;

  void route(const CommandEntry& entry, command::Routing routing, Request& request);
  void rejectArity(const CommandEntry& entry, Request& request);
  void rejectInSubscribedMode(const CommandEntry& entry, Request& request);
  void runLocal(const CommandEntry& entry, Request& request);
  void runHandler(const CommandEntry& entry, Request& request);
  void forward(const CommandEntry& entry, command::Routing routing, Request& request);
  void sendTo(const Request& request, uint32_t server, std::string_view bytes);
  // The connection the client's ordinary requests to `server` ride: its own when it tracks
  // keys (client_tracking.h), else the shared one of its protocol.
  backend::ServerConnection& connectionOf(uint32_t server);
  void split(const CommandEntry& entry, Request& request);
  void fanOut(const CommandEntry& entry, Request& request);
  void wait(Request& request);
  void scan(Request& request);
  // The queue entry of a request whose reply comes from `parts` server replies (joined by
  // `merger` when several), or from a run that answers as one server would (EXEC, WATCH,
  // a blocking command).
  PendingRequest& awaitReply(const Request& request, uint32_t parts = 1,
                             std::unique_ptr<Merger> merger = nullptr);
  // The request as the server gets it: an inline one re-encoded as a multibulk.
  std::string_view serverBytes(const Request& request);
  // SCAN's request for the server its cursor names; false for a bad cursor.
  [[nodiscard]] bool scanRequest(Argv argv, ScanCursor& at, uint32_t& server);
  [[nodiscard]] bool readsFromReplica(const CommandEntry& entry) const;

  // Transactions (dispatcher_transaction.cc).
  [[nodiscard]] bool inMulti() const { return transaction_ && transaction_->open; }
  Transaction& transaction();
  void multi(CommandCall& call);
  void exec(CommandCall& call);
  void discard(CommandCall& call);
  void watch(CommandCall& call);
  void unwatch(CommandCall& call);
  void queue(const CommandEntry& entry, command::Routing routing, Request& request);
  [[nodiscard]] std::string planQueued(const CommandEntry& entry, command::Routing routing,
                                       const Request& request, QueuedCommand& command);
  [[nodiscard]] std::string planKeyed(const CommandEntry& entry, command::Routing routing,
                                      const Request& request, QueuedCommand& command);
  [[nodiscard]] std::string planAllServers(const CommandEntry& entry, const Request& request,
                                           QueuedCommand& command);
  void runQueuedLocal(QueuedCommand& command);
  // The placement the transaction was routed by is no longer the pool's (Transaction::routed_by).
  [[nodiscard]] bool placementChanged(const Transaction& tx) const;
  // A blocking command, on a connection leased while it blocks (dispatcher_blocking.cc).
  void block(const CommandEntry& entry, Request& request);
  // The last blocking command goes: freed when settled, else left to the pool to finish.
  void retireBlockRun(bool client_gone);
  void endTransaction();

  // Pub/sub (dispatcher_pubsub.cc).
  PubSubClient& pubsubClient();
  void subscribe(CommandCall& call, SubKind kind);
  void unsubscribe(CommandCall& call, SubKind kind);
  void publish(CommandCall& call, SubKind kind);
  // PUBSUB NUMSUB, SHARDNUMSUB, CHANNELS, SHARDCHANNELS, NUMPAT.
  void pubsubQuery(CommandCall& call);
  // The server a channel lives on: where a key of the same name would, ejections aside.
  [[nodiscard]] uint32_t channelServer(std::string_view channel);
  // Leaves every subscription (RESET, the client gone).
  void leaveSubscriptions(bool client_gone);
  // PUBLISH and SPUBLISH inside MULTI: queued for their channel's server.
  [[nodiscard]] std::string planPublish(const Request& request, QueuedCommand& command);
  // PUBSUB's queries ask every server; the merger that answers from their replies, outside
  // MULTI and in EXEC's array alike. `subcommand` is the table's name ("pubsub|numsub").
  std::unique_ptr<Merger> pubsubQueryMerger(std::string_view subcommand, Argv argv);
  // PUBSUB's queries inside MULTI: queued for every server, merged as outside.
  [[nodiscard]] std::string planPubsubQuery(const CommandEntry& entry, const Request& request,
                                            QueuedCommand& command);

  // Client-side caching (dispatcher_tracking.cc).
  void clientTracking(CommandCall& call);
  // CLIENT TRACKINGINFO, GETREDIR, CACHING: the client's connection to the first server,
  // which holds the same tracking state as every other, answers.
  void askTrackingState(CommandCall& call);

  ClientSession& session_;
  AdminHost& admin_;
  PoolRuntime& pool_;
  SharedState& shared_;
  ClientState& client_;
  std::unique_ptr<Transaction> transaction_;  // from the first MULTI or WATCH on
  std::unique_ptr<BlockRun> blocked_;         // the last blocking command, until it settles
  std::unique_ptr<PubSubClient> pubsub_;      // from the first subscription on
  std::unique_ptr<WaitRun> waiting_;          // the last WAIT (done once the next one comes)
  std::unique_ptr<ClientTracking> tracking_;  // from the first CLIENT TRACKING ON
};

}  // namespace shardis::proxy
