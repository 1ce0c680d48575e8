#pragma once

#include <cstdint>

namespace shardis::resp {

// Bounds the decoders enforce so that a client cannot make the proxy allocate without limit.
// Fixed when a decoder is built; each one has its own protocol error.
struct Limits {
  uint64_t max_bulk_len = 512ull << 20;  // Redis's proto-max-bulk-len
  uint64_t max_array_len = 1u << 20;     // elements of a multibulk or aggregate reply
  uint32_t max_depth = 128;              // nesting of aggregate replies
  uint32_t max_inline_len = 64u << 10;   // an inline request line, and any length line
};

// What a Redis server may send back, which the client limits must not cut short: an array
// reply (LRANGE, HGETALL, KEYS) is as long as the data, a bulk as long as the server's own
// proto-max-bulk-len allows (DUMP of a large key may exceed it), and a script may nest tables
// deeper than any request does. Only the numbers RESP can carry bound them (a signed 64-bit
// length), so a reply costs what it would cost a direct client of that server: its size in
// memory. A length line is still at most 20 digits.
inline constexpr Limits serverReplyLimits() {
  Limits limits;
  limits.max_bulk_len = INT64_MAX;
  limits.max_array_len = INT64_MAX;
  limits.max_depth = UINT32_MAX;
  return limits;
}

// Redis 7's bounds for a client that has not authenticated yet, where a password is required:
// room for AUTH and HELLO, and a header asking for more is refused before any of it is kept.
inline constexpr uint32_t kUnauthenticatedMaxArrayLen = 10;
inline constexpr uint64_t kUnauthenticatedMaxBulkLen = uint64_t{16} << 10;

// What one decode() call produced.
enum class Status : uint8_t {
  kFrame,     // one whole request or reply is ready
  kNeedMore,  // the bytes so far are a valid prefix; call again with more
  kError,     // protocol violation; sticky until reset()
};

}  // namespace shardis::resp
