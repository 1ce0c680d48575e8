#include "proxy/output_limit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>

namespace shardis::proxy {
namespace {

using config::OutputBufferLimit;

TEST(OutputLimit, ZeroMeansNoLimit) {
  EXPECT_FALSE(OutputLimit::enabled(OutputBufferLimit{0, 0, 0}));
  EXPECT_TRUE(OutputLimit::enabled(OutputBufferLimit{1, 0, 0}));
  EXPECT_TRUE(OutputLimit::enabled(OutputBufferLimit{0, 1, 0}));
  // Seconds alone limit nothing.
  EXPECT_FALSE(OutputLimit::enabled(OutputBufferLimit{0, 0, 60}));
}

TEST(OutputLimit, OneReplyLargerThanTheHardLimitDoesNotCount) {
  const OutputBufferLimit hard{1000, 0, 0};
  OutputLimit limit(hard);
  limit.noteReply(70000);
  EXPECT_EQ(limit.counted(70000, 0), 0u);
  EXPECT_FALSE(limit.exceeded(70000, 0, 0));
  // Half of it read: still the one reply.
  EXPECT_FALSE(limit.exceeded(35000, 0, 0));
}

TEST(OutputLimit, RepliesPilingUpReachTheHardLimit) {
  const OutputBufferLimit hard{1000, 0, 0};
  OutputLimit limit(hard);
  uint64_t unsent = 0;
  for (int i = 0; i < 10; ++i) {
    limit.noteReply(100);
    unsent += 100;
  }
  // Ten replies of 100 bytes: 900 count (one is the reply being read), under the limit.
  EXPECT_EQ(limit.counted(unsent, 0), 900u);
  EXPECT_FALSE(limit.exceeded(unsent, 0, 0));
  limit.noteReply(100);
  unsent += 100;
  // Redis's rule: at the limit is over it.
  EXPECT_TRUE(limit.exceeded(unsent, 0, 0));
}

TEST(OutputLimit, TheLargestReplyOwedIsTheOneLeftOut) {
  const OutputBufferLimit hard{1000, 0, 0};
  OutputLimit limit(hard);
  limit.noteReply(300);
  limit.noteReply(5000);
  limit.noteReply(200);
  EXPECT_EQ(limit.counted(5500, 0), 500u);
  // The first 300 and 4000 of the large one were sent: 1000 of it and the 200 are left.
  EXPECT_EQ(limit.counted(1200, 0), 200u);
  // All of the large one sent: only the 200 is left, and it is the one being read.
  EXPECT_EQ(limit.counted(200, 0), 0u);
  limit.noteReply(700);
  limit.noteReply(700);
  EXPECT_EQ(limit.counted(1600, 0), 900u);
}

TEST(OutputLimit, AStreamedReplyIsOneReplyWhateverItsPieces) {
  const OutputBufferLimit hard{1000, 0, 0};
  OutputLimit limit(hard);
  limit.noteReply(100);  // an earlier small reply
  for (int i = 0; i < 50; ++i) limit.notePiece(800);
  limit.noteReply(800);  // the last piece
  const uint64_t unsent = 100 + 51 * 800;
  EXPECT_EQ(limit.counted(unsent, 0), 100u);
  EXPECT_FALSE(limit.exceeded(unsent, 0, 0));
  // The next reply is a reply of its own.
  limit.noteReply(800);
  EXPECT_EQ(limit.counted(unsent + 800, 0), 900u);
}

TEST(OutputLimit, AHeldReplyCanBeTheOneLeftOut) {
  const OutputBufferLimit hard{1000, 0, 0};
  OutputLimit limit(hard);
  limit.noteReply(100);
  limit.noteHeld(50000);
  EXPECT_EQ(limit.counted(100, 50000), 100u);
  EXPECT_FALSE(limit.exceeded(100, 50000, 0));
  limit.noteHeld(1000);
  EXPECT_TRUE(limit.exceeded(100, 51000, 0));
}

TEST(OutputLimit, SoftLimitClosesOnlyAfterItsSecondsOver) {
  const OutputBufferLimit soft{0, 1000, 2};
  OutputLimit limit(soft);
  for (int i = 0; i < 20; ++i) limit.noteReply(100);
  EXPECT_FALSE(limit.exceeded(2000, 0, 10000));
  EXPECT_FALSE(limit.exceeded(2000, 0, 12000));
  EXPECT_TRUE(limit.exceeded(2000, 0, 12001));
  // Back under the soft limit: the clock starts over.
  OutputLimit again(soft);
  for (int i = 0; i < 20; ++i) again.noteReply(100);
  EXPECT_FALSE(again.exceeded(2000, 0, 10000));
  EXPECT_FALSE(again.exceeded(500, 0, 11000));
  for (int i = 0; i < 15; ++i) again.noteReply(100);
  EXPECT_FALSE(again.exceeded(2000, 0, 12500));
  EXPECT_FALSE(again.exceeded(2000, 0, 14000));
  EXPECT_TRUE(again.exceeded(2000, 0, 14501));
}

TEST(OutputLimit, HardLimitWinsOverASoftOne) {
  const OutputBufferLimit both{2000, 1000, 60};
  OutputLimit limit(both);
  for (int i = 0; i < 30; ++i) limit.noteReply(100);
  EXPECT_TRUE(limit.exceeded(3000, 0, 0));
}

// Against the plain rule, on random traffic: what counts is everything unsent but the largest
// unsent part of one reply.
TEST(OutputLimit, AgreesWithCountingEveryReply) {
  std::minstd_rand random(2026);
  OutputLimit limit(OutputBufferLimit{1ull << 40, 0, 0});
  std::deque<uint64_t> unsent_of;  // each reply's unsent bytes, oldest first
  uint64_t unsent = 0;
  bool streaming = false;
  for (int step = 0; step < 20000; ++step) {
    const uint32_t action = random() % 8;
    if (action < 5) {
      const uint64_t size = 1 + random() % (random() % 4 == 0 ? 5000 : 50);
      const bool piece = action == 0 || (streaming && action < 3);
      if (piece) {
        limit.notePiece(size);
      } else {
        limit.noteReply(size);
      }
      if (streaming && !unsent_of.empty()) {
        unsent_of.back() += size;
      } else {
        unsent_of.push_back(size);
      }
      streaming = piece;
      unsent += size;
    } else {
      uint64_t sent = random() % (unsent + 1);
      unsent -= sent;
      while (sent > 0) {
        const uint64_t part = std::min(sent, unsent_of.front());
        unsent_of.front() -= part;
        sent -= part;
        if (unsent_of.front() == 0) unsent_of.pop_front();
      }
    }
    const uint64_t largest =
        unsent_of.empty() ? 0 : *std::max_element(unsent_of.begin(), unsent_of.end());
    ASSERT_EQ(limit.counted(unsent, 0), unsent - largest) << "step " << step;
  }
}

}  // namespace
}  // namespace shardis::proxy
