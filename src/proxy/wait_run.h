// WaitRun: WAIT numreplicas timeout, on every server of the pool, each on a connection leased
// while it waits, so that it holds no other client's requests (issue 15).
//
// WAIT counts the replicas that acknowledged a replication offset the server keeps per
// connection: where the stream stood after that connection's last command (redis-server
// 7.0.15, checked; a server that moved it only on replicated writes is served alike). The
// client's writes rode its shared connections, not the lease. So each lease first sends
// SPUBLISH on a shard channel of the proxy's own (kWaitMarker): Redis replicates it like a
// write, which moves the lease's offset to the server's latest under either rule, past every
// write the client made before WAIT (the session dispatches WAIT only once every earlier
// reply is in). Nothing subscribes to that channel, no pattern matches a shard channel, and
// no key changes. The client's reply is the smallest count over the servers, as a write may
// have gone to any of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/reply_target.h"
#include "backend/server_pool.h"

namespace shardis::proxy {

class PendingRequest;
struct ClientState;
struct PoolRuntime;

// SPUBLISH's channel, and the payload nobody reads.
inline constexpr std::string_view kWaitMarker =
    "*3\r\n$8\r\nSPUBLISH\r\n$17\r\n__shardis__:wait:\r\n$0\r\n\r\n";

class WaitRun final : public backend::ReplyTarget {
 public:
  WaitRun(PoolRuntime& pool, PendingRequest& pending, ClientState& client);
  // The client gone before the answer: the leases are closed (which ends their WAITs).
  ~WaitRun();
  WaitRun(const WaitRun&) = delete;
  WaitRun& operator=(const WaitRun&) = delete;

  // `wait`: the WAIT as the servers get it; `timeout_ms`: its timeout (0 = forever).
  void start(std::string_view wait, uint64_t timeout_ms);
  [[nodiscard]] bool answered() const { return pending_ == nullptr; }

  // backend::ReplyTarget
  void onReply(uint32_t part, const resp::Reply& reply) override;
  void onFailure(uint32_t part, std::string_view message) override;

 private:
  enum Step : uint32_t { kMarker = 0, kWait = 1, kSteps = 2 };
  struct Slot {
    uint32_t server = 0;  // the pool's server (a live slot of the topology) this one waits on
    backend::Lease lease;
    backend::Ticket tickets[kSteps];
    uint32_t owed = 0;
    bool broken = false;
  };
  // `index` is the position in slots_; parts are index * kSteps + step.
  void send(uint32_t index, std::string_view bytes, Step step, uint64_t timeout_ms);
  void partDone(uint32_t part);
  void answer(std::string_view raw);

  PoolRuntime& pool_;
  PendingRequest* pending_;
  ClientState& client_;
  std::vector<Slot> slots_;  // by server
  uint32_t waits_owed_ = 0;  // WAIT replies still to come
  int64_t fewest_ = INT64_MAX;
  std::string error_;  // the first error, which is then the reply
};

}  // namespace shardis::proxy
