// A jump table over a sorted continuum, so a lookup touches one or two cache lines instead of
// walking a binary search through the whole point array (300 servers = 48,000 ketama points,
// whose search alone would cost ~16 dependent cache misses per request).
//
// The 32-bit space is cut into 2^k equal slices, k chosen so that a slice holds about one
// point; the table records where each slice's points start. The point a search wants for a
// key whose top bits fall in slice b is always within [start(b), start(b + 1)], an index
// range the Ring then scans. Built once with the Ring; read-only afterwards.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace shardis::hash {

class ContinuumIndex {
 public:
  struct Range {
    uint32_t begin;
    uint32_t end;
  };

  // `prefixes`: the top 32 bits of every point, ascending (equal values allowed).
  void build(std::span<const uint32_t> prefixes);

  // The index range that holds both the first point >= and the first point > any value whose
  // top 32 bits are `prefix`; `end` may equal the number of points.
  [[nodiscard]] Range range(uint32_t prefix) const {
    const uint32_t slice = prefix >> shift_;
    return Range{starts_[slice], starts_[slice + 1]};
  }

 private:
  uint32_t shift_ = 31;
  std::vector<uint32_t> starts_ = {0, 0, 0};
};

}  // namespace shardis::hash
