// The corrections that make a server's subscriber counts what one Redis would say.
#include "proxy/pubsub_registry.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(registry.publishCorrection("news.art"), 1 + 3);
  EXPECT_EQ(registry.publishCorrection("news.tech"), 3);
  EXPECT_EQ(registry.publishCorrection("weather"), 0);
  EXPECT_EQ(registry.active(SubKind::kPattern), 2u);
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
