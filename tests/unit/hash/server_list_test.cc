#include "server_list.h"

#include <gtest/gtest.h>

namespace shardis::hash::testing {
namespace {

std::string nameOf(std::string_view text) {
  const auto member = parseTwemproxyServer(text);
  return member ? member->name : "<invalid>";
}

TEST(ServerList, TwemproxyNamingRule) {
  EXPECT_EQ(nameOf("127.0.0.1:7001:1 s1"), "s1");
  EXPECT_EQ(nameOf("127.0.0.1:7001:1"), "127.0.0.1:7001");
  EXPECT_EQ(nameOf("127.0.0.1:11211:1"), "127.0.0.1");  // libmemcached compatibility
  EXPECT_EQ(nameOf("cache.local:6379:3"), "cache.local:6379");
  EXPECT_EQ(nameOf("/tmp/redis.sock:1"), "/tmp/redis.sock:");
  EXPECT_EQ(nameOf("/tmp/redis.sock:1 local"), "local");
  EXPECT_EQ(nameOf("127.0.0.1:7001:0"), "<invalid>");
  EXPECT_EQ(parseTwemproxyServer("127.0.0.1:7002:2 beta")->weight, 2u);
}

TEST(ServerList, TwemproxyOrderIsShorterFirstThenBytes) {
  std::vector<RingMember> members = {{"gamma", 3}, {"beta", 2}, {"delta", 1}, {"alpha", 1}};
  sortTwemproxy(members);
  std::vector<std::string> order;
  order.reserve(members.size());
  for (const RingMember& member : members) order.push_back(member.name);
  EXPECT_EQ(order, (std::vector<std::string>{"beta", "alpha", "delta", "gamma"}));
}

TEST(ServerList, LabelledListAndEscapedKeys) {
  const auto members = parseTwemproxyServerList(
      "weighted4:127.0.0.1:7001:1 alpha|127.0.0.1:7002:2 beta|127.0.0.1:7003:3 gamma");
  ASSERT_TRUE(members.has_value());
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].name, "beta");
  EXPECT_EQ(unescapeKey("tab\\tkey"), "tab\tkey");
  EXPECT_EQ(unescapeKey("plain\\"), "plain\\");
}

}  // namespace
}  // namespace shardis::hash::testing
