// BlockRun: one blocking command of one client (BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX,
// BZMPOP, BLMOVE, BRPOPLPUSH, XREAD/XREADGROUP with BLOCK), each involved server on a
// connection leased while it blocks (a shared connection would hold every request behind it).
//
//   one server     the command as it came; the server's reply is the client's
//   several        1. a non-blocking pass in the client's key order (LMPOP/ZMPOP for each run
//                     of consecutive keys on one server; XREAD without BLOCK on every
//                     server): the first key with data answers, as one Redis serves the first
//                     non-empty key (XREAD: every stream with data, in the client's order)
//                  2. none had data: the command, restricted to each server's keys, blocks on
//                     every server at once with the client's timeout. The first server to
//                     answer with data wins; the others are woken with CLIENT UNBLOCK (over
//                     the shared connection), and what they handed out meanwhile is put back
//                     (LPUSH/RPUSH/ZADD) on their own connection before it is given back
//
// Each lease starts with CLIENT ID, so that its blocked command can be woken. A connection is
// given back only once its blocking reply, its CLIENT UNBLOCK's reply and its put-back's are
// in: a late UNBLOCK never wakes the next holder. A client that leaves while blocked leaves
// its run to the pool (PoolRuntime::adopt): every server is woken, and an element that
// arrives for nobody is put back, not dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/reply_target.h"
#include "backend/server_pool.h"
#include "proxy/block_shape.h"

namespace shardis::proxy {

class PendingRequest;
struct ClientState;
struct PoolRuntime;

// Whether the client has hung up, seen before its hang-up is read: a popped element is then
// put back rather than written to nobody (ClientSession).
class HangupCheck {
 public:
  virtual bool clientHungUp() = 0;

 protected:
  ~HangupCheck() = default;
};

class BlockRun final : public backend::ReplyTarget {
 public:
  // `shape`: how to put back what the command hands out to nobody (none for BLMOVE,
  // BRPOPLPUSH, XREADGROUP, whose element stays in a list or pending entries list).
  BlockRun(PoolRuntime& pool, PendingRequest& pending, ClientState& client, HangupCheck& hangup,
           std::optional<BlockShape> shape);
  ~BlockRun();
  BlockRun(const BlockRun&) = delete;
  BlockRun& operator=(const BlockRun&) = delete;

  // The command on one server, as its bytes.
  void startOneServer(uint32_t server, std::string_view bytes);
  // Across servers (needs a shape): `key_servers` is the server of each key, in order.
  void startCrossServer(std::span<const std::string_view> argv,
                        std::span<const uint32_t> key_servers);
  // The client left: nothing more is answered; every server is woken and what arrives is put
  // back. The run may outlive the client (see PoolRuntime::adopt) until settled().
  void detach();
  // Every connection is given back: nothing of this run is left on any server.
  [[nodiscard]] bool settled() const;
  [[nodiscard]] bool answered() const { return pending_ == nullptr; }

  // backend::ReplyTarget
  void onReply(uint32_t part, const resp::Reply& reply) override;
  void onFailure(uint32_t part, std::string_view message) override;

 private:
  enum class Step : uint8_t { kClientId, kPass, kBlock, kPutBack, kUnblock };
  static constexpr uint32_t kSteps = 5;
  struct Slot {
    uint32_t server = 0;
    backend::Lease lease;
    std::vector<uint32_t> keys;  // key ordinals on this server, in the client's order
    std::string blocking;        // the command for its keys, made at the start
    std::deque<backend::Ticket> tickets;
    int64_t client_id = -1;     // the lease's id on the server (CLIENT ID)
    uint32_t owed = 0;          // replies still to come on the lease
    bool blocked = false;       // its blocking command is in flight
    bool unblock_owed = false;  // a CLIENT UNBLOCK for it is in flight
    bool broken = false;
  };

  Slot& slotFor(uint32_t server);
  [[nodiscard]] bool leaseAll();
  void send(Slot& slot, std::string_view bytes, Step step, uint64_t timeout_ms);
  void sendPass();
  void block();
  void onPassReply(std::string_view raw);
  void onBlockReply(Slot& slot, const resp::Reply& reply);
  void wakeOthers();
  void wake(Slot& slot);
  void answer(std::string_view raw);
  // Data for a client that has hung up goes back where it came from instead.
  [[nodiscard]] bool keptFromGoneClient(Slot& slot, std::string_view raw);
  void answerError(std::string_view message);
  void settle(Slot& slot);
  void putBack(Slot& slot, std::string_view raw);

  PoolRuntime& pool_;
  PendingRequest* pending_;
  ClientState& client_;
  HangupCheck& hangup_;
  std::optional<BlockShape> shape_;
  std::vector<Slot> slots_;
  // The non-blocking pass: runs of consecutive keys on one server, and where it is.
  struct Run {
    size_t slot;
    std::string request;  // the non-blocking form for the run's keys
  };
  std::vector<Run> runs_;
  size_t next_run_ = 0;
  uint32_t passes_owed_ = 0;                 // XREAD: every server's pass reply
  std::vector<std::string> stream_replies_;  // XREAD: each slot's pass reply
  bool detached_ = false;                    // the client left
};

}  // namespace shardis::proxy
