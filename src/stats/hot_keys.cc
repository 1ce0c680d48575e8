#include "stats/hot_keys.h"

#include <algorithm>
#include <cstring>

namespace shardis::stats {

namespace {

// FNV-1a 64: stable for the life of the process, which is all merging needs.
uint64_t hashKey(std::string_view key) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Row i's column from two halves of one hash (Kirsch and Mitzenmacher), after a final mix so
// that FNV's weak low bits do not bunch similar keys.
size_t column(uint64_t hash, size_t row) {
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  uint64_t low = hash & 0xffffffffu;
  uint64_t high = (hash >> 32) | 1;
  return static_cast<size_t>((low + row * high) % HotKeys::kWidth);
}

}  // namespace

void HotKeys::record(std::string_view key) {
  uint64_t hash = hashKey(key);
  uint64_t estimate = UINT64_MAX;
  for (size_t row = 0; row < kDepth; ++row) {
    estimate = std::min(estimate, ++sketch_[row][column(hash, row)]);
  }
  ++total_;
  offer(hash, estimate, key);
}

uint64_t HotKeys::estimateHash(uint64_t hash) const {
  uint64_t estimate = UINT64_MAX;
  for (size_t row = 0; row < kDepth; ++row) {
    estimate = std::min(estimate, sketch_[row][column(hash, row)]);
  }
  return estimate;
}

uint64_t HotKeys::estimate(std::string_view key) const { return estimateHash(hashKey(key)); }

void HotKeys::offer(uint64_t hash, uint64_t count, std::string_view key) {
  size_t smallest = 0;
  for (size_t i = 0; i < top_size_; ++i) {
    if (top_[i].hash == hash) {
      top_[i].count = count;
      return;
    }
    if (top_[i].count < top_[smallest].count) smallest = i;
  }
  size_t slot = top_size_;
  if (top_size_ < kTopK) {
    ++top_size_;
  } else if (count > top_[smallest].count) {
    slot = smallest;
  } else {
    return;
  }
  Entry& entry = top_[slot];
  entry.hash = hash;
  entry.count = count;
  entry.length = static_cast<uint32_t>(std::min(key.size(), kMaxKeyBytes));
  std::memcpy(entry.bytes.data(), key.data(), entry.length);
}

void HotKeys::merge(const HotKeys& other) {
  for (size_t row = 0; row < kDepth; ++row) {
    for (size_t col = 0; col < kWidth; ++col) sketch_[row][col] += other.sketch_[row][col];
  }
  total_ += other.total_;
  // Both tables' keys compete again on the merged estimates.
  std::array<Entry, kTopK * 2> candidates;
  size_t count = 0;
  for (size_t i = 0; i < top_size_; ++i) candidates[count++] = top_[i];
  for (size_t i = 0; i < other.top_size_; ++i) candidates[count++] = other.top_[i];
  top_size_ = 0;
  for (size_t i = 0; i < count; ++i) {
    offer(candidates[i].hash, estimateHash(candidates[i].hash), candidates[i].key());
  }
}

std::vector<HotKeys::Entry> HotKeys::top() const {
  std::vector<Entry> entries(top_.begin(), top_.begin() + static_cast<ptrdiff_t>(top_size_));
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.key() < b.key();
  });
  return entries;
}

}  // namespace shardis::stats
