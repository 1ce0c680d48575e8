#pragma once

// What both fuzz targets check: decoding the same bytes whole, split at an arbitrary point,
// or one byte at a time gives the same frames, the same consumed counts and the same final
// status, and consumed() never exceeds the bytes offered. A broken invariant aborts, which
// libFuzzer reports as a crash with the input that caused it.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/unit/resp/feed.h"
#include "resp/limits.h"

namespace shardis::resp::fuzz {

[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

inline void check(bool condition, const char* what) {
  if (!condition) violated(what);
}

// The unit tests' chunk driver (every decode() sees a fresh copy of the buffer, so a pointer
// kept across calls is caught by ASan), with the frame-level invariants checked as it goes.
template <typename Decoder, typename Describe>
auto feed(const Limits& limits, const std::vector<std::string_view>& chunks, Describe describe) {
  Decoder decoder(limits);
  auto outcome = test::feedChunks(decoder, chunks, [&](Decoder& d, std::string_view pending) {
    check(d.consumed() > 0, "a frame consumes bytes");
    check(d.consumed() <= pending.size(), "consumed <= pending");
    return describe(d, pending);
  });
  if (outcome.last == Status::kError) check(!outcome.error.empty(), "an error has a message");
  return outcome;
}

// A split point that depends on the input, so libFuzzer explores it along with the bytes.
inline size_t splitPoint(std::string_view bytes) {
  uint32_t hash = 2166136261u;  // FNV-1a
  for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return bytes.empty() ? 0 : hash % (bytes.size() + 1);
}

// Small limits so that every limit is reached by short inputs too.
inline Limits tinyLimits() {
  Limits limits;
  limits.max_bulk_len = 64;
  limits.max_array_len = 8;
  limits.max_depth = 4;
  limits.max_inline_len = 32;
  return limits;
}

template <typename Decoder, typename Describe>
void checkSplitInvariance(std::string_view bytes, Describe describe) {
  // One byte at a time is quadratic with the copies; longer inputs get the single split.
  constexpr size_t kByteByByteMax = 512;
  for (const Limits& limits : {Limits{}, tinyLimits()}) {
    const auto whole = feed<Decoder>(limits, {bytes}, describe);
    const size_t at = splitPoint(bytes);
    const auto split = feed<Decoder>(limits, {bytes.substr(0, at), bytes.substr(at)}, describe);
    check(whole == split, "split at one point gives the same outcome");
    if (bytes.size() <= kByteByByteMax) {
      std::vector<std::string_view> chunks;
      for (size_t i = 0; i < bytes.size(); ++i) chunks.push_back(bytes.substr(i, 1));
      check(whole == feed<Decoder>(limits, chunks, describe), "byte by byte gives the same");
    }
  }
}

}  // namespace shardis::resp::fuzz
