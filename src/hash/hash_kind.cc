#include "hash/hash_kind.h"

#include <array>

namespace shardis::hash {
namespace {

// Indexed by the enum's value; the first twelve are twemproxy's, in its documented order,
// which is also the order twemproxyHashNames() lists them in.
constexpr std::array<std::string_view, 13> kHashNames = {
    "one_at_a_time", "md5",      "crc16", "crc32",  "crc32a",  "fnv1_64", "fnv1a_64",
    "fnv1_32",       "fnv1a_32", "hsieh", "murmur", "jenkins", "sha1",
};

constexpr std::array<std::string_view, 4> kDistributionNames = {
    "ketama",
    "modula",
    "random",
    "redis_shard",
};

}  // namespace

std::optional<HashKind> parseHashKind(std::string_view name) {
  for (size_t i = 0; i < kHashNames.size(); ++i) {
    if (kHashNames[i] == name) return static_cast<HashKind>(i);
  }
  return std::nullopt;
}

std::optional<Distribution> parseDistribution(std::string_view name) {
  for (size_t i = 0; i < kDistributionNames.size(); ++i) {
    if (kDistributionNames[i] == name) return static_cast<Distribution>(i);
  }
  return std::nullopt;
}

std::string_view hashKindName(HashKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kHashNames.size() ? kHashNames[index] : std::string_view("unknown");
}

std::string_view distributionName(Distribution distribution) {
  const auto index = static_cast<size_t>(distribution);
  return index < kDistributionNames.size() ? kDistributionNames[index]
                                           : std::string_view("unknown");
}

std::string_view twemproxyHashNames() {
  return "one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, "
         "hsieh, murmur, jenkins";
}

}  // namespace shardis::hash
