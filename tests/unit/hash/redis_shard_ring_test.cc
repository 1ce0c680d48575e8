#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "hash/digest.h"
#include "hash/ring.h"

namespace shardis::hash {
namespace {

std::vector<RingMember> names(std::initializer_list<const char*> list) {
  std::vector<RingMember> members;
  for (const char* name : list) members.push_back(RingMember{name, 1});
  return members;
}

TEST(RedisShardRing, HashesAreTheLibrarysFullWidthNumbers) {
  // Python: binascii.crc32(b"apple"), int(md5(b"").hexdigest(), 16), int(sha1(b"abc")...).
  EXPECT_EQ(wideHashDecimal(redisShardHash(HashKind::kCrc32, "apple")), "2838417488");
  EXPECT_EQ(wideHashDecimal(redisShardHash(HashKind::kMd5, "")),
            "281949768489412648962353822266799178366");
  EXPECT_EQ(wideHashDecimal(redisShardHash(HashKind::kSha1, "abc")),
            "968236873715988614170569073515315707566766479517");
  EXPECT_EQ(wideHashDecimal(WideHash{}), "0");
}

TEST(RedisShardRing, HashTextShowsTheFullWidthHash) {
  const auto members = names({"server1", "server2", "server3"});
  EXPECT_EQ(Ring::build(Distribution::kRedisShard, HashKind::kSha1, members)->hashText("user1000"),
            "645931658817099780613336053392698226116518016707");
  EXPECT_EQ(Ring::build(Distribution::kRedisShard, HashKind::kCrc32, members)->hashText("apple"),
            "2838417488");
}

TEST(RedisShardRing, HasOneHundredTwentyEightPointsPerServerWhateverTheWeight) {
  std::vector<RingMember> members = names({"a", "b", "c"});
  members[1].weight = 5;
  const auto ring = Ring::build(Distribution::kRedisShard, HashKind::kMd5, members);
  EXPECT_EQ(ring->pointCount(), 3u * 128u);
}

TEST(RedisShardRing, KeyGoesToFirstPointStrictlyAboveItsHash) {
  // A plain model of the library: every (crc32, owner) point, a dict where later wins, then
  // bisect_right clamped to the last index. Point labels themselves are the interesting keys:
  // they hash exactly onto a point and must go to the next one.
  const auto members = names({"s", "t"});
  const auto ring = Ring::build(Distribution::kRedisShard, HashKind::kCrc32, members);
  std::map<uint32_t, uint32_t> model;
  for (uint32_t owner = 0; owner < members.size(); ++owner) {
    for (int i = 0; i < 128; ++i)
      model[crc32(members[owner].name + ":" + std::to_string(i))] = owner;
  }
  auto expected = [&](const std::string& key) {
    auto it = model.upper_bound(crc32(key));
    if (it == model.end()) --it;
    return it->second;
  };
  for (const RingMember& member : members) {
    for (int i = 0; i < 128; ++i) {
      const std::string key = member.name + ":" + std::to_string(i);
      EXPECT_EQ(ring->locate(key), expected(key)) << key;
    }
  }
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(ring->locate(key), expected(key)) << key;
  }
}

TEST(RedisShardRing, EqualPointsBelongToTheServerListedLater) {
  // Two members with one name produce identical points; the dict in the library keeps the
  // later insertion, so member 0 never owns anything.
  const auto members = names({"x", "y", "x"});
  for (HashKind kind : {HashKind::kCrc32, HashKind::kMd5, HashKind::kSha1}) {
    const auto ring = Ring::build(Distribution::kRedisShard, kind, members);
    for (int i = 0; i < 500; ++i) {
      EXPECT_NE(ring->locate("key:" + std::to_string(i)), 0u) << hashKindName(kind);
    }
  }
}

TEST(RedisShardRing, HashPastTheLastPointStaysWithItsOwner) {
  // No wrap-around: find a key above every point and check it lands on the largest point's
  // owner, not on the first point's.
  const auto members = names({"server1", "server2", "server3"});
  const auto ring = Ring::build(Distribution::kRedisShard, HashKind::kCrc32, members);
  const std::span<const uint32_t> owners = ring->pointOwners();
  uint32_t largest = 0;
  for (int i = 0; i < 128; ++i) {
    for (const RingMember& member : members) {
      largest = std::max(largest, crc32(member.name + ":" + std::to_string(i)));
    }
  }
  int found = 0;
  for (int i = 0; i < 200000 && found < 3; ++i) {
    const std::string key = "k" + std::to_string(i);
    if (crc32(key) < largest) continue;
    ++found;
    EXPECT_EQ(ring->locate(key), owners.back()) << key;
  }
  EXPECT_GT(found, 0);
}

TEST(RedisShardRing, EjectionEqualsTheRingOfTheRemainingServers) {
  const auto members = names({"server1", "server2", "server3", "server4"});
  const bool live[] = {true, false, true, true};
  const auto remaining = names({"server1", "server3", "server4"});
  const auto ejected = Ring::build(Distribution::kRedisShard, HashKind::kMd5, members, live);
  const auto rebuilt = Ring::build(Distribution::kRedisShard, HashKind::kMd5, remaining);
  EXPECT_EQ(ejected->liveCount(), 3u);
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(members[ejected->locate(key)].name, remaining[rebuilt->locate(key)].name) << key;
  }
}

}  // namespace
}  // namespace shardis::hash
