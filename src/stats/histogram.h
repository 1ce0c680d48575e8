// Histogram: a latency distribution in microseconds with log-linear buckets, cheap enough to
// update on every request and small enough to copy once a second (see hub.h).
//
// Layout (HdrHistogram's idea with 8 sub-buckets per power of two):
//   - 0..16 µs: one bucket per microsecond, exact;
//   - above 16 µs: each power of two (2^k, 2^(k+1)] is cut into 8 equal sub-buckets, up to
//     2^24 µs (16.8 s), which covers the 10 µs to 10 s range of the issue;
//   - one overflow bucket above 2^24 µs.
// A bucket is (lower, upper] with upper <= lower * 9/8, so percentile() returns the upper
// bound of the bucket that holds the rank: never below the true value and at most 12.5% above
// it (exact below 17 µs). The overflow bucket reports the largest value recorded.
//
// record() is a few shifts and one increment: no allocation, no branch on the common path
// beyond the range checks. Workers own their histograms; merge() adds them for readers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace shardis::stats {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 3;  // 8 sub-buckets per power of two
  static constexpr uint64_t kLinearMax = 16;
  static constexpr int kLastPower = 23;  // the top range is (2^23, 2^24] µs
  static constexpr size_t kLinearBuckets = kLinearMax + 1;
  static constexpr size_t kLogBuckets = (kLastPower - 4 + 1) << kSubBucketBits;
  static constexpr size_t kBuckets = kLinearBuckets + kLogBuckets + 1;  // + overflow
  static constexpr size_t kOverflowBucket = kBuckets - 1;
  static constexpr uint64_t kMaxTracked = uint64_t{1} << (kLastPower + 1);

  void record(uint64_t us) {
    ++counts_[bucketOf(us)];
    ++count_;
    sum_us_ += us;
    if (us > max_us_) max_us_ = us;
  }
  void merge(const Histogram& other);
  void reset() { *this = Histogram{}; }

  [[nodiscard]] uint64_t count() const { return count_; }
  [[nodiscard]] uint64_t sumUs() const { return sum_us_; }
  [[nodiscard]] uint64_t maxUs() const { return max_us_; }
  [[nodiscard]] uint64_t bucketCount(size_t bucket) const { return counts_[bucket]; }

  // The value at `percentile` (0..100], as described above; 0 when empty.
  [[nodiscard]] uint64_t percentile(double percentile) const;
  // Number of recorded values <= upper_us, exact when upper_us is a bucket upper bound.
  [[nodiscard]] uint64_t countAtMost(uint64_t upper_us) const;

  // Bucket index of a value; inclusive upper bound of a bucket (kMaxTracked for overflow).
  [[nodiscard]] static size_t bucketOf(uint64_t us) {
    if (us <= kLinearMax) return static_cast<size_t>(us);
    if (us > kMaxTracked) return kOverflowBucket;
    return logBucketOf(us - 1);
  }
  [[nodiscard]] static uint64_t upperBound(size_t bucket);

  // The fixed `le` bounds (µs) of the Prometheus exposition: one per power of two from 16 µs
  // to 2^24 µs. Each is a bucket upper bound, so the cumulative counts are exact.
  [[nodiscard]] static std::span<const uint64_t> exportBounds();

 private:
  // For u >= 16: the power k = floor(log2 u) and the top 3 bits below it pick the bucket.
  static size_t logBucketOf(uint64_t u) {
    int power = 63 - __builtin_clzll(u);
    uint64_t sub = (u >> (power - kSubBucketBits)) - (uint64_t{1} << kSubBucketBits);
    return kLinearBuckets + (static_cast<size_t>(power - 4) << kSubBucketBits) +
           static_cast<size_t>(sub);
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_us_ = 0;
  uint64_t max_us_ = 0;
};

}  // namespace shardis::stats
