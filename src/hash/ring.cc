#include "hash/ring.h"

#include <functional>
#include <random>
#include <thread>

#include "hash/hash_function.h"

namespace shardis::hash {
namespace {

// twemproxy hashes an empty key to 0 instead of calling the function (whose value for ""
// is not 0 for most of them); the same applies to modula.
uint32_t twemproxyHash(HashKind kind, std::string_view key) {
  return key.empty() ? 0 : hashKey(kind, key);
}

// xorshift64*: a per-thread generator, so `random` needs neither a lock nor shared state.
uint64_t nextRandom() {
  thread_local uint64_t state = [] {
    std::random_device device;
    const uint64_t seed = (static_cast<uint64_t>(device()) << 32) ^ device() ^
                          std::hash<std::thread::id>{}(std::this_thread::get_id());
    return seed == 0 ? 0x9e3779b97f4a7c15ull : seed;
  }();
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dull;
}

}  // namespace

Ring::Ring(Distribution distribution, HashKind hash, size_t member_count)
    : distribution_(distribution),
      hash_(hash),
      member_count_(static_cast<uint32_t>(member_count)) {}

std::shared_ptr<const Ring> Ring::build(Distribution distribution, HashKind hash,
                                        std::span<const RingMember> members,
                                        std::span<const bool> live) {
  std::shared_ptr<Ring> ring(new Ring(distribution, hash, members.size()));
  for (size_t i = 0; i < members.size(); ++i) {
    if (isLive(live, i)) ++ring->live_count_;
  }
  switch (distribution) {
    case Distribution::kKetama:
      ring->buildKetama(members, live);
      break;
    case Distribution::kModula:
      ring->buildSlots(members, live, /*weighted=*/true);
      break;
    case Distribution::kRandom:
      ring->buildSlots(members, live, /*weighted=*/false);
      break;
    case Distribution::kRedisShard:
      ring->buildRedisShard(members, live);
      break;
  }
  return ring;
}

void Ring::buildSlots(std::span<const RingMember> members, std::span<const bool> live,
                      bool weighted) {
  for (size_t i = 0; i < members.size(); ++i) {
    if (!isLive(live, i)) continue;
    const uint32_t copies = weighted ? members[i].weight : 1;
    point_owners_.insert(point_owners_.end(), copies, static_cast<uint32_t>(i));
  }
}

size_t Ring::pointCount() const {
  return distribution_ == Distribution::kRedisShard ? wide_points_.size() : point_owners_.size();
}

uint32_t Ring::locate(std::string_view routing_key) const {
  if (live_count_ == 0) return kNoLiveMember;
  if (member_count_ == 1) return 0;
  switch (distribution_) {
    case Distribution::kKetama:
      return locateKetama(twemproxyHash(hash_, routing_key));
    case Distribution::kModula: {
      const uint32_t hash = twemproxyHash(hash_, routing_key);
      return point_owners_[hash % point_owners_.size()];
    }
    case Distribution::kRandom:
      return locateRandom();
    case Distribution::kRedisShard:
      return locateRedisShard(routing_key);
  }
  return kNoLiveMember;
}

uint32_t Ring::locateRandom() const { return point_owners_[nextRandom() % point_owners_.size()]; }

std::string Ring::hashText(std::string_view routing_key) const {
  switch (distribution_) {
    case Distribution::kRandom:
      return "random";
    case Distribution::kRedisShard:
      return wideHashDecimal(redisShardHash(hash_, routing_key));
    case Distribution::kKetama:
    case Distribution::kModula:
      break;
  }
  return std::to_string(twemproxyHash(hash_, routing_key));
}

}  // namespace shardis::hash
