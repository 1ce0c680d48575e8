// ClientSession's backpressure, as TCP gives it in front of Redis itself: while the client's
// own queue is over client_queue_limit, or a server connection it sent to is over
// server_queue_limit, the client is not read (what is left of the read in hand is still
// dispatched), and it is read again once each is back under half of its limit. Every request
// in the queue counts, with what the proxy keeps for it. A connection that fails answers what
// was queued on it, which wakes its waiters too: a client waits only for servers it sent to,
// and never for good.
#include <algorithm>
#include <vector>

#include "proxy/client_session.h"
#include "proxy/shared_state.h"

namespace shardis::proxy {

PendingRequest& ClientSession::enqueue(const Request& request) {
  PendingRequest& pending = queue_.push();
  pending.queued_bytes = request.bytes + backend::kRequestOverhead;
  queued_bytes_ += pending.queued_bytes;
  uint64_t limit = shared_.config.process.client_queue_limit;
  if (limit != 0 && queued_bytes_ >= limit) {
    over_queue_limit_ = true;
    pauseReading();
  }
  return pending;
}

// A reply written: its request leaves the queue.
void ClientSession::dequeued(const PendingRequest& request) {
  queued_bytes_ -= request.queued_bytes;
  if (over_queue_limit_ && queued_bytes_ <= shared_.config.process.client_queue_limit / 2) {
    over_queue_limit_ = false;
    resumeReading();
  }
}

void ClientSession::waitFor(backend::ServerConnection& connection) {
  if (std::find(waiting_on_.begin(), waiting_on_.end(), &connection) == waiting_on_.end()) {
    waiting_on_.push_back(&connection);
    connection.waitForRoom(*this);
  }
  pauseReading();
}

void ClientSession::onQueueRoom(backend::ServerConnection& connection) {
  std::erase(waiting_on_, &connection);
  resumeReading();
}

void ClientSession::forgetQueueWaits() {
  for (backend::ServerConnection* connection : waiting_on_) connection->stopWaiting(*this);
  waiting_on_.clear();
}

void ClientSession::pauseReading() {
  if (read_paused_ || readsDropped()) return;
  read_paused_ = true;
  stream_->stopReading();
}

// After QUIT or a protocol error nothing more is dispatched, so nothing holds reads back any
// more: they are read and dropped. A drain stopped reading for good.
void ClientSession::resumeReading() {
  if (!read_paused_ || retired() || lifecycle_ == Lifecycle::kDraining) return;
  if (lifecycle_ == Lifecycle::kOpen &&
      (over_queue_limit_ || !waiting_on_.empty() || heldTooMuch())) {
    return;
  }
  read_paused_ = false;
  if (stream_->startReading() != 0) close();
}

}  // namespace shardis::proxy
