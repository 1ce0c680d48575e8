// PendingQueue: a client's requests from the moment they are decoded until their replies are
// written, in the order the client sent them. Replies may complete in any order (different
// servers, local answers, errors); ClientSession writes them only from the front, so the
// client sees them in request order (DESIGN.md decision 3).
//
// A PendingRequest is the backend::ReplyTarget of its backend parts: one part for a request
// forwarded to one server, several for a split request (issue 5's Fanout), whose Merger
// turns the part replies into the client's reply. Entries never move in memory (the queue
// links them), because backend connections hold pointers to them; an entry destroyed or
// recycled early cancels its tickets, so a late reply is dropped rather than delivered.
//
// Entries come from the worker's PendingFreeList and go back to it once written: a steady load
// allocates none, and an idle client holds none (an empty queue owns no storage).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/reply_target.h"

namespace shardis::proxy {

class PendingRequest;

// The reply of a request whose reply the proxy could not allocate (a merge of large parts, a
// large reply held behind earlier ones): that request fails, the client and the proxy go on.
// Redis's own out-of-memory error starts with OOM and names maxmemory; this one is the
// proxy's, so it is an ERR that says whose memory ran out.
inline constexpr std::string_view kOutOfMemoryError =
    "ERR out of memory: shardis could not allocate this reply";

// Told when a request's reply is complete (ClientSession).
class CompletionListener {
 public:
  virtual void onRequestComplete(PendingRequest& request) = 0;
  // A single-server reply has arrived: the listener may write `reply` to the client at once
  // (true) when nothing is ahead of `request`, which saves copying it into the entry.
  virtual bool writeNow(PendingRequest& /*request*/, std::string_view /*reply*/) { return false; }
  // Streaming (see backend::ReplyTarget::canStream): whether `request` is first in line, a
  // piece of its reply to write now, and a reply broken after some of it was written (the
  // client cannot be told in-band any more: the listener closes it).
  virtual bool canWriteNow(PendingRequest& /*request*/) { return false; }
  virtual void writePiece(PendingRequest& /*request*/, std::string_view /*bytes*/) {}
  virtual void onReplyBroken(PendingRequest& /*request*/) {}

 protected:
  ~CompletionListener() = default;
};

// Combines the replies of a split request's parts into one client reply (issue 5).
class Merger {
 public:
  virtual ~Merger() = default;
  virtual void onPartReply(uint32_t part, const resp::Reply& reply) = 0;
  virtual void onPartFailure(uint32_t part, std::string_view message) = 0;
  // Every part answered: the client's reply, as RESP bytes.
  virtual void finish(std::string& reply) = 0;
};

class PendingRequest final : public backend::ReplyTarget {
 public:
  PendingRequest() = default;
  ~PendingRequest();
  PendingRequest(const PendingRequest&) = delete;
  PendingRequest& operator=(const PendingRequest&) = delete;

  // The reply is known now (local command, routing error). Does not notify the listener.
  void complete(std::string reply);
  // The reply will come from `parts` backend requests; a Merger is required when parts > 1.
  void expect(uint32_t parts, std::unique_ptr<Merger> merger = nullptr);
  backend::Ticket& ticket(uint32_t part) {
    return part == 0 ? first_ticket_ : more_tickets_[part - 1];
  }

  bool done() const { return parts_waiting_ == 0; }
  std::string& reply() { return reply_; }
  // Close the client once this reply is written (QUIT, protocol error).
  bool closeAfter() const { return close_after_; }
  void setCloseAfter() { close_after_ = true; }
  // Bytes of this completed reply that the session counts against the client's output
  // limit while it waits behind earlier requests.
  size_t heldBytes() const { return held_bytes_; }
  void setHeldBytes(size_t bytes) { held_bytes_ = bytes; }
  // The server(s) it went to, named in the slow log: one index inline (no allocation per
  // request), several only for a request split over servers.
  static constexpr uint32_t kNoServer = UINT32_MAX;
  uint32_t server = kNoServer;
  std::vector<uint32_t> part_servers;
  std::span<const uint32_t> servers() const {
    if (!part_servers.empty()) return part_servers;
    return server == kNoServer ? std::span<const uint32_t>() : std::span(&server, 1);
  }
  // What the stats record when the reply is written.
  uint16_t command_id = 0;
  uint64_t received_ns = 0;
  std::vector<std::string> arguments;  // Request::log_arguments: for the slow log
  bool rejected = false;
  bool written = false;  // the reply went to the client through writeNow()
  bool silent = false;   // CLIENT REPLY OFF/SKIP: the reply is dropped, not written
  bool push = false;     // a subscriber's message held in order, not a command's reply
  // What it counts against the client's queue limit until its reply is written.
  uint64_t queued_bytes = 0;
  // Drops the outstanding parts: their replies will be discarded by the connections.
  void cancel();

  // backend::ReplyTarget
  void onReply(uint32_t part, const resp::Reply& reply) override;
  void onFailure(uint32_t part, std::string_view message) override;
  bool canStream(uint32_t part) override;
  void onReplyChunk(uint32_t part, std::string_view bytes, bool last) override;

 private:
  friend class PendingQueue;
  friend class PendingFreeList;
  void partDone(uint32_t part);
  void keepReply(std::string_view raw);

  CompletionListener* listener_ = nullptr;  // set when the queue takes the entry
  PendingRequest* next_ = nullptr;          // the next entry in its queue or the free list
  std::string reply_;
  backend::Ticket first_ticket_;               // part 0, inline
  std::vector<backend::Ticket> more_tickets_;  // parts 1.. of a split request
  std::unique_ptr<Merger> merger_;
  uint32_t parts_waiting_ = 0;
  size_t held_bytes_ = 0;
  bool close_after_ = false;
  bool streamed_ = false;  // part of the reply already went to the client
};

// A worker's spare entries, shared by all its sessions (one thread, no lock). Holds at most
// kMaxSpare, so the memory a burst of pipelined requests took goes back once it is over.
class PendingFreeList {
 public:
  PendingFreeList() = default;
  ~PendingFreeList();
  PendingFreeList(const PendingFreeList&) = delete;
  PendingFreeList& operator=(const PendingFreeList&) = delete;

  PendingRequest* take();
  // Resets `entry` to a fresh one (cancelling its tickets) and keeps or frees it.
  void give(PendingRequest* entry);
  size_t spare() const { return spare_; }
  // Frees every spare entry (once a burst is over: see Worker).
  void releaseSpare();

  static constexpr size_t kMaxSpare = 1024;
  // A held reply buffer up to this size is kept with its entry for the next reply, and the
  // part lists of a split request up to this many parts.
  static constexpr size_t kMaxKeptReply = 512;
  static constexpr size_t kMaxKeptParts = 16;

 private:
  PendingRequest* head_ = nullptr;
  size_t spare_ = 0;
};

class PendingQueue {
 public:
  PendingQueue(CompletionListener& listener, PendingFreeList& free_list)
      : listener_(listener), free_list_(free_list) {}
  ~PendingQueue();
  PendingQueue(const PendingQueue&) = delete;
  PendingQueue& operator=(const PendingQueue&) = delete;

  PendingRequest& push();
  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  PendingRequest& front() { return *head_; }
  void pop();
  // Whether the front entry's reply can be written.
  bool frontDone() const { return head_ != nullptr && head_->done(); }
  void cancelAll();

  // What the entries hold, for CLIENT LIST: a walk of the queue, for the admin commands only.
  struct Footprint {
    size_t held_replies = 0;  // complete, waiting behind an earlier request (oll)
    size_t bytes = 0;         // the entries and the buffers they own (tot-mem)
  };
  [[nodiscard]] Footprint footprint() const;

 private:
  CompletionListener& listener_;
  PendingFreeList& free_list_;
  PendingRequest* head_ = nullptr;
  PendingRequest* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace shardis::proxy
