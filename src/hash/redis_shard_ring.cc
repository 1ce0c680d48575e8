// The consistent hash ring of the Python library redis-shard 0.3.7 (its HashRing class),
// rebuilt from its behaviour: 128 points per server labelled "<name>:<i>", Python's
// bisect_right over the sorted points, the last index when the hash is past the end.
#include <algorithm>
#include <array>
#include <string>

#include "hash/digest.h"
#include "hash/hash_function.h"
#include "hash/ring.h"

namespace shardis::hash {
namespace {

constexpr uint32_t kReplicas = 128;

uint64_t bigEndian64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | p[i];
  return value;
}

// The top 32 bits of a hash of this kind, the key of the ring's ContinuumIndex.
uint32_t topBits(HashKind kind, const WideHash& hash) {
  switch (kind) {
    case HashKind::kSha1:
      return static_cast<uint32_t>(hash.high >> 32);
    case HashKind::kMd5:
      return static_cast<uint32_t>(hash.high);
    default:
      return hash.low;  // crc32 and the other 32-bit kinds
  }
}

struct OwnedPoint {
  WideHash value;
  uint32_t owner;
};

}  // namespace

WideHash redisShardHash(HashKind kind, std::string_view bytes) {
  WideHash hash;
  switch (kind) {
    case HashKind::kCrc32:
      hash.low = crc32(bytes);
      break;
    case HashKind::kMd5: {
      // A 128-bit number: the top 32 of its bits sit in the low half of `high`.
      const Md5Digest digest = md5(bytes);
      hash.high = bigEndian64(digest.data()) >> 32;
      hash.mid = bigEndian64(digest.data() + 4);
      hash.low = static_cast<uint32_t>(bigEndian64(digest.data() + 8) & 0xffffffffu);
      break;
    }
    case HashKind::kSha1: {
      const Sha1Digest digest = sha1(bytes);
      hash.high = bigEndian64(digest.data());
      hash.mid = bigEndian64(digest.data() + 8);
      hash.low = static_cast<uint32_t>(bigEndian64(digest.data() + 12) & 0xffffffffu);
      break;
    }
    default:
      hash.low = hashKey(kind, bytes);
      break;
  }
  return hash;
}

std::string wideHashDecimal(const WideHash& hash) {
  // Long division by 10 of the 160-bit number held as five big-endian 32-bit limbs.
  std::array<uint32_t, 5> limbs = {
      static_cast<uint32_t>(hash.high >> 32), static_cast<uint32_t>(hash.high),
      static_cast<uint32_t>(hash.mid >> 32), static_cast<uint32_t>(hash.mid), hash.low};
  std::string digits;
  bool nonzero = true;
  while (nonzero) {
    uint64_t remainder = 0;
    nonzero = false;
    for (uint32_t& limb : limbs) {
      const uint64_t current = (remainder << 32) | limb;
      limb = static_cast<uint32_t>(current / 10);
      remainder = current % 10;
      nonzero = nonzero || limb != 0;
    }
    digits.push_back(static_cast<char>('0' + remainder));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

void Ring::buildRedisShard(std::span<const RingMember> members, std::span<const bool> live) {
  std::vector<OwnedPoint> points;
  points.reserve(static_cast<size_t>(live_count_) * kReplicas);
  std::string label;
  for (size_t i = 0; i < members.size(); ++i) {
    if (!isLive(live, i)) continue;
    for (uint32_t replica = 0; replica < kReplicas; ++replica) {
      label.assign(members[i].name);
      label.push_back(':');
      label.append(std::to_string(replica));
      points.push_back(OwnedPoint{redisShardHash(hash_, label), static_cast<uint32_t>(i)});
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const OwnedPoint& a, const OwnedPoint& b) { return a.value < b.value; });
  // The library keeps points in a dict, so of equal points the one inserted last (the server
  // listed later) owns the value. Keeping one entry per distinct value, with that owner,
  // gives the same answers under an upper-bound search.
  for (size_t i = 0; i < points.size(); ++i) {
    if (i + 1 < points.size() && points[i + 1].value == points[i].value) continue;
    wide_points_.push_back(points[i].value);
    point_owners_.push_back(points[i].owner);
  }
  std::vector<uint32_t> prefixes;
  prefixes.reserve(wide_points_.size());
  for (const WideHash& point : wide_points_) prefixes.push_back(topBits(hash_, point));
  index_.build(prefixes);
}

uint32_t Ring::locateRedisShard(std::string_view routing_key) const {
  if (wide_points_.empty()) return kNoLiveMember;
  const WideHash hash = redisShardHash(hash_, routing_key);
  const ContinuumIndex::Range range = index_.range(topBits(hash_, hash));
  const auto first = wide_points_.begin() + range.begin;
  const auto last = wide_points_.begin() + range.end;
  // First point strictly greater (Python's bisect_right).
  size_t index = static_cast<size_t>(std::upper_bound(first, last, hash) - wide_points_.begin());
  // No wrap-around: a hash at or past the largest point stays with that point's owner.
  if (index == wide_points_.size()) index = wide_points_.size() - 1;
  return point_owners_[index];
}

}  // namespace shardis::hash
