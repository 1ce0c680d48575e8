// Rings: the map from a routing key to one server of a pool.
//
// A Ring is built once from the pool's server list (config load, reload, or a change in the
// set of live servers when auto_eject_hosts is on), then shared read-only by every worker
// thread through a shared_ptr and replaced whole. locate() runs on every request: it does not
// allocate, lock, or throw.
//
//   ketama       twemproxy's continuum: 160 points per server (scaled by weight), first
//                point >= hash, wrapping round to the first point.
//   modula       twemproxy's modula: each server repeated `weight` times, slot hash % size.
//   random       twemproxy's random: any live server, chosen per call.
//   redis_shard  the Python library redis-shard 0.3.7: 128 points per server, first point
//                strictly greater than the full-width hash, no wrap-around.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hash/continuum_index.h"
#include "hash/hash_kind.h"

namespace shardis::hash {

struct RingMember {
  std::string name;     // the text the ring hashes for this server's points
  uint32_t weight = 1;  // ketama and modula only; >= 1
};

// A redis_shard point or key hash: one unsigned 160-bit number, wide enough for SHA-1, held
// as 64 + 64 + 32 bits from the most significant end. crc32 fills `low`; md5, a 128-bit
// number, fills `low`, `mid` and the lower half of `high`.
struct WideHash {
  uint64_t high = 0;
  uint64_t mid = 0;
  uint32_t low = 0;
  friend constexpr auto operator<=>(const WideHash&, const WideHash&) = default;
};

// redis-shard's hash of `bytes`: crc32 (zlib, unsigned), md5 or sha1 (whole digest). Other
// kinds fall back to twemproxy's 32-bit function of that name, in `low`.
[[nodiscard]] WideHash redisShardHash(HashKind kind, std::string_view bytes);
// The number in decimal, as Python prints the library's hash.
[[nodiscard]] std::string wideHashDecimal(const WideHash& hash);

class Ring {
 public:
  // locate() when no member is live.
  static constexpr uint32_t kNoLiveMember = UINT32_MAX;

  // `members` in ring order: config/ sorts them by name for ketama, modula and random (as
  // twemproxy does) and keeps the listed order for redis_shard. `live` is empty (all live)
  // or one flag per member: only live members get points (auto_eject_hosts), and the result
  // is the ring twemproxy builds for the remaining servers, still indexing `members`.
  static std::shared_ptr<const Ring> build(Distribution distribution, HashKind hash,
                                           std::span<const RingMember> members,
                                           std::span<const bool> live = {});

  // Index into `members` of the server that owns `routing_key` (the bytes after the hash tag
  // rule). A pool of one (live) server answers 0 without hashing, as twemproxy does; with no
  // live member the answer is kNoLiveMember.
  [[nodiscard]] uint32_t locate(std::string_view routing_key) const;

  // The hash locate() searches for, in decimal: 32-bit for the twemproxy distributions,
  // 128/160-bit for redis_shard with md5/sha1; "random" for the random distribution. For
  // `shardis locate`; allocates.
  [[nodiscard]] std::string hashText(std::string_view routing_key) const;

  [[nodiscard]] size_t liveCount() const { return live_count_; }
  [[nodiscard]] size_t memberCount() const { return member_count_; }
  // Entries in the continuum: points (ketama, redis_shard) or slots (modula, random).
  [[nodiscard]] size_t pointCount() const;
  [[nodiscard]] Distribution distribution() const { return distribution_; }
  [[nodiscard]] HashKind hashKind() const { return hash_; }

  // The continuum, for tests: ketama's sorted point values (empty for the other
  // distributions) and the owning member of each ketama point or modula/random slot.
  [[nodiscard]] std::span<const uint32_t> pointValues() const { return point_values_; }
  [[nodiscard]] std::span<const uint32_t> pointOwners() const { return point_owners_; }

 private:
  Ring(Distribution distribution, HashKind hash, size_t member_count);

  void buildKetama(std::span<const RingMember> members, std::span<const bool> live);
  void buildSlots(std::span<const RingMember> members, std::span<const bool> live, bool weighted);
  void buildRedisShard(std::span<const RingMember> members, std::span<const bool> live);

  [[nodiscard]] uint32_t locateKetama(uint32_t hash) const;
  [[nodiscard]] uint32_t locateRedisShard(std::string_view routing_key) const;
  [[nodiscard]] uint32_t locateRandom() const;

  Distribution distribution_;
  HashKind hash_;
  uint32_t member_count_;
  uint32_t live_count_ = 0;
  // ketama: sorted point values, with the owning member of each in point_owners_.
  // modula/random: point_owners_ holds one slot per weight unit / per live member.
  std::vector<uint32_t> point_values_;
  std::vector<uint32_t> point_owners_;
  // redis_shard: distinct sorted points; point_owners_ gives each one's owner.
  std::vector<WideHash> wide_points_;
  // ketama and redis_shard: where each slice of the hash space starts in the points.
  ContinuumIndex index_;
};

// twemproxy's per-server ketama point count, in its float32 arithmetic: a multiple of 4,
// 160 for an even share, and 156 for some pool sizes (25, 47, 50 ...) where rounding bites.
[[nodiscard]] uint32_t ketamaPointsPerServer(uint32_t weight, uint32_t total_weight,
                                             uint32_t live_count);

// Whether member `index` is live under a `live` mask (empty = all live).
inline bool isLive(std::span<const bool> live, size_t index) {
  return live.empty() || index >= live.size() || live[index];
}

}  // namespace shardis::hash
