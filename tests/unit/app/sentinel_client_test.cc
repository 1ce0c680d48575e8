// What a Sentinel answers, read byte for byte: get-master-addr-by-name replies (as Redis 7's
// Sentinel sends them) and +switch-master payloads.
#include <gtest/gtest.h>

#include "app/sentinel_client.h"

namespace shardis::app {
namespace {

TEST(SentinelReply, MasterAddress) {
  MasterAddress address;
  std::string said;
  EXPECT_EQ(parseMasterReply("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n", address, said),
            AskStatus::kFound);
  EXPECT_EQ(address, (MasterAddress{"127.0.0.1", 6380}));
  EXPECT_EQ(address.text(), "127.0.0.1:6380");
  EXPECT_EQ(parseMasterReply("*2\r\n$3\r\n::1\r\n$4\r\n6381\r\n", address, said),
            AskStatus::kFound);
  EXPECT_EQ(address.text(), "[::1]:6381");
}

TEST(SentinelReply, UnknownMasterIsNil) {
  MasterAddress address;
  std::string said;
  EXPECT_EQ(parseMasterReply("*-1\r\n", address, said), AskStatus::kUnknownMaster);
  EXPECT_EQ(said, "unknown master (nil)");
  EXPECT_EQ(parseMasterReply("_\r\n", address, said), AskStatus::kUnknownMaster);  // RESP3
}

TEST(SentinelReply, ErrorsAndOddShapesFail) {
  MasterAddress address;
  std::string said;
  EXPECT_EQ(parseMasterReply("-NOAUTH Authentication required.\r\n", address, said),
            AskStatus::kFailed);
  EXPECT_EQ(said, "NOAUTH Authentication required.");
  EXPECT_EQ(parseMasterReply("*1\r\n$9\r\n127.0.0.1\r\n", address, said), AskStatus::kFailed);
  EXPECT_EQ(parseMasterReply("*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n", address, said),
            AskStatus::kFailed);
  EXPECT_EQ(parseMasterReply("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n65536\r\n", address, said),
            AskStatus::kFailed);
  EXPECT_EQ(parseMasterReply("+OK\r\n", address, said), AskStatus::kFailed);
  EXPECT_EQ(parseMasterReply("*2\r\n$9\r\n127.0", address, said), AskStatus::kFailed);
  EXPECT_EQ(said, "a reply that is not RESP");
}

TEST(SentinelReply, SwitchMaster) {
  std::string_view name;
  MasterAddress to;
  ASSERT_TRUE(parseSwitchMaster("cache-shard1 127.0.0.1 7001 127.0.0.1 7002", name, to));
  EXPECT_EQ(name, "cache-shard1");
  EXPECT_EQ(to, (MasterAddress{"127.0.0.1", 7002}));
  EXPECT_FALSE(parseSwitchMaster("shard1 127.0.0.1 7001 127.0.0.1", name, to));
  EXPECT_FALSE(parseSwitchMaster("shard1 127.0.0.1 7001 127.0.0.1 port", name, to));
  EXPECT_FALSE(parseSwitchMaster("shard1 127.0.0.1 7001 127.0.0.1 7002 extra", name, to));
  EXPECT_FALSE(parseSwitchMaster("", name, to));
}

namespace {

// One replica as redis-sentinel 7.0 lists it (its fields in Sentinel's order, abridged to
// those that matter plus two that do not).
std::string replicaEntry(std::string_view ip, std::string_view port, std::string_view flags,
                         std::string_view link) {
  auto bulk = [](std::string_view text) {
    return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
  };
  const std::string name = std::string(ip) + ":" + std::string(port);
  return "*12\r\n" + bulk("name") + bulk(name) + bulk("ip") + bulk(ip) + bulk("port") + bulk(port) +
         bulk("flags") + bulk(flags) + bulk("master-link-status") + bulk(link) +
         bulk("slave-priority") + bulk("100");
}

}  // namespace

TEST(SentinelReply, ReplicasKeepsTheHealthyOnesSorted) {
  const std::string reply = "*5\r\n" + replicaEntry("127.0.0.1", "7102", "slave", "ok") +
                            replicaEntry("127.0.0.1", "7101", "slave", "ok") +
                            replicaEntry("127.0.0.1", "7103", "s_down,slave,disconnected", "err") +
                            replicaEntry("127.0.0.1", "7104", "slave", "err") +
                            replicaEntry("127.0.0.1", "7105", "slave,o_down", "ok");
  std::vector<config::Server::Replica> healthy;
  std::string said;
  ASSERT_EQ(parseReplicasReply(reply, healthy, said), AskStatus::kFound) << said;
  ASSERT_EQ(healthy.size(), 2u);
  EXPECT_EQ(healthy[0].address_text, "127.0.0.1:7101");
  EXPECT_EQ(healthy[1].address_text, "127.0.0.1:7102");
  EXPECT_EQ(healthy[1].port, 7102);
  EXPECT_EQ(replicasText(healthy), "replicas 127.0.0.1:7101, 127.0.0.1:7102");
  ASSERT_EQ(
      parseReplicasReply("*1\r\n" + replicaEntry("::1", "7101", "slave", "ok"), healthy, said),
      AskStatus::kFound);
  EXPECT_EQ(healthy[0].address_text, "[::1]:7101");
  ASSERT_EQ(parseReplicasReply("*0\r\n", healthy, said), AskStatus::kFound);
  EXPECT_TRUE(healthy.empty());
  EXPECT_EQ(replicasText(healthy), "no replica");
  // A replica that is only disconnected (not yet s_down) does not serve reads either.
  ASSERT_EQ(
      parseReplicasReply("*1\r\n" + replicaEntry("127.0.0.1", "7101", "slave,disconnected", "ok"),
                         healthy, said),
      AskStatus::kFound);
  EXPECT_TRUE(healthy.empty());
}

TEST(SentinelReply, ReplicasErrors) {
  std::vector<config::Server::Replica> healthy;
  std::string said;
  EXPECT_EQ(parseReplicasReply("-ERR No such master with that name\r\n", healthy, said),
            AskStatus::kUnknownMaster);
  EXPECT_EQ(parseReplicasReply("-NOAUTH Authentication required.\r\n", healthy, said),
            AskStatus::kFailed);
  EXPECT_EQ(said, "NOAUTH Authentication required.");
  EXPECT_EQ(parseReplicasReply("$2\r\nok\r\n", healthy, said), AskStatus::kFailed);
  EXPECT_EQ(parseReplicasReply("*1\r\n", healthy, said), AskStatus::kFailed);
}

TEST(SentinelReply, ReplicaEvents) {
  std::string_view master;
  ASSERT_TRUE(parseReplicaEvent("slave 127.0.0.1:7002 127.0.0.1 7002 @ cache-shard1 127.0.0.1 7001",
                                master));
  EXPECT_EQ(master, "cache-shard1");
  EXPECT_FALSE(parseReplicaEvent("master shard1 127.0.0.1 7001", master));
  EXPECT_FALSE(parseReplicaEvent("sentinel 1a2b 127.0.0.1 26379 @ shard1 127.0.0.1 7001", master));
  EXPECT_FALSE(parseReplicaEvent("slave 127.0.0.1:7002 127.0.0.1 7002", master));
}

}  // namespace
}  // namespace shardis::app
