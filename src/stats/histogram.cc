#include "stats/histogram.h"

#include <algorithm>
#include <cmath>

namespace shardis::stats {

namespace {

constexpr std::array<uint64_t, Histogram::kLastPower - 3 + 1> makeExportBounds() {
  std::array<uint64_t, Histogram::kLastPower - 3 + 1> bounds{};
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = uint64_t{16} << i;
  return bounds;
}

constexpr auto kExportBounds = makeExportBounds();
static_assert(kExportBounds.back() == Histogram::kMaxTracked);

}  // namespace

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_us_ += other.sum_us_;
  max_us_ = std::max(max_us_, other.max_us_);
}

uint64_t Histogram::upperBound(size_t bucket) {
  if (bucket < kLinearBuckets) return bucket;
  if (bucket >= kOverflowBucket) return kMaxTracked;
  size_t log_index = bucket - kLinearBuckets;
  int power = 4 + static_cast<int>(log_index >> kSubBucketBits);
  uint64_t sub = log_index & ((size_t{1} << kSubBucketBits) - 1);
  // Bucket (lower, upper] with lower = (8 + sub) << (power - 3).
  return ((uint64_t{1} << kSubBucketBits) + sub + 1) << (power - kSubBucketBits);
}

uint64_t Histogram::percentile(double percentile) const {
  if (count_ == 0) return 0;
  // The rank of the value, 1-based, rounded up so that p100 is the largest value.
  double wanted =
      std::ceil(static_cast<double>(count_) * std::clamp(percentile, 0.0, 100.0) / 100.0);
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return i == kOverflowBucket ? max_us_ : std::min(upperBound(i), max_us_);
  }
  return max_us_;
}

uint64_t Histogram::countAtMost(uint64_t upper_us) const {
  uint64_t total = 0;
  for (size_t i = 0; i < kOverflowBucket && upperBound(i) <= upper_us; ++i) total += counts_[i];
  return total;
}

std::span<const uint64_t> Histogram::exportBounds() { return kExportBounds; }

}  // namespace shardis::stats
