#include "proxy/pending_queue.h"

#include <memory>
#include <new>
#include <utility>

#include "proxy/heap_bytes.h"

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
  } else if (parts_waiting_ == 1 && listener_->writeNow(*this, reply.raw)) {
    written = true;
  } else {
    keepReply(reply.raw);
  }
  partDone(part);
}

// A reply that waits behind earlier ones is copied, however large: one that cannot be
// allocated becomes an error in its place.
void PendingRequest::keepReply(std::string_view raw) {
  try {
    reply_.assign(raw);
  } catch (const std::bad_alloc&) {
    std::string().swap(reply_);
    reply_.append("-").append(kOutOfMemoryError).append("\r\n");
  }
}

bool PendingRequest::canStream(uint32_t /*part*/) {
  return !merger_ && parts_waiting_ == 1 && listener_->canWriteNow(*this);
}

void PendingRequest::onReplyChunk(uint32_t part, std::string_view bytes, bool last) {
  streamed_ = true;
  if (!last) return listener_->writePiece(*this, bytes);
  if (listener_->writeNow(*this, bytes)) written = true;
  partDone(part);
}

void PendingRequest::onFailure(uint32_t part, std::string_view message) {
  if (streamed_) {
    ticket(part).connection = nullptr;
    return listener_->onReplyBroken(*this);
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
  if (merger_) {
    merger_->finish(reply_);
    // Freed now, not when the reply is written: what it holds (copies of the parts, a
    // PUBLISH's pass of publish_fence.h) may wait behind earlier replies for long.
    merger_.reset();
  }
  listener_->onRequestComplete(*this);
}

PendingFreeList::~PendingFreeList() { releaseSpare(); }

void PendingFreeList::releaseSpare() {
  while (head_ != nullptr) delete std::exchange(head_, head_->next_);
  spare_ = 0;
}

PendingRequest* PendingFreeList::take() {
  if (head_ == nullptr) return new PendingRequest();
  --spare_;
  PendingRequest* entry = std::exchange(head_, head_->next_);
  entry->next_ = nullptr;
  return entry;
}

namespace {
// Takes `buffer`'s allocation, emptied, unless it grew past `max_capacity`.
template <typename Buffer>
Buffer takeEmptied(Buffer& buffer, size_t max_capacity) {
  Buffer taken = std::move(buffer);
  taken.clear();
  if (taken.capacity() > max_capacity) return Buffer();
  return taken;
}
}  // namespace

void PendingFreeList::give(PendingRequest* entry) {
  if (spare_ >= kMaxSpare) {
    delete entry;
    return;
  }
  // The buffers of a held reply and of a split request's parts outlive the reset, so the next
  // request reuses them without allocating; everything else starts over as in a new entry.
  entry->cancel();  // while the tickets are still in sight
  std::string reply = takeEmptied(entry->reply_, kMaxKeptReply);
  std::vector<backend::Ticket> tickets = takeEmptied(entry->more_tickets_, kMaxKeptParts);
  std::vector<uint32_t> servers = takeEmptied(entry->part_servers, kMaxKeptParts);
  std::destroy_at(entry);
  std::construct_at(entry);
  entry->reply_ = std::move(reply);
  entry->more_tickets_ = std::move(tickets);
  entry->part_servers = std::move(servers);
  entry->next_ = std::exchange(head_, entry);
  ++spare_;
}

PendingQueue::~PendingQueue() {
  while (head_ != nullptr) pop();
}

PendingRequest& PendingQueue::push() {
  PendingRequest* entry = free_list_.take();
  entry->listener_ = &listener_;
  if (tail_ == nullptr) {
    head_ = entry;
  } else {
    tail_->next_ = entry;
  }
  tail_ = entry;
  ++size_;
  return *entry;
}

void PendingQueue::pop() {
  PendingRequest* entry = std::exchange(head_, head_->next_);
  if (head_ == nullptr) tail_ = nullptr;
  --size_;
  free_list_.give(entry);
}

// A split request's Merger is not counted: what it keeps of the parts' replies is its own
// business (merger.h), and it is freed with the request.
PendingQueue::Footprint PendingQueue::footprint() const {
  Footprint footprint;
  for (const PendingRequest* entry = head_; entry != nullptr; entry = entry->next_) {
    if (entry->done() && !entry->written) ++footprint.held_replies;
    footprint.bytes += sizeof(PendingRequest) + stringHeapBytes(entry->reply_) +
                       entry->more_tickets_.capacity() * sizeof(backend::Ticket) +
                       entry->part_servers.capacity() * sizeof(uint32_t);
  }
  return footprint;
}

void PendingQueue::cancelAll() {
  for (PendingRequest* entry = head_; entry != nullptr; entry = entry->next_) entry->cancel();
}

}  // namespace shardis::proxy
