#pragma once

// Drives a decoder the way a connection does: bytes arrive in chunks, complete frames are
// dropped from the front of the buffer, the rest stays. Each decode() call sees a fresh copy
// of the buffer, so any pointer the decoder kept from an earlier call would dangle (ASan) and
// any offset it got wrong would show up as different frames.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "resp/limits.h"

namespace shardis::resp::test {

template <typename Frame>
struct Outcome {
  std::vector<Frame> frames;
  Status last = Status::kNeedMore;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

// `describe(decoder, pending)` turns the decoder's current frame into a comparable value.
template <typename Decoder, typename Describe>
auto feedChunks(Decoder& decoder, const std::vector<std::string_view>& chunks, Describe describe) {
  using Frame = decltype(describe(decoder, std::string_view{}));
  Outcome<Frame> outcome;
  std::string buffer;
  for (const std::string_view chunk : chunks) {
    buffer.append(chunk);
    while (true) {
      const std::string moved = buffer;
      outcome.last = decoder.decode(moved);
      if (outcome.last == Status::kError) {
        outcome.error = std::string(decoder.errorMessage());
        return outcome;
      }
      if (outcome.last != Status::kFrame) break;
      outcome.frames.push_back(describe(decoder, std::string_view(moved)));
      buffer.erase(0, decoder.consumed());
    }
  }
  return outcome;
}

inline std::vector<std::string_view> whole(std::string_view bytes) { return {bytes}; }

inline std::vector<std::string_view> oneByteAtATime(std::string_view bytes) {
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < bytes.size(); ++i) chunks.push_back(bytes.substr(i, 1));
  return chunks;
}

inline std::vector<std::string_view> splitAt(std::string_view bytes, size_t offset) {
  return {bytes.substr(0, offset), bytes.substr(offset)};
}

}  // namespace shardis::resp::test
