// ExecRun: one EXEC, run on the servers its transaction touches, each on a leased connection.
//
//   one server     MULTI, the queued parts, EXEC, sent back to back; the server's EXEC reply
//                  is the client's (rebuilt only when a local or merged command is in it)
//   several        phase 1: MULTI and the queued parts on every server; once every server
//                  has answered them all (QUEUED), phase 2: EXEC on every server. A part
//                  refused at queue time (or a server lost) before phase 2: DISCARD
//                  everywhere, so all parts run or none does
//   with WATCH     the watched server's EXEC goes first; if it aborts (a watched key
//                  changed: a null array), the others are discarded and EXEC answers null
//
// The client's EXEC reply is one array in its command order: each element the reply of its
// command, the parts of a split command merged as outside MULTI. Each server's part is atomic,
// the whole is not (README, "Transactions"). The reply goes to the client's PendingRequest as
// if it were one server's, so it keeps its place among the client's replies.
//
// Owned by the client's Transaction. The session abandons it when the client goes (its
// in-flight replies are cancelled and the connections given back with DISCARD queued, or
// closed); it never outlives the session.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "backend/reply_target.h"
#include "backend/server_pool.h"
#include "proxy/publish_fence.h"
#include "proxy/pubsub_registry.h"
#include "proxy/transaction.h"

namespace shardis::proxy {

class PendingRequest;
struct PoolRuntime;

class ExecRun final : public backend::ReplyTarget {
 public:
  // `watch`: WATCH's connection, if any (`watch_lost`: it closed after WATCH was sent).
  // `publishing`: the registry's ticket when a queued command is a PUBLISH, held until the
  // run ends.
  ExecRun(PoolRuntime& pool, std::vector<QueuedCommand> commands, backend::Lease watch,
          bool watch_lost, PendingRequest& pending, resp::Protocol protocol,
          PubSubRegistry::PublishTicket publishing);
  ~ExecRun();
  ExecRun(const ExecRun&) = delete;
  ExecRun& operator=(const ExecRun&) = delete;

  // Leases the connections and sends; what fails at once is answered at once.
  void start();
  // The client left: what is in flight is dropped, the connections are given back.
  void abandon();
  [[nodiscard]] bool finished() const { return phase_ == Phase::kFinished; }
  [[nodiscard]] bool crossServer() const { return slots_.size() > 1; }

  // backend::ReplyTarget
  void onReply(uint32_t part, const resp::Reply& reply) override;
  void onFailure(uint32_t part, std::string_view message) override;

 private:
  enum class Phase : uint8_t { kQueue, kWatchExec, kExec, kFinished };
  // One server of the transaction and its leased connection.
  struct Slot {
    uint32_t server = 0;
    backend::Lease lease;
    std::deque<backend::Ticket> tickets;  // one per request sent, stable addresses
    uint32_t queue_replies_left = 0;      // MULTI's and the parts' replies still to come
    uint32_t parts = 0;                   // queued parts: the elements EXEC should answer
    uint32_t sent = 0;                    // parts sent so far
    bool exec_sent = false;
    bool exec_done = false;
    bool broken = false;  // its connection failed: close it, never reuse it
    std::string exec_reply;
    std::vector<std::string_view> elements;  // into exec_reply
    size_t next_element = 0;
    // A command runs in the protocol it was reached in: where that is not the connection's,
    // a HELLO queued before it switches, and one at the end switches back. Their answers'
    // places in EXEC's array, which the client does not see.
    resp::Protocol current = resp::Protocol::kResp2;
    std::vector<size_t> switches;
  };

  void planSlots(uint32_t watch_server, bool watching);
  [[nodiscard]] size_t slotOf(uint32_t server) const;
  [[nodiscard]] bool send(Slot& slot, std::string_view bytes, uint32_t part);
  [[nodiscard]] bool sendPart(Slot& slot, const QueuedPart& part, resp::Protocol protocol);
  [[nodiscard]] bool switchProtocol(Slot& slot, resp::Protocol protocol);
  void sendExec(Slot& slot);
  void queueReplyIn();
  void execReplyIn(Slot& slot);
  [[nodiscard]] std::string assemble();
  void nextElement(std::string& out, uint32_t server);
  void mergeParts(std::string& out, QueuedCommand& command);
  void finish(const std::string& reply, TransactionEnd end);
  void finishError(std::string_view message);
  [[nodiscard]] std::string abortedReply() const;
  void giveBack(Slot& slot);

  PoolRuntime& pool_;
  std::vector<QueuedCommand> commands_;
  backend::Lease watch_;
  bool watch_lost_ = false;
  PendingRequest* pending_;
  resp::Protocol protocol_;  // the client's: the servers' EXEC arrays are copied as they come
  std::vector<Slot> slots_;
  size_t watch_slot_ = SIZE_MAX;
  bool needs_rebuild_ = false;  // a local or merged command: EXEC's array is rebuilt
  Phase phase_ = Phase::kQueue;
  std::string queue_error_;  // the first error a server gave at queue time
  // Held until the run ends: a PUBLISH in it is one in flight (publish_fence.h,
  // PubSubRegistry::leftUpstream()).
  PublishFence::Pass publishing_;
  PubSubRegistry::PublishTicket ticket_;
};

}  // namespace shardis::proxy
