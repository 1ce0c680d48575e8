#include "app/cpus.h"

#include <gtest/gtest.h>

namespace shardis::app {
namespace {

TEST(Cpus, CgroupV2CpuMax) {
  EXPECT_EQ(parseCpuMax("max 100000\n"), std::nullopt);
  EXPECT_EQ(parseCpuMax("150000 100000\n"), 1.5);
  EXPECT_EQ(parseCpuMax("50000 100000"), 0.5);
  EXPECT_EQ(parseCpuMax(""), std::nullopt);
  EXPECT_EQ(parseCpuMax("garbage"), std::nullopt);
  EXPECT_EQ(parseCpuMax("100000 0"), std::nullopt);
}

TEST(Cpus, CgroupV1CfsQuota) {
  EXPECT_EQ(parseCfsQuota("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(parseCfsQuota("200000\n", "100000\n"), 2.0);
  EXPECT_EQ(parseCfsQuota("x", "100000"), std::nullopt);
}

TEST(Cpus, TheAffinityMaskCappedByTheQuotaRoundedUp) {
  EXPECT_EQ(usableCpus({8, std::nullopt}), 8u);
  EXPECT_EQ(usableCpus({8, 1.0}), 1u);  // a sidecar limited to one CPU: one worker
  EXPECT_EQ(usableCpus({8, 1.5}), 2u);
  EXPECT_EQ(usableCpus({8, 0.25}), 1u);
  EXPECT_EQ(usableCpus({2, 16.0}), 2u);  // a quota above the mask changes nothing
  EXPECT_EQ(usableCpus({0, std::nullopt}), 1u);
  EXPECT_EQ(usableCpus({0, 3.0}), 3u);
}

}  // namespace
}  // namespace shardis::app
