// The Mergers of split and whole-keyspace commands: each turns its parts' replies into the one
// reply the client gets. A PendingRequest owns its Merger and feeds it every part's reply or
// failure, then asks for the result once all parts are in (see pending_queue.h).
//
// Failure rule, for every merger: the first part that failed or answered with an error makes
// the whole reply one error naming that server, "-ERR server s2: Connection refused" or, with
// the server's own error code kept first, "-READONLY server s2: You can't write against a
// read only replica."; the other parts may have run. A merge that cannot allocate what the
// parts sent answers kOutOfMemoryError (pending_queue.h) instead, and the proxy keeps serving.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/fanout.h"
#include "proxy/pending_queue.h"

namespace shardis::proxy {

// The pool's servers by index, for naming a failing one (PoolRuntime; a list in tests).
class ServerNames {
 public:
  virtual const std::string& serverName(uint32_t server) const = 0;
  virtual size_t serverCount() const = 0;

 protected:
  ~ServerNames() = default;
};

// A command's kind is in its entry of the proxy's command table (command_handlers.h).
enum class MergeKind : uint8_t {
  kSum,         // DEL, UNLINK, EXISTS, TOUCH, DBSIZE: the sum of the integers
  kAllOk,       // MSET, FLUSHDB, FLUSHALL, SCRIPT FLUSH: +OK when every part said OK
  kMget,        // MGET: the parts' elements put back in the client's key order
  kConcat,      // KEYS: every part's elements, one array
  kRandomKey,   // RANDOMKEY: one of the non-null answers, picked at random
  kSameString,  // SCRIPT LOAD: the answer every part gave (they must agree)
  kAllOnes,     // SCRIPT EXISTS: 1 per position only where every part said 1
  kMin,         // WAIT, LASTSAVE: the smallest integer (what holds for every server)
  kKill,        // SCRIPT KILL, FUNCTION KILL: OK if one server killed, else NOTBUSY
  // FUNCTION subcommands (function_merger.h): an error every server gave is the reply as is.
  kFunctionOk,     // FUNCTION DELETE, FLUSH, RESTORE: +OK when every server said OK
  kFunctionList,   // FUNCTION LIST: every server must list the same libraries
  kFunctionDump,   // FUNCTION DUMP: every payload must hold the same libraries
  kFunctionStats,  // FUNCTION STATS: the same engines everywhere, the longest-running script
};

// "-BUSY ...\r\n" from `server_name` as the client gets it: "BUSY server s1: ..." (no '-').
std::string serverError(std::string_view server_name, std::string_view raw);

// `part_servers`: the server of each part. `key_parts` (kMget only): the part of each key, in
// the client's order.
std::unique_ptr<Merger> makeMerger(MergeKind kind, const ServerNames& servers,
                                   std::span<const uint32_t> part_servers,
                                   std::span<const uint32_t> key_parts = {});

// SCAN over one server, `server` (a slot) at `at` (its position in a live list of
// `server_count`): rewrites the server's cursor into the client cursor that continues with the
// next server of the list once this one is done.
std::unique_ptr<Merger> makeScanMerger(const ServerNames& servers, uint32_t server,
                                       const ScanCursor& at, size_t server_count);

// The base of the mergers: records the first failure, hands good replies to merge().
class PartMerger : public Merger {
 public:
  PartMerger(const ServerNames& servers, std::span<const uint32_t> part_servers)
      : servers_(servers), part_servers_(part_servers.begin(), part_servers.end()) {}

  void onPartReply(uint32_t part, const resp::Reply& reply) final;
  void onPartFailure(uint32_t part, std::string_view message) final;
  void finish(std::string& reply) final;

 protected:
  // A part's non-error reply; `reply.raw` is valid only during the call.
  virtual void merge(uint32_t part, const resp::Reply& reply) = 0;
  virtual void build(std::string& reply) = 0;
  // Frees what the merge holds, once it will not be built (an error) or has been.
  virtual void release() {}
  // The part's reply was not of the shape this command gives.
  void unexpected(uint32_t part);
  uint32_t serverOf(uint32_t part) const { return part_servers_[part]; }

 private:
  const ServerNames& servers_;
  std::vector<uint32_t> part_servers_;
  // An allocation failed: the reply becomes kOutOfMemoryError.
  void outOfMemory();
  std::string error_;
};

}  // namespace shardis::proxy
