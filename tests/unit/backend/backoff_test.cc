#include "backend/backoff.h"

#include <gtest/gtest.h>

namespace shardis::backend {
namespace {

TEST(Backoff, CeilingDoublesFromBaseUpToCap) {
  EXPECT_EQ(Backoff::ceilingMs(0), 0u);
  EXPECT_EQ(Backoff::ceilingMs(1), Backoff::kBaseMs);
  EXPECT_EQ(Backoff::ceilingMs(2), 2 * Backoff::kBaseMs);
  EXPECT_EQ(Backoff::ceilingMs(4), 8 * Backoff::kBaseMs);
  EXPECT_EQ(Backoff::ceilingMs(20), Backoff::kCapMs);
  // Huge failure counts must not overflow the shift.
  EXPECT_EQ(Backoff::ceilingMs(4000000000u), Backoff::kCapMs);
}

TEST(Backoff, DelaysStayInTheUpperHalfOfTheCeiling) {
  Backoff backoff(12345);
  for (uint32_t failures = 1; failures <= 40; ++failures) {
    uint64_t delay = backoff.nextDelayMs();
    uint64_t ceiling = Backoff::ceilingMs(failures);
    EXPECT_GE(delay, ceiling / 2) << failures;
    EXPECT_LE(delay, ceiling) << failures;
  }
  EXPECT_EQ(backoff.failures(), 40u);
}

TEST(Backoff, ResetStartsOverFromTheBase) {
  Backoff backoff(7);
  for (int i = 0; i < 10; ++i) (void)backoff.nextDelayMs();
  backoff.reset();
  EXPECT_LE(backoff.nextDelayMs(), Backoff::kBaseMs);
}

TEST(Backoff, JitterSpreadsConnectionsApart) {
  // Connections seeded differently must not all retry at the same instant.
  Backoff a(1);
  Backoff b(2);
  bool differ = false;
  for (int i = 0; i < 10; ++i) differ = differ || a.nextDelayMs() != b.nextDelayMs();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace shardis::backend
