#include "stats/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace shardis::stats {
namespace {

TEST(Histogram, SmallValuesHaveTheirOwnBucket) {
  for (uint64_t us = 0; us <= 16; ++us) {
    EXPECT_EQ(Histogram::bucketOf(us), us);
    EXPECT_EQ(Histogram::upperBound(us), us);
  }
}

TEST(Histogram, BucketsAreContiguousAndAtMostAnEighthWide) {
  // Every value lands in the bucket whose (previous upper, upper] range holds it.
  for (uint64_t us = 1; us <= Histogram::kMaxTracked; us += (us < 100000 ? 1 : 997)) {
    size_t bucket = Histogram::bucketOf(us);
    ASSERT_LT(bucket, Histogram::kOverflowBucket) << us;
    uint64_t upper = Histogram::upperBound(bucket);
    uint64_t lower = Histogram::upperBound(bucket - 1);
    ASSERT_LE(us, upper) << us;
    ASSERT_GT(us, lower) << us;
    if (us > 16) {
      ASSERT_LE((upper - lower) * 8, lower) << us;
    }
  }
  EXPECT_EQ(Histogram::bucketOf(Histogram::kMaxTracked), Histogram::kOverflowBucket - 1);
  EXPECT_EQ(Histogram::bucketOf(Histogram::kMaxTracked + 1), Histogram::kOverflowBucket);
  EXPECT_EQ(Histogram::bucketOf(UINT64_MAX), Histogram::kOverflowBucket);
}

TEST(Histogram, CoversTenMicrosecondsToTenSeconds) {
  EXPECT_LT(Histogram::bucketOf(10), Histogram::bucketOf(11));
  EXPECT_LT(Histogram::bucketOf(10'000'000), Histogram::kOverflowBucket);
  EXPECT_EQ(Histogram::kBuckets, 178u);
}

TEST(Histogram, ExportBoundsAreBucketBoundsOnePerPowerOfTwo) {
  auto bounds = Histogram::exportBounds();
  ASSERT_EQ(bounds.size(), 21u);
  EXPECT_EQ(bounds.front(), 16u);
  EXPECT_EQ(bounds.back(), Histogram::kMaxTracked);
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(Histogram::upperBound(Histogram::bucketOf(bounds[i])), bounds[i]);
    if (i > 0) {
      EXPECT_EQ(bounds[i], bounds[i - 1] * 2);
    }
  }
}

TEST(Histogram, CountSumMaxAndCumulativeCounts) {
  Histogram histogram;
  for (uint64_t us : {5, 16, 17, 100, 1000, 20'000'000}) histogram.record(us);
  EXPECT_EQ(histogram.count(), 6u);
  EXPECT_EQ(histogram.sumUs(), 5u + 16 + 17 + 100 + 1000 + 20'000'000);
  EXPECT_EQ(histogram.maxUs(), 20'000'000u);
  EXPECT_EQ(histogram.countAtMost(16), 2u);
  EXPECT_EQ(histogram.countAtMost(32), 3u);
  EXPECT_EQ(histogram.countAtMost(128), 4u);
  EXPECT_EQ(histogram.countAtMost(1024), 5u);
  EXPECT_EQ(histogram.countAtMost(Histogram::kMaxTracked), 5u);
  // The overflow bucket reports the largest value seen.
  EXPECT_EQ(histogram.percentile(100), 20'000'000u);
}

TEST(Histogram, EmptyReportsZero) {
  Histogram histogram;
  EXPECT_EQ(histogram.percentile(50), 0u);
  EXPECT_EQ(histogram.countAtMost(1000), 0u);
}

TEST(Histogram, PercentilesWithinTheDocumentedError) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(std::log(300.0), 1.5);
  std::vector<uint64_t> values;
  Histogram histogram;
  for (int i = 0; i < 100000; ++i) {
    auto us = static_cast<uint64_t>(std::min(latency(random), 1e7));
    values.push_back(us);
    histogram.record(us);
  }
  std::sort(values.begin(), values.end());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
    uint64_t exact = values[std::max<size_t>(rank, 1) - 1];
    uint64_t reported = histogram.percentile(p);
    EXPECT_GE(reported, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(reported), static_cast<double>(exact) * 1.125 + 1) << "p" << p;
  }
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a;
  Histogram b;
  Histogram both;
  std::mt19937_64 random(11);
  for (int i = 0; i < 5000; ++i) {
    uint64_t us = random() % 5'000'000;
    (i % 3 == 0 ? a : b).record(us);
    both.record(us);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.sumUs(), both.sumUs());
  EXPECT_EQ(a.maxUs(), both.maxUs());
  for (size_t i = 0; i < Histogram::kBuckets; ++i) {
    ASSERT_EQ(a.bucketCount(i), both.bucketCount(i)) << i;
  }
  EXPECT_EQ(a.percentile(99), both.percentile(99));
}

}  // namespace
}  // namespace shardis::stats
