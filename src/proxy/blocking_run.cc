#include "proxy/blocking_run.h"

#include <string>
#include <utility>

#include "proxy/client_state.h"
#include "proxy/pending_queue.h"

namespace shardis::proxy {

BlockingRun::BlockingRun(backend::Lease lease, PendingRequest& pending, ClientState& client)
    : lease_(std::move(lease)), pending_(&pending), client_(client) {
  client_.mode = SessionMode::kBlocked;
}

BlockingRun::~BlockingRun() { abandon(); }

bool BlockingRun::send(std::string_view bytes) {
  backend::ServerConnection& connection = lease_.connection();
  // No deadline: the command's own timeout is the server's to keep.
  if (connection.send(bytes, this, 0, ticket_, 0)) return true;
  const std::string message = connection.lastError();
  end();
  lease_.release(backend::LeaseEnd::kAbandoned);
  std::exchange(pending_, nullptr)->onFailure(0, message);
  return false;
}

void BlockingRun::end() { client_.mode = SessionMode::kNormal; }

// The reply goes to the client first, then the connection back to the pool: writing the reply
// may close the client, whose abandon() then finds this run finished and does nothing.
void BlockingRun::onReply(uint32_t /*part*/, const resp::Reply& reply) {
  if (finished()) return;
  end();
  backend::Lease lease = std::move(lease_);
  std::exchange(pending_, nullptr)->onReply(0, reply);
  lease.release(backend::LeaseEnd::kClean);
}

void BlockingRun::onFailure(uint32_t /*part*/, std::string_view message) {
  if (finished()) return;
  end();
  backend::Lease lease = std::move(lease_);
  lease.release(backend::LeaseEnd::kAbandoned);
  std::exchange(pending_, nullptr)->onFailure(0, message);
}

void BlockingRun::abandon() {
  if (finished()) return;
  pending_ = nullptr;
  ticket_.cancel();
  if (lease_) lease_.release(backend::LeaseEnd::kAbandoned);
}

}  // namespace shardis::proxy
