#include "hash/hash_kind.h"

#include <gtest/gtest.h>

#include <string>

namespace shardis::hash {
namespace {

TEST(HashKind, EveryNameRoundTrips) {
  const char* names[] = {"one_at_a_time", "md5",      "crc16",   "crc32",    "crc32a",
                         "fnv1_64",       "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh",
                         "murmur",        "jenkins",  "sha1"};
  for (const char* name : names) {
    const auto kind = parseHashKind(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_EQ(hashKindName(*kind), name);
  }
  EXPECT_EQ(parseHashKind("fnv1a_64"), HashKind::kFnv1a_64);
  EXPECT_FALSE(parseHashKind("fnv2").has_value());
  EXPECT_FALSE(parseHashKind("MD5").has_value());
  EXPECT_FALSE(parseHashKind("").has_value());
}

TEST(HashKind, DistributionsRoundTrip) {
  for (const char* name : {"ketama", "modula", "random", "redis_shard"}) {
    const auto distribution = parseDistribution(name);
    ASSERT_TRUE(distribution.has_value()) << name;
    EXPECT_EQ(distributionName(*distribution), name);
  }
  EXPECT_EQ(parseDistribution("redis_shard"), Distribution::kRedisShard);
  EXPECT_FALSE(parseDistribution("vnode").has_value());
}

TEST(HashKind, TwemproxyNamesListsTheTwelveInOrder) {
  const std::string names(twemproxyHashNames());
  EXPECT_EQ(names.rfind("one_at_a_time, md5, crc16", 0), 0u);
  EXPECT_NE(names.find("jenkins"), std::string::npos);
  EXPECT_EQ(names.find("sha1"), std::string::npos);
}

}  // namespace
}  // namespace shardis::hash
