#include "proxy/pending_queue.h"

namespace shardis::proxy {

PendingRequest::~PendingRequest() { cancel(); }

void PendingRequest::complete(std::string reply) {
  reply_ = std::move(reply);
  parts_waiting_ = 0;
}

void PendingRequest::expect(uint32_t parts, std::unique_ptr<Merger> merger) {
  first_ticket_ = backend::Ticket{};
  // Only a split request needs more tickets: a single-server one allocates nothing here.
  more_tickets_.assign(parts > 1 ? parts - 1 : 0, backend::Ticket{});
  parts_waiting_ = parts;
  merger_ = std::move(merger);
}

void PendingRequest::cancel() {
  first_ticket_.cancel();
  for (backend::Ticket& ticket : more_tickets_) ticket.cancel();
}

void PendingRequest::onReply(uint32_t part, const resp::Reply& reply) {
  if (merger_) {
    merger_->onPartReply(part, reply);
  } else if (parts_waiting_ == 1 && listener_.writeNow(*this, reply.raw)) {
    written = true;
  } else {
    reply_.assign(reply.raw);
  }
  partDone(part);
}

bool PendingRequest::canStream(uint32_t /*part*/) {
  return !merger_ && parts_waiting_ == 1 && listener_.canWriteNow(*this);
}

void PendingRequest::onReplyChunk(uint32_t part, std::string_view bytes, bool last) {
  streamed_ = true;
  if (!last) return listener_.writePiece(*this, bytes);
  if (listener_.writeNow(*this, bytes)) written = true;
  partDone(part);
}

void PendingRequest::onFailure(uint32_t part, std::string_view message) {
  if (streamed_) {
    ticket(part).connection = nullptr;
    return listener_.onReplyBroken(*this);
  }
  if (merger_) {
    merger_->onPartFailure(part, message);
  } else {
    reply_.clear();
    reply_.append("-").append(message).append("\r\n");
  }
  partDone(part);
}

void PendingRequest::partDone(uint32_t part) {
  // The connection has forgotten this request; a later cancel() must not touch its slot.
  ticket(part).connection = nullptr;
  if (parts_waiting_ == 0 || --parts_waiting_ > 0) return;
  if (merger_) merger_->finish(reply_);
  listener_.onRequestComplete(*this);
}

void PendingQueue::cancelAll() {
  for (PendingRequest& entry : entries_) entry.cancel();
}

}  // namespace shardis::proxy
