// Transaction: one client's MULTI ... EXEC and its WATCH (issue 14).
//
// The proxy queues a transaction itself: after MULTI each command is checked (unknown, arity,
// flags, routing) and answered +QUEUED or the error Redis would give at queue time, and is
// kept, already routed, as the parts it will send: one part for a command on one server, one
// per server for a split command (MGET, MSET, DEL ... whose keys span servers) with the Merger
// that joins their replies, one per server for a whole-keyspace one (DBSIZE, KEYS ...). A local
// command (PING, ECHO, SELECT ...) keeps its arguments and runs when EXEC does. Nothing is
// sent to a server before EXEC, and no connection is held: EXEC leases one connection per
// server the transaction touches (ExecRun, exec_run.h) and gives them back when its reply is
// in. WATCH is the exception: it runs at once, on a leased connection that the transaction
// keeps until EXEC, DISCARD, UNWATCH or RESET, so that its watch lives on the connection
// that EXEC's MULTI then runs on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_pool.h"
#include "proxy/merger.h"
#include "stats/command_index.h"

namespace shardis::proxy {

class ExecRun;
struct PoolTopology;

// One server's share of a queued command: the bytes it sends there.
struct QueuedPart {
  uint32_t server = 0;
  std::string bytes;
};

struct QueuedCommand {
  stats::CommandId command_id = 0;
  bool local = false;
  std::vector<std::string> argv;   // a local command's arguments, run at EXEC
  std::string reply;               // a local command's reply, made at EXEC
  std::vector<QueuedPart> parts;   // a server command's parts, in the client's key order
  std::unique_ptr<Merger> merger;  // joins the parts' replies; null for a single part
  bool publishes = false;          // a PUBLISH: its EXEC holds a PubSubRegistry ticket
  // The protocol it runs in: the client's when EXEC reaches it (a queued HELLO changes it).
  resp::Protocol protocol = resp::Protocol::kResp2;
};

// Why EXEC did not commit: what the stats count.
enum class TransactionEnd : uint8_t { kCommitted, kAborted, kDiscarded };

struct Transaction {
  Transaction() = default;
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool open = false;   // between MULTI and EXEC/DISCARD/RESET
  bool dirty = false;  // a command was refused at queue time: EXEC answers EXECABORT
  // The topology its commands were routed by (from its first WATCH, else from MULTI): EXEC
  // refuses to run them, or to trust a watch, on the servers of an older placement once a
  // reload or failover has changed it.
  std::shared_ptr<const PoolTopology> routed_by;
  std::vector<QueuedCommand> queued;
  uint64_t queued_bytes = 0;  // counted against client_queue_limit
  // WATCH's connection, kept until the transaction ends, and the server's key count on it.
  backend::Lease watch;
  // What the watch connection had lost when WATCH was sent (ServerConnection::closes()): a
  // connection lost since has lost the watch with it.
  uint64_t watch_closes = 0;
  // The EXEC running on the servers, if any; finished ones are freed lazily.
  std::unique_ptr<ExecRun> running;

  // Ends MULTI: the queue is dropped, the watch stays (EXEC, DISCARD take it too).
  void closeQueue();
  // Gives the watch connection back with UNWATCH queued on it.
  void unwatch();
};

}  // namespace shardis::proxy
