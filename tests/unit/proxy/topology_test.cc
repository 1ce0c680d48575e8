// TopologyOwner: slots name one server identity for good, the diff a reload logs, and the
// SCAN epoch that moves with the live list.
#include "proxy/topology.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace shardis::proxy {
namespace {

config::Server server(const std::string& name, uint16_t port) {
  config::Server out;
  out.name = name;
  out.host = "127.0.0.1";
  out.port = port;
  out.address_text = "127.0.0.1:" + std::to_string(port);
  return out;
}

config::Config configOf(std::vector<config::Server> servers) {
  config::Config config;
  config::Pool& pool = config.pools.emplace_back();
  pool.name = "alpha";
  pool.listen.text = "127.0.0.1:6380";
  pool.servers = std::move(servers);
  return config;
}

TEST(TopologyOwner, SlotsKeepTheirServerAndAreNeverReused) {
  TopologyOwner owner(configOf({server("s1", 7001), server("s2", 7002)}));
  const auto first = owner.current()[0];
  EXPECT_EQ(first->live, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(first->list_epoch, 0u);

  // s2 moves (a failover), s3 is added: s1 keeps slot 0, s2's new address is a new slot.
  std::vector<PoolChange> changes;
  Topology next =
      owner.build(configOf({server("s1", 7001), server("s2", 7012), server("s3", 7003)}), changes);
  owner.adopt(next);
  EXPECT_EQ(next[0]->live, (std::vector<uint32_t>{0, 2, 3}));
  EXPECT_EQ(next[0]->slots.size(), 4u);
  EXPECT_EQ(next[0]->slots[1].port, 7002);  // the old s2 is still slot 1, drained
  EXPECT_EQ(next[0]->list_epoch, 1u);
  EXPECT_GT(next[0]->generation, first->generation);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].added, (std::vector<std::string>{"s3"}));
  EXPECT_EQ(changes[0].changed, (std::vector<std::string>{"s2"}));
  EXPECT_TRUE(changes[0].removed.empty());
  EXPECT_TRUE(changes[0].options.empty());

  // Back to the first file: the same identities get their old slots again.
  Topology back = owner.build(configOf({server("s1", 7001), server("s2", 7002)}), changes);
  EXPECT_EQ(back[0]->live, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(changes[0].removed, (std::vector<std::string>{"s3"}));
  EXPECT_EQ(back[0]->list_epoch, 2u);
}

TEST(TopologyOwner, OptionsOnlyKeepTheListEpoch) {
  TopologyOwner owner(configOf({server("s1", 7001)}));
  config::Config next = configOf({server("s1", 7001)});
  next.pools[0].timeout_ms = 2000;
  next.pools[0].listen.text = "127.0.0.1:6381";
  std::vector<PoolChange> changes;
  Topology topology = owner.build(next, changes);
  EXPECT_EQ(topology[0]->list_epoch, 0u);
  EXPECT_EQ(changes[0].options, (std::vector<std::string>{"listen", "timeout"}));
  EXPECT_TRUE(changes[0].added.empty() && changes[0].removed.empty() && changes[0].changed.empty());
}

TEST(TopologyOwner, ReplicasAreSlotsOfTheirOwnOutsideTheRing) {
  config::Config config = configOf({server("s1", 7001), server("s2", 7002)});
  config::Server::Replica replica;
  replica.host = "127.0.0.1";
  replica.port = 7101;
  replica.address_text = "127.0.0.1:7101";
  config.pools[0].servers[0].replicas.push_back(replica);
  TopologyOwner owner(config);
  const auto topology = owner.current()[0];
  // The servers first (slots in config order, as the workers' first backend has them), then
  // the replicas.
  EXPECT_EQ(topology->live, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(topology->slots.size(), 3u);
  EXPECT_EQ(topology->slots[2].name, "s1@127.0.0.1:7101");
  EXPECT_EQ(topology->replicas[0], (std::vector<uint32_t>{2}));
  EXPECT_TRUE(topology->replicas[1].empty());
  EXPECT_TRUE(topology->inUse(2));
  // Dropping the replica is a change of s1 that retires its slot.
  std::vector<PoolChange> changes;
  Topology next = owner.build(configOf({server("s1", 7001), server("s2", 7002)}), changes);
  EXPECT_FALSE(next[0]->inUse(2));
  EXPECT_EQ(changes[0].changed, (std::vector<std::string>{"s1"}));
}

// What a transaction queued before a change may still run under (Transaction::routed_by).
TEST(TopologyOwner, SamePlacementOnlyWhenKeysGoWhereTheyWent) {
  const config::Config base = configOf({server("s1", 7001), server("s2", 7002)});
  TopologyOwner owner(base);
  const auto first = owner.current()[0];
  std::vector<PoolChange> changes;
  auto placedLike = [&](const config::Config& next) {
    return owner.build(next, changes)[0]->samePlacement(*first);
  };
  config::Config timeout = base;
  timeout.pools[0].timeout_ms = 1234;
  EXPECT_TRUE(placedLike(timeout));
  EXPECT_TRUE(placedLike(base));
  EXPECT_FALSE(placedLike(configOf({server("s1", 7001), server("s2", 7002), server("s3", 7003)})));
  EXPECT_FALSE(placedLike(configOf({server("s1", 7001), server("s2", 7012)})));  // a failover
  config::Config weight = base;
  weight.pools[0].servers[1].weight = 3;
  EXPECT_FALSE(placedLike(weight));
  config::Config tag = base;
  tag.pools[0].hash_tag = "{}";
  EXPECT_FALSE(placedLike(tag));
  config::Config hash = base;
  hash.pools[0].hash = hash::HashKind::kMurmur;
  EXPECT_FALSE(placedLike(hash));
}

}  // namespace
}  // namespace shardis::proxy
