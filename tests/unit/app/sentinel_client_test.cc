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

}  // namespace
}  // namespace shardis::app
