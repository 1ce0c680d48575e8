#include "hash/ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hash/hash_function.h"

namespace shardis::hash {
namespace {

std::vector<RingMember> equalServers(size_t count) {
  std::vector<RingMember> members;
  for (size_t i = 0; i < count; ++i) {
    members.push_back(RingMember{"10.0.0." + std::to_string(i) + ":6379", 1});
  }
  return members;
}

std::string keyNumber(int i) { return "key:" + std::to_string(i); }

TEST(KetamaPoints, EvenShareIsOneHundredSixty) {
  for (uint32_t n : {1u, 2u, 3u, 4u, 10u, 30u, 300u}) {
    EXPECT_EQ(ketamaPointsPerServer(1, n, n), 160u) << n;
  }
}

TEST(KetamaPoints, Float32RoundingGivesOneHundredFiftySixForSomePoolSizes) {
  // (1/n)*160/4*n lands just below 40 in float32 for these n, and floor() drops a digest.
  for (uint32_t n : {25u, 47u, 50u, 55u, 100u}) {
    EXPECT_EQ(ketamaPointsPerServer(1, n, n), 156u) << n;
  }
  const auto ring = Ring::build(Distribution::kKetama, HashKind::kFnv1a_64, equalServers(25));
  EXPECT_EQ(ring->pointCount(), 25u * 156u);
}

TEST(KetamaPoints, WeightsScaleTheShare) {
  // alpha:1 beta:2 gamma:3 delta:1 (total 7, four servers): floor(w/7*40*4) digests each.
  EXPECT_EQ(ketamaPointsPerServer(1, 7, 4), 88u);
  EXPECT_EQ(ketamaPointsPerServer(2, 7, 4), 180u);
  EXPECT_EQ(ketamaPointsPerServer(3, 7, 4), 272u);
}

// The lookup against a plain std::lower_bound over the exposed continuum. md5 and murmur
// spread short keys over the whole 32-bit space, so some land past the last point and take
// the wrap-around path (fnv1a_64's small prime leaves the top bits of "key:N" skewed).
void expectFirstPointAtOrAbove(HashKind kind, size_t servers) {
  const auto members = equalServers(servers);
  const auto ring = Ring::build(Distribution::kKetama, kind, members);
  const std::span<const uint32_t> values = ring->pointValues();
  const std::span<const uint32_t> owners = ring->pointOwners();
  ASSERT_EQ(values.size(), servers * 160);
  EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));
  int wrapped = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = keyNumber(i);
    const uint32_t hash = hashKey(kind, key);
    auto it = std::lower_bound(values.begin(), values.end(), hash);
    if (it == values.end()) {
      it = values.begin();
      ++wrapped;
    }
    ASSERT_EQ(ring->locate(key), owners[static_cast<size_t>(it - values.begin())]) << key;
  }
  EXPECT_GT(wrapped, 0) << hashKindName(kind);
}

TEST(KetamaRing, LookupIsFirstPointAtOrAboveTheHash) {
  expectFirstPointAtOrAbove(HashKind::kMd5, 3);
  expectFirstPointAtOrAbove(HashKind::kMurmur, 3);
  expectFirstPointAtOrAbove(HashKind::kMurmur, 30);
}

TEST(KetamaRing, EqualPointsKeepGenerationOrder) {
  // Two members with one name make every point a tie; the stable sort keeps the first
  // member's copy in front, so it wins every lookup.
  const std::vector<RingMember> members = {{"same", 1}, {"same", 1}, {"other", 1}};
  const auto ring = Ring::build(Distribution::kKetama, HashKind::kMd5, members);
  const std::span<const uint32_t> values = ring->pointValues();
  const std::span<const uint32_t> owners = ring->pointOwners();
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] == values[i - 1] && owners[i] != 2) {
      EXPECT_LT(owners[i - 1], owners[i]);
    }
  }
  for (int i = 0; i < 1000; ++i) EXPECT_NE(ring->locate(keyNumber(i)), 1u);
}

TEST(KetamaRing, CrowdedTiesStillGoToTheFirstGenerated) {
  // Six copies of one name: every slice of the continuum holds six or more equal points, so
  // lookups take the search path rather than the short scan, and member 0 wins every tie.
  const std::vector<RingMember> members(6, RingMember{"same", 1});
  const auto ring = Ring::build(Distribution::kKetama, HashKind::kMd5, members);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(ring->locate(keyNumber(i)), 0u);
}

TEST(Ring, PoolOfOneServerAlwaysAnswersZero) {
  const auto members = equalServers(1);
  for (Distribution distribution : {Distribution::kKetama, Distribution::kModula,
                                    Distribution::kRandom, Distribution::kRedisShard}) {
    const auto ring = Ring::build(distribution, HashKind::kCrc32, members);
    EXPECT_EQ(ring->locate("anything"), 0u);
    EXPECT_EQ(ring->locate(""), 0u);
  }
}

TEST(Ring, EmptyKeyHashesToZero) {
  const auto members = equalServers(5);
  const auto ketama = Ring::build(Distribution::kKetama, HashKind::kMurmur, members);
  EXPECT_EQ(ketama->hashText(""), "0");
  EXPECT_EQ(ketama->locate(""), ketama->pointOwners()[0]);  // the first point is >= 0
  const auto modula = Ring::build(Distribution::kModula, HashKind::kMurmur, members);
  EXPECT_EQ(modula->locate(""), 0u);
}

TEST(Ring, ModulaRepeatsEachServerByWeight) {
  const std::vector<RingMember> members = {{"a", 1}, {"b", 2}, {"c", 3}};
  const auto ring = Ring::build(Distribution::kModula, HashKind::kFnv1a_32, members);
  EXPECT_EQ(ring->pointCount(), 6u);
  const uint32_t slots[] = {0, 1, 1, 2, 2, 2};
  for (int i = 0; i < 1000; ++i) {
    const std::string key = keyNumber(i);
    EXPECT_EQ(ring->locate(key), slots[hashFnv1a_32(key) % 6]) << key;
  }
  EXPECT_EQ(ring->hashText("apple"), "280767167");
}

TEST(Ring, RandomPicksOnlyLiveServers) {
  const auto members = equalServers(4);
  const bool live[] = {true, false, true, true};
  const auto ring = Ring::build(Distribution::kRandom, HashKind::kFnv1a_64, members, live);
  EXPECT_EQ(ring->liveCount(), 3u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(ring->locate("same key"));
  EXPECT_EQ(seen, (std::set<uint32_t>{0, 2, 3}));
  EXPECT_EQ(ring->hashText("k"), "random");
}

TEST(Ring, NoLiveServerIsReported) {
  const auto members = equalServers(3);
  const bool live[] = {false, false, false};
  for (Distribution distribution : {Distribution::kKetama, Distribution::kModula,
                                    Distribution::kRandom, Distribution::kRedisShard}) {
    const auto ring = Ring::build(distribution, HashKind::kCrc32, members, live);
    EXPECT_EQ(ring->liveCount(), 0u);
    EXPECT_EQ(ring->locate("key"), Ring::kNoLiveMember);
  }
}

// twemproxy rebuilds its continuum from the live servers only, keeping their indexes; the
// result must equal a ring built from the remaining servers alone, weights included.
void expectEjectionEqualsRebuild(Distribution distribution) {
  const std::vector<RingMember> members = {
      {"beta", 2}, {"alpha", 1}, {"delta", 1}, {"gamma", 3}, {"epsilon", 2}};
  const bool live[] = {true, false, true, true, false};
  const std::vector<RingMember> remaining = {{"beta", 2}, {"delta", 1}, {"gamma", 3}};
  const auto ejected = Ring::build(distribution, HashKind::kFnv1a_64, members, live);
  const auto rebuilt = Ring::build(distribution, HashKind::kFnv1a_64, remaining);
  EXPECT_EQ(ejected->pointCount(), rebuilt->pointCount());
  for (int i = 0; i < 5000; ++i) {
    const std::string key = keyNumber(i);
    const uint32_t index = ejected->locate(key);
    ASSERT_TRUE(index < members.size() && live[index]) << key;
    EXPECT_EQ(members[index].name, remaining[rebuilt->locate(key)].name) << key;
  }
}

TEST(Ring, KetamaEjectionEqualsRingOfRemainingServers) {
  expectEjectionEqualsRebuild(Distribution::kKetama);
}

TEST(Ring, ModulaEjectionEqualsRingOfRemainingServers) {
  expectEjectionEqualsRebuild(Distribution::kModula);
}

TEST(Ring, OneRingServesManyThreads) {
  // Workers share one immutable ring; each must see the single-threaded answers, and random
  // must stay within the pool while every thread draws from its own generator.
  const auto members = equalServers(30);
  const auto ketama = Ring::build(Distribution::kKetama, HashKind::kFnv1a_64, members);
  const auto random = Ring::build(Distribution::kRandom, HashKind::kFnv1a_64, members);
  std::vector<uint32_t> expected;
  for (int i = 0; i < 5000; ++i) expected.push_back(ketama->locate(keyNumber(i)));
  std::vector<int> failures(4, 0);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < failures.size(); ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        if (ketama->locate(keyNumber(i)) != expected[static_cast<size_t>(i)]) ++failures[t];
        if (random->locate(keyNumber(i)) >= members.size()) ++failures[t];
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (int count : failures) EXPECT_EQ(count, 0);
}

TEST(Ring, KetamaSpreadsKeysOverAllServers) {
  const auto members = equalServers(30);
  const auto ring = Ring::build(Distribution::kKetama, HashKind::kFnv1a_64, members);
  std::vector<int> counts(members.size());
  for (int i = 0; i < 30000; ++i) ++counts[ring->locate(keyNumber(i))];
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_GT(counts[i], 500) << members[i].name;
    EXPECT_LT(counts[i], 1600) << members[i].name;
  }
}

}  // namespace
}  // namespace shardis::hash
