// BlockingRun: one blocking command (BLPOP, BRPOP, BLMOVE, BZPOPMIN, XREAD ... BLOCK ...) of one
// client, on a connection leased for as long as it blocks. A shared connection cannot carry
// it: every request queued behind it, other clients' too, would wait for it. The server's own
// timeout applies (the command's argument, 0 = forever); the proxy adds none. When the reply
// comes the connection goes back to the pool's idle list for the next lease. A client that
// leaves while blocked has its connection closed, which unblocks it on the server, so no
// element is popped for a client that is gone.
#pragma once

#include <string_view>

#include "backend/reply_target.h"
#include "backend/server_pool.h"

namespace shardis::proxy {

class PendingRequest;
struct ClientState;

class BlockingRun final : public backend::ReplyTarget {
 public:
  // `client` is in SessionMode::kBlocked until the reply comes.
  BlockingRun(backend::Lease lease, PendingRequest& pending, ClientState& client);
  ~BlockingRun();
  BlockingRun(const BlockingRun&) = delete;
  BlockingRun& operator=(const BlockingRun&) = delete;

  // Sends the command; false when it could not be (the pending request has its error).
  bool send(std::string_view bytes);
  // The client left: the connection is closed with the command on it.
  void abandon();
  [[nodiscard]] bool finished() const { return pending_ == nullptr; }

  // backend::ReplyTarget
  void onReply(uint32_t part, const resp::Reply& reply) override;
  void onFailure(uint32_t part, std::string_view message) override;

 private:
  void end();

  backend::Lease lease_;
  PendingRequest* pending_;
  ClientState& client_;
  backend::Ticket ticket_;
};

}  // namespace shardis::proxy
