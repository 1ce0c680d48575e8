// The corrections that make a server's subscriber counts what one Redis would say.
#include "proxy/pubsub_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace shardis::proxy {
namespace {

TEST(PubSubRegistry, ChannelCountsStandForTheirClients) {
  PubSubRegistry registry;
  // Two workers hold "news" upstream, for 5 clients: a server's 2 is really 5.
  registry.addUpstream(SubKind::kChannel, "news", 1);
  registry.addUpstream(SubKind::kChannel, "news", 1);
  registry.addClients(SubKind::kChannel, "news", 5);
  EXPECT_EQ(registry.correction(SubKind::kChannel, "news"), 3);
  EXPECT_EQ(registry.correction(SubKind::kChannel, "other"), 0);
  EXPECT_EQ(registry.correction(SubKind::kShard, "news"), 0);
  EXPECT_EQ(registry.active(SubKind::kChannel), 1u);
}

TEST(PubSubRegistry, PublishAlsoCorrectsMatchingPatterns) {
  PubSubRegistry registry;
  registry.addUpstream(SubKind::kChannel, "news.art", 1);
  registry.addClients(SubKind::kChannel, "news.art", 2);
  registry.addUpstream(SubKind::kPattern, "news.*", 1);
  registry.addClients(SubKind::kPattern, "news.*", 4);
  registry.addUpstream(SubKind::kPattern, "sport.*", 1);
  registry.addClients(SubKind::kPattern, "sport.*", 9);
  // The server counts 2 (news.art's and news.*'s upstream): the proxy's 6 get it.
  EXPECT_EQ(registry.publishReceivers("news.art", 2), 2 + 4);
  EXPECT_EQ(registry.publishReceivers("news.tech", 1), 4);
  EXPECT_EQ(registry.publishReceivers("weather", 0), 0);
  EXPECT_EQ(registry.publishReceivers("weather", 1), 1);  // someone else's, on the server
  EXPECT_EQ(registry.active(SubKind::kPattern), 2u);
}

// Two workers hold "news" upstream; one's last client left and its UNSUBSCRIBE is on its way.
// Until that worker reads the confirmation, the server may count 2 (not read yet: 1 of them
// delivers) or 1 (read already: that 1 delivers); the answer is the 1 client either way. A
// server that counts nothing (the standing link dropped) delivered to nobody.
TEST(PubSubRegistry, PublishCountsASubscriptionBeingLeftAsTheServerDoes) {
  PubSubRegistry registry;
  registry.addUpstream(SubKind::kChannel, "news", 2);
  registry.addClients(SubKind::kChannel, "news", 1);
  registry.addLeaving(SubKind::kChannel, "news", 1);
  EXPECT_EQ(registry.publishReceivers("news", 2), 1);
  EXPECT_EQ(registry.publishReceivers("news", 1), 1);
  EXPECT_EQ(registry.publishReceivers("news", 0), 0);
  registry.addUpstreamLeaving(SubKind::kChannel, "news", -1);
  EXPECT_EQ(registry.publishReceivers("news", 1), 1);
  EXPECT_EQ(registry.publishReceivers("news", 0), 0);
}

// The same two workers. A PUBLISH is sent; the server reads it before the UNSUBSCRIBE and
// counts 2, but its reply is corrected after the leaving worker has read the confirmation.
// The subscription left is still counted as being left until that PUBLISH is answered, so
// the answer stays the 1 client; without the wait it was 2 (CI saw 1, 1, 1, 2, 2, 1 ...).
TEST(PubSubRegistry, ASubscriptionLeftIsCountedOffOnceThePublishesBeforeItAreAnswered) {
  PubSubRegistry registry;
  registry.addUpstream(SubKind::kChannel, "news", 2);
  registry.addClients(SubKind::kChannel, "news", 1);
  registry.addLeaving(SubKind::kChannel, "news", 1);
  PubSubRegistry::PublishTicket before = registry.publishing();
  registry.leftUpstream(SubKind::kChannel, "news");
  PubSubRegistry::PublishTicket after = registry.publishing();
  EXPECT_EQ(registry.publishReceivers("news", 2), 1);  // `before`, read ahead of UNSUBSCRIBE
  EXPECT_EQ(registry.publishReceivers("news", 1), 1);  // `after`
  before.release();
  EXPECT_EQ(registry.publishReceivers("news", 1), 1);
  // Counted off: a second subscriber the server counts now is someone else's.
  EXPECT_EQ(registry.publishReceivers("news", 2), 2);
  after.release();
  // A left subscription with no PUBLISH out is counted off at once; so is a shard channel's.
  registry.addUpstreamLeaving(SubKind::kChannel, "news", 1);
  registry.leftUpstream(SubKind::kChannel, "news");
  EXPECT_EQ(registry.publishReceivers("news", 2), 2);
  registry.addUpstream(SubKind::kShard, "s", 1);
  registry.addLeaving(SubKind::kShard, "s", 1);
  PubSubRegistry::PublishTicket held = registry.publishing();
  registry.leftUpstream(SubKind::kShard, "s");
  EXPECT_EQ(registry.correction(SubKind::kShard, "s"), 0);
}

// Eras end in order: a subscription left while an older PUBLISH is out waits for it too.
TEST(PubSubRegistry, LeftSubscriptionsWaitForEveryOlderPublish) {
  PubSubRegistry registry;
  registry.addUpstreamLeaving(SubKind::kChannel, "a", 1);
  registry.addUpstreamLeaving(SubKind::kChannel, "b", 1);
  PubSubRegistry::PublishTicket oldest = registry.publishing();
  registry.leftUpstream(SubKind::kChannel, "a");
  PubSubRegistry::PublishTicket middle = registry.publishing();
  registry.leftUpstream(SubKind::kChannel, "b");
  middle.release();
  EXPECT_EQ(registry.publishReceivers("b", 1), 0);  // still counted as being left
  oldest.release();
  EXPECT_EQ(registry.publishReceivers("a", 1), 1);  // both counted off: someone else's
  EXPECT_EQ(registry.publishReceivers("b", 1), 1);
}

// PUBLISH answers corrected on this thread while another calls `change(+1)` then `change(-1)`,
// 20,000 times, on "news": how many were not `want` for a server that said `receivers`.
template <typename Change>
int64_t wrongAnswersDuring(PubSubRegistry& registry, Change change, int64_t receivers,
                           int64_t want) {
  std::atomic<bool> changing{true};
  std::thread other([&] {
    for (int i = 0; i < 20000; ++i) {
      change(1);
      change(-1);
    }
    changing = false;
  });
  int64_t wrong = 0;
  for (int i = 0; i < 2000000 && changing; ++i) {
    wrong += registry.publishReceivers("news", receivers) != want;
  }
  other.join();
  return wrong;
}

// A worker moves a channel (subscribed on its new home, still on the old one, which it is
// leaving) while another worker corrects a PUBLISH's count. The server the PUBLISH reached
// holds one of the two subscriptions: the answer is the one client at every moment. Counted
// in two steps, a correction between them saw two standing subscriptions and answered 0.
TEST(PubSubRegistry, PublishNeverSeesHalfAMove) {
  PubSubRegistry registry;
  registry.addUpstream(SubKind::kChannel, "news", 1);
  registry.addClients(SubKind::kChannel, "news", 1);
  auto move = [&](int64_t delta) { registry.addUpstreamLeaving(SubKind::kChannel, "news", delta); };
  EXPECT_EQ(wrongAnswersDuring(registry, move, 1, 1), 0);
}

// A worker's first client of a channel subscribes (its SUBSCRIBE not yet read by the server)
// while another worker corrects a PUBLISH that server answered without it: nobody received
// the message, and the answer is 0 at every moment.
TEST(PubSubRegistry, PublishNeverCountsAClientWithoutItsSubscription) {
  PubSubRegistry registry;
  auto subscribe = [&](int64_t delta) {
    registry.addClientsUpstream(SubKind::kChannel, "news", delta);
  };
  EXPECT_EQ(wrongAnswersDuring(registry, subscribe, 0, 0), 0);
}

TEST(PubSubRegistry, EntriesGoWhenNothingCountsThem) {
  PubSubRegistry registry;
  registry.addUpstream(SubKind::kShard, "s", 1);
  registry.addClients(SubKind::kShard, "s", 1);
  registry.addClients(SubKind::kShard, "s", -1);
  EXPECT_EQ(registry.active(SubKind::kShard), 0u);  // held upstream, no client: not active
  registry.addUpstream(SubKind::kShard, "s", -1);
  EXPECT_EQ(registry.correction(SubKind::kShard, "s"), 0);
}

}  // namespace
}  // namespace shardis::proxy
