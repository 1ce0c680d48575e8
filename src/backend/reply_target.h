// The contract between a backend connection and whoever waits for a reply (a client's
// pending request, or one part of a split request): the connection delivers exactly one of
// onReply/onFailure per request it accepted, unless the request was cancelled first.
#pragma once

#include <cstdint>
#include <string_view>

#include "resp/reply_decoder.h"

namespace shardis::backend {

class ReplyTarget {
 public:
  // `reply.raw` points into the connection's read buffer: valid only during the call.
  virtual void onReply(uint32_t part, const resp::Reply& reply) = 0;
  // `message` is an error reply's text without '-' and CRLF: "ERR server s1: Connection
  // refused", "ERR timeout waiting for server s1".
  virtual void onFailure(uint32_t part, std::string_view message) = 0;

  // Streaming of a large bulk reply, so that it passes through without being held whole:
  // canStream() asks whether the target can take it piece by piece now; if so the reply
  // arrives as onReplyChunk() calls (the last with `last` set) instead of one onReply(). A
  // failure after the first chunk still comes as onFailure().
  virtual bool canStream(uint32_t /*part*/) { return false; }
  virtual void onReplyChunk(uint32_t /*part*/, std::string_view /*bytes*/, bool /*last*/) {}

 protected:
  ~ReplyTarget() = default;
};

class ServerConnection;

// A request accepted by a ServerConnection; cancel() makes its reply be dropped when it
// arrives. The connection outlives every ticket (connections live as long as their worker),
// and a ticket whose request already completed cancels nothing.
struct Ticket {
  ServerConnection* connection = nullptr;
  uint64_t sequence = 0;
  void cancel();
};

}  // namespace shardis::backend
