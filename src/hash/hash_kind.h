// Names of the hash functions and distributions a pool may configure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shardis::hash {

// twemproxy's twelve hash functions, plus sha1, which only the redis_shard distribution
// accepts. Under redis_shard, kCrc32/kMd5/kSha1 mean the Python library's full-width
// functions, not twemproxy's truncated ones.
enum class HashKind : uint8_t {
  kOneAtATime,
  kMd5,
  kCrc16,
  kCrc32,
  kCrc32a,
  kFnv1_64,
  kFnv1a_64,
  kFnv1_32,
  kFnv1a_32,
  kHsieh,
  kMurmur,
  kJenkins,
  kSha1,
};

enum class Distribution : uint8_t { kKetama, kModula, kRandom, kRedisShard };

// Parse the names used in the config file ("fnv1a_64", "ketama", ...); nullopt if unknown.
std::optional<HashKind> parseHashKind(std::string_view name);
std::optional<Distribution> parseDistribution(std::string_view name);
std::string_view hashKindName(HashKind kind);
std::string_view distributionName(Distribution distribution);
// "one_at_a_time, md5, crc16, ..." for error messages: the twemproxy names, in that order.
std::string_view twemproxyHashNames();

}  // namespace shardis::hash
