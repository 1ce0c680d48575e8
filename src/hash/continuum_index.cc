#include "hash/continuum_index.h"

#include <bit>

namespace shardis::hash {

void ContinuumIndex::build(std::span<const uint32_t> prefixes) {
  // About one point per slice; at most 2^20 slices (4 MiB) however large the pool.
  constexpr uint32_t kMaxBits = 20;
  const auto count = static_cast<uint32_t>(prefixes.size());
  uint32_t bits = count <= 2 ? 1 : static_cast<uint32_t>(std::bit_width(count - 1));
  if (bits > kMaxBits) bits = kMaxBits;
  shift_ = 32 - bits;
  const uint64_t slices = uint64_t{1} << bits;
  starts_.assign(static_cast<size_t>(slices) + 1, count);
  uint32_t next = 0;
  for (uint64_t slice = 0; slice <= slices; ++slice) {
    const uint64_t first_value = slice << shift_;  // 2^32 for the sentinel slice
    while (next < count && prefixes[next] < first_value) ++next;
    starts_[static_cast<size_t>(slice)] = next;
  }
}

}  // namespace shardis::hash
