#include "stats/hot_keys.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

namespace shardis::stats {
namespace {

// Keys 0..n-1 with Zipf-like weights 1/(i+1)^s, shuffled into one stream.
std::vector<std::string> skewedStream(size_t keys, size_t length, uint64_t seed) {
  std::vector<double> weights;
  for (size_t i = 0; i < keys; ++i)
    weights.push_back(1.0 / std::pow(static_cast<double>(i + 1), 1.1));
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::mt19937_64 random(seed);
  std::vector<std::string> stream;
  stream.reserve(length);
  for (size_t i = 0; i < length; ++i) stream.push_back("user:" + std::to_string(pick(random)));
  return stream;
}

TEST(HotKeys, FindsTheHeavyHittersOfASkewedStream) {
  auto stream = skewedStream(50000, 200000, 1);
  std::map<std::string, uint64_t> exact;
  auto hot = std::make_unique<HotKeys>();
  for (const std::string& key : stream) {
    hot->record(key);
    ++exact[key];
  }
  auto top = hot->top();
  ASSERT_EQ(top.size(), HotKeys::kTopK);
  // The five most requested keys are user:0 .. user:4, in that order.
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(top[i].key(), "user:" + std::to_string(i));
  for (const HotKeys::Entry& entry : top) {
    uint64_t truth = exact[std::string(entry.key())];
    EXPECT_GE(entry.count, truth);
    // e * N / width, the sketch's error bound (holds with high probability).
    EXPECT_LE(static_cast<double>(entry.count - truth), 2.72 * 200000 / HotKeys::kWidth);
  }
  EXPECT_EQ(hot->total(), stream.size());
}

TEST(HotKeys, MergedWorkersFindTheSameKeys) {
  auto stream = skewedStream(20000, 100000, 2);
  auto a = std::make_unique<HotKeys>();
  auto b = std::make_unique<HotKeys>();
  auto one = std::make_unique<HotKeys>();
  for (size_t i = 0; i < stream.size(); ++i) {
    (i % 2 == 0 ? *a : *b).record(stream[i]);
    one->record(stream[i]);
  }
  a->merge(*b);
  EXPECT_EQ(a->total(), one->total());
  auto merged = a->top();
  auto single = one->top();
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(merged[i].key(), single[i].key());
    // The merged sketch is the sum of the two, so estimates are the single sketch's.
    EXPECT_EQ(merged[i].count, single[i].count);
  }
}

TEST(HotKeys, LongKeysAreCutAndBinaryKeysKept) {
  auto hot = std::make_unique<HotKeys>();
  std::string long_key(300, 'k');
  std::string binary("a\0b\r\n", 5);
  for (int i = 0; i < 3; ++i) hot->record(long_key);
  hot->record(binary);
  auto top = hot->top();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key(), long_key.substr(0, HotKeys::kMaxKeyBytes));
  EXPECT_EQ(top[0].count, 3u);
  EXPECT_EQ(top[1].key(), binary);
  EXPECT_EQ(hot->estimate(long_key), 3u);
}

}  // namespace
}  // namespace shardis::stats
