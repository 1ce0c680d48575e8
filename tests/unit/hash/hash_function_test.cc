#include "hash/hash_function.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "hash/digest.h"
#include "hash/hash_kind.h"

namespace shardis::hash {
namespace {

// The values twemproxy 0.5.0 gives for the key "apple" (issue 3).
TEST(HashFunction, GoldenValuesForApple) {
  const std::pair<HashKind, uint32_t> golden[] = {
      {HashKind::kOneAtATime, 2297466611u}, {HashKind::kMd5, 3195025439u},
      {HashKind::kCrc16, 3662830516u},      {HashKind::kCrc32, 10542u},
      {HashKind::kCrc32a, 2838417488u},     {HashKind::kFnv1_64, 473199127u},
      {HashKind::kFnv1a_64, 1488911807u},   {HashKind::kFnv1_32, 67176023u},
      {HashKind::kFnv1a_32, 280767167u},    {HashKind::kHsieh, 3738850110u},
      {HashKind::kMurmur, 4142305122u},     {HashKind::kJenkins, 1442444624u},
  };
  for (const auto& [kind, expected] : golden) {
    EXPECT_EQ(hashKey(kind, "apple"), expected) << hashKindName(kind);
  }
}

TEST(HashFunction, EmptyKeyIsDefinedForEveryFunction) {
  // The rings never hash "" (twemproxy maps it to 0), but the functions must still be safe.
  EXPECT_EQ(hashOneAtATime(""), 0u);
  EXPECT_EQ(hashCrc16(""), 0u);
  EXPECT_EQ(hashCrc32a(""), 0u);
  EXPECT_EQ(hashHsieh(""), 0u);
  EXPECT_EQ(hashFnv1a_64(""), 0x84222325u);
  EXPECT_EQ(hashFnv1a_32(""), 2166136261u);
  EXPECT_EQ(hashJenkins(""), 0xdeadbeefu + 13u);
}

TEST(HashFunction, HighBytesAreSignExtendedWhereTwemproxyAddsThem) {
  // One byte 0xe9: twemproxy adds (uint32_t)(char)0xe9 = 0xffffffe9 into the state.
  const std::string high(1, static_cast<char>(0xe9));
  uint32_t expected = 0xffffffe9u;
  expected += expected << 10;
  expected ^= expected >> 6;
  expected += expected << 3;
  expected ^= expected >> 11;
  expected += expected << 15;
  EXPECT_EQ(hashOneAtATime(high), expected);
  EXPECT_EQ(hashFnv1a_32(high), (2166136261u ^ 0xffffffe9u) * 16777619u);
  EXPECT_EQ(hashFnv1_64(high), (0x84222325u * 0x1b3u) ^ 0xffffffe9u);
}

TEST(HashFunction, Crc32IsTheTruncatedHighHalf) {
  for (const char* key : {"apple", "key:1", "{user1000}.following", ""}) {
    EXPECT_EQ(hashCrc32(key), (crc32(key) >> 16) & 0x7fffu) << key;
    EXPECT_EQ(hashCrc32a(key), crc32(key)) << key;
  }
  EXPECT_EQ(crc32("123456789"), 0xcbf43926u);  // the standard CRC-32 check value
}

TEST(HashFunction, JenkinsCoversEveryTailLength) {
  // lookup3's final block has a case per length 1..12; longer keys take the mixing loop.
  // All must be deterministic, distinct for these keys, and safe under the sanitizers.
  const std::string text = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint32_t previous = hashJenkins("");
  for (size_t len = 1; len <= text.size(); ++len) {
    const uint32_t value = hashJenkins(std::string_view(text).substr(0, len));
    EXPECT_NE(value, previous) << len;
    EXPECT_EQ(value, hashJenkins(std::string(text, 0, len))) << len;
    previous = value;
  }
}

TEST(HashFunction, DigestsMatchKnownValues) {
  const Md5Digest digest = md5("");
  EXPECT_EQ(digest[0], 0xd4);
  EXPECT_EQ(digest[15], 0x7e);
  const Sha1Digest sha = sha1("abc");
  EXPECT_EQ(sha[0], 0xa9);
  EXPECT_EQ(sha[19], 0x9d);
}

}  // namespace
}  // namespace shardis::hash
