// twemproxy's ketama continuum (nutcracker 0.5.0, nc_ketama.c), rebuilt from its behaviour.
#include <algorithm>
#include <cmath>
#include <string>

#include "hash/digest.h"
#include "hash/ring.h"

namespace shardis::hash {
namespace {

constexpr uint32_t kPointsPerServer = 160;  // at an even share of the total weight
constexpr uint32_t kPointsPerDigest = 4;    // each MD5 digest yields four 32-bit points

struct Point {
  uint32_t value;
  uint32_t owner;
};

// Appends the points of one server: digests of "<name>-0", "<name>-1", ..., each split into
// four little-endian words. twemproxy formats the label into an 86-byte buffer but hashes
// the untruncated length, so for names of 83 bytes or more it digests bytes past the buffer;
// nothing can reproduce that, and the whole label is hashed here.
void appendServerPoints(const std::string& name, uint32_t owner, uint32_t points,
                        std::vector<Point>& out) {
  std::string label;
  for (uint32_t digest_index = 0; digest_index < points / kPointsPerDigest; ++digest_index) {
    label.assign(name);
    label.push_back('-');
    label.append(std::to_string(digest_index));
    const Md5Digest digest = md5(label);
    for (size_t word = 0; word < kPointsPerDigest; ++word) {
      const uint8_t* p = digest.data() + 4 * word;
      const uint32_t value = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                             (static_cast<uint32_t>(p[2]) << 16) |
                             (static_cast<uint32_t>(p[3]) << 24);
      out.push_back(Point{value, owner});
    }
  }
}

}  // namespace

uint32_t ketamaPointsPerServer(uint32_t weight, uint32_t total_weight, uint32_t live_count) {
  // Each step rounds to float32 exactly as twemproxy's expression does on x86-64 (SSE, no
  // contraction); that rounding is why 25 equal servers get 156 points each, not 160. The
  // tiny double addend is twemproxy's too; it cannot move a float of this size.
  const float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float share = pct * static_cast<float>(kPointsPerServer);
  share = share / static_cast<float>(kPointsPerDigest);
  share = share * static_cast<float>(live_count);
  const float digests = std::floor(static_cast<float>(static_cast<double>(share) + 1e-10));
  return static_cast<uint32_t>(digests) * kPointsPerDigest;
}

void Ring::buildKetama(std::span<const RingMember> members, std::span<const bool> live) {
  uint32_t total_weight = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (isLive(live, i)) total_weight += members[i].weight;
  }
  std::vector<Point> points;
  points.reserve(static_cast<size_t>(live_count_) * kPointsPerServer);
  for (size_t i = 0; i < members.size(); ++i) {
    if (!isLive(live, i)) continue;
    const uint32_t count = ketamaPointsPerServer(members[i].weight, total_weight, live_count_);
    appendServerPoints(members[i].name, static_cast<uint32_t>(i), count, points);
  }
  // twemproxy calls qsort(), which glibc implements as a merge sort: points with equal values
  // keep their generation order, and the first of them is the one a lookup finds.
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.value < b.value; });
  point_values_.reserve(points.size());
  point_owners_.reserve(points.size());
  for (const Point& point : points) {
    point_values_.push_back(point.value);
    point_owners_.push_back(point.owner);
  }
  index_.build(point_values_);
}

uint32_t Ring::locateKetama(uint32_t hash) const {
  // The slice of the continuum that can hold the first point >= hash holds about one point,
  // so a short scan beats a search; a crowded slice (equal points) falls back to one.
  constexpr uint32_t kScanLimit = 8;
  const ContinuumIndex::Range range = index_.range(hash);
  const uint32_t* values = point_values_.data();
  uint32_t index = range.begin;
  if (range.end - range.begin <= kScanLimit) {
    while (index < range.end && values[index] < hash) ++index;
  } else {
    index = static_cast<uint32_t>(std::lower_bound(values + range.begin, values + range.end, hash) -
                                  values);
  }
  if (index == point_values_.size()) index = 0;  // past the last point: wrap round
  return point_owners_[index];
}

}  // namespace shardis::hash
