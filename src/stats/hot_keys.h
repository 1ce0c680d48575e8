// HotKeys: an approximate top-K of the most requested keys of one pool, kept by a worker on
// its request path when `hotkeys: true`.
//
// A count-min sketch (kDepth rows of kWidth counters) estimates every key's count, never
// below the true count and, with probability 1 - e^-kDepth, at most about e * N / kWidth
// above it (N = keys recorded). Beside it a table of the kTopK keys with the largest
// estimates ("heavy hitters") keeps each key's first kMaxKeyBytes bytes. Memory is fixed
// (about 34 KiB), nothing is allocated on record(), and record() costs kDepth counter
// updates plus a scan of kTopK hashes. Counts are since start (no decay).
//
// Sketches of different workers merge by adding counters (same hash function in one
// process), after which the union of their tables is re-estimated and cut back to kTopK.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace shardis::stats {

class HotKeys {
 public:
  static constexpr size_t kDepth = 4;
  static constexpr size_t kWidth = 1024;
  static constexpr size_t kTopK = 16;
  static constexpr size_t kMaxKeyBytes = 128;

  struct Entry {
    uint64_t hash = 0;
    uint64_t count = 0;   // the sketch's estimate
    uint32_t length = 0;  // bytes kept in `bytes` (the key may have been longer)
    std::array<char, kMaxKeyBytes> bytes{};

    [[nodiscard]] std::string_view key() const { return {bytes.data(), length}; }
  };

  void record(std::string_view key);
  void merge(const HotKeys& other);
  // Estimated count of `key` (the sketch's minimum).
  [[nodiscard]] uint64_t estimate(std::string_view key) const;
  // The heavy hitters, largest count first (readers only: allocates).
  [[nodiscard]] std::vector<Entry> top() const;
  [[nodiscard]] uint64_t total() const { return total_; }

 private:
  uint64_t estimateHash(uint64_t hash) const;
  void offer(uint64_t hash, uint64_t count, std::string_view key);

  std::array<std::array<uint64_t, kWidth>, kDepth> sketch_{};
  std::array<Entry, kTopK> top_{};
  size_t top_size_ = 0;
  uint64_t total_ = 0;
};

}  // namespace shardis::stats
