// OutputLimit: client_output_buffer_limit for one client, Redis's client-output-buffer-limit
// for its normal class. The hard limit closes a client as soon as it owes that many bytes of
// replies; the soft limit closes one that has owed that many for more than soft_seconds.
//
// Unlike Redis, the limit never closes a client for a single reply, however large: the bytes
// that count are what the client owes beyond the largest reply it is owed, which is the one it
// may be reading. What piles up behind it, as it does when a client sends and does not read,
// counts. The memory a client can hold is thus bounded by the limit plus one reply.
//
// ClientSession owns one when a limit is set (none by default), tells it each reply it hands to
// its stream (a streamed reply in pieces) and each reply held behind an earlier request, and
// asks it after each write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "config/config.h"

namespace shardis::proxy {

class OutputLimit {
 public:
  explicit OutputLimit(const config::OutputBufferLimit& limit) : limit_(limit) {}

  static bool enabled(const config::OutputBufferLimit& limit) {
    return limit.hard_bytes != 0 || limit.soft_bytes != 0;
  }
  // A whole reply of `bytes`, or the last piece of a streamed one, was handed to the stream.
  void noteReply(uint64_t bytes);
  // A piece of a reply streamed from its server was handed to the stream; the pieces that
  // follow, up to its last (noteReply()), make one reply with it.
  void notePiece(uint64_t bytes);
  // A reply of `bytes` waits behind an earlier request.
  void noteHeld(uint64_t bytes);
  // The bytes that count against the limit: `unsent`, what the stream has not handed to the
  // kernel yet, plus `held`, the replies waiting behind earlier requests, less the largest
  // reply among them.
  uint64_t counted(uint64_t unsent, uint64_t held);
  // Whether the client must be closed now (`now_ms` for the soft limit's clock).
  bool exceeded(uint64_t unsent, uint64_t held, uint64_t now_ms);

 private:
  struct Reply {
    uint64_t end;   // the offset just past its last byte, in all the bytes handed to the stream
    uint64_t size;  // its bytes
  };
  void noteWrite(uint64_t bytes);
  // The largest reply not yet sent whole: the first of `largest_` still unsent, or (being
  // partly sent) the one after it.
  uint64_t largestUnsent(uint64_t sent);

  config::OutputBufferLimit limit_;
  // The replies not yet sent, each larger than every reply handed to the stream after it: the
  // only ones that can be the largest once those before them are sent. Same-size replies keep
  // one entry, so a steady stream of replies holds one or two. Entries before `first_` are
  // sent.
  std::vector<Reply> largest_;
  size_t first_ = 0;
  uint64_t written_ = 0;       // bytes handed to the stream so far
  uint64_t largest_held_ = 0;  // since the client last had no reply held
  bool streaming_ = false;     // the last write was a piece of a reply still coming
  std::optional<uint64_t> over_soft_since_ms_;  // Redis's obuf_soft_limit_reached_time
};

}  // namespace shardis::proxy
