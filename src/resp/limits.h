#pragma once

#include <cstdint>

namespace shardis::resp {

// Bounds the decoders enforce so that a client or a misbehaving server cannot make the proxy
// allocate without limit. Fixed when a decoder is built; each one has its own protocol error.
struct Limits {
  uint64_t max_bulk_len = 512ull << 20;  // Redis's proto-max-bulk-len
  uint32_t max_array_len = 1u << 20;     // elements of a multibulk or aggregate reply
  uint32_t max_depth = 128;              // nesting of aggregate replies
  uint32_t max_inline_len = 64u << 10;   // an inline request line, and any length line
};

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
