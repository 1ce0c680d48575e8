#include "hash/continuum_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace shardis::hash {
namespace {

// For every probe, the true lower and upper bounds must lie inside the range returned.
void expectRangesHoldTheBounds(std::vector<uint32_t> points, const std::vector<uint32_t>& probes) {
  std::sort(points.begin(), points.end());
  ContinuumIndex index;
  index.build(points);
  for (uint32_t probe : probes) {
    const auto range = index.range(probe);
    const auto lower = static_cast<uint32_t>(std::lower_bound(points.begin(), points.end(), probe) -
                                             points.begin());
    const auto upper = static_cast<uint32_t>(std::upper_bound(points.begin(), points.end(), probe) -
                                             points.begin());
    ASSERT_LE(range.begin, lower) << probe;
    ASSERT_GE(range.end, upper) << probe;
    ASSERT_LE(range.end, points.size()) << probe;
  }
}

std::vector<uint32_t> edgeProbes() {
  return {0u, 1u, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu, 12345u};
}

TEST(ContinuumIndex, RandomPointsAndProbes) {
  std::mt19937 rng(7);
  for (size_t count : {1u, 2u, 3u, 480u, 4800u, 48000u}) {
    std::vector<uint32_t> points(count);
    for (uint32_t& point : points) point = static_cast<uint32_t>(rng());
    std::vector<uint32_t> probes = edgeProbes();
    for (int i = 0; i < 5000; ++i) probes.push_back(static_cast<uint32_t>(rng()));
    probes.insert(probes.end(), points.begin(), points.end());  // exact hits
    expectRangesHoldTheBounds(points, probes);
  }
}

TEST(ContinuumIndex, ExtremeAndRepeatedPoints) {
  expectRangesHoldTheBounds({0u, 0u, 0xffffffffu, 0xffffffffu}, edgeProbes());
  expectRangesHoldTheBounds(std::vector<uint32_t>(100, 42u), {0u, 41u, 42u, 43u, 0xffffffffu});
  expectRangesHoldTheBounds({}, edgeProbes());
}

TEST(ContinuumIndex, SlicesHoldAboutOnePoint) {
  std::vector<uint32_t> points(48000);
  for (size_t i = 0; i < points.size(); ++i) {
    points[i] = static_cast<uint32_t>(i * (0xffffffffull / points.size()));
  }
  ContinuumIndex index;
  index.build(points);
  for (uint32_t probe : {0u, 0x10000000u, 0x80000000u, 0xf0000000u}) {
    const auto range = index.range(probe);
    EXPECT_LE(range.end - range.begin, 2u) << probe;
  }
}

}  // namespace
}  // namespace shardis::hash
