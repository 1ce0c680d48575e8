// The address texts of a config file, without YAML around them.
#include "config/address.h"

#include <gtest/gtest.h>

namespace shardis::config::detail {
namespace {

TEST(ParseListen, Ipv4) {
  ListenAddress listen;
  ASSERT_EQ(parseListen("127.0.0.1:6380", listen), "");
  EXPECT_EQ(listen.kind, ListenAddress::Kind::kTcp);
  EXPECT_EQ(listen.host, "127.0.0.1");
  EXPECT_EQ(listen.port, 6380);
  EXPECT_EQ(listen.text, "127.0.0.1:6380");
}

TEST(ParseListen, Ipv6BracketedAndBare) {
  ListenAddress listen;
  ASSERT_EQ(parseListen("[::1]:6380", listen), "");
  EXPECT_EQ(listen.host, "::1");
  EXPECT_EQ(listen.port, 6380);
  ASSERT_EQ(parseListen("::1:6381", listen), "");
  EXPECT_EQ(listen.host, "::1");
  EXPECT_EQ(listen.port, 6381);
}

TEST(ParseListen, UnixSocketWithPermissions) {
  ListenAddress listen;
  ASSERT_EQ(parseListen("/tmp/shardis.sock 0660", listen), "");
  EXPECT_EQ(listen.kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(listen.path, "/tmp/shardis.sock");
  EXPECT_EQ(listen.permissions, 0660u);
  ASSERT_EQ(parseListen("/tmp/shardis.sock", listen), "");
  EXPECT_EQ(listen.permissions, 0u);
}

TEST(ParseListen, Refusals) {
  ListenAddress listen;
  EXPECT_EQ(parseListen("localhost", listen),
            "is not host:port, [ipv6]:port or /path.sock [permissions]");
  EXPECT_EQ(parseListen("127.0.0.1:0", listen), "port must be an integer from 1 to 65535, got '0'");
  EXPECT_EQ(parseListen("127.0.0.1:65536", listen),
            "port must be an integer from 1 to 65535, got '65536'");
  EXPECT_EQ(parseListen("/tmp/a.sock 0999", listen),
            "permissions must be octal such as 0666, got '0999'");
  EXPECT_EQ(parseListen("[::1:6380", listen),
            "is not host:port, [ipv6]:port or /path.sock [permissions]");
}

TEST(ParseServerString, HostPortWeightName) {
  Server server;
  ASSERT_EQ(parseServerString("127.0.0.1:7001:3 s1", server), "");
  EXPECT_EQ(server.host, "127.0.0.1");
  EXPECT_EQ(server.port, 7001);
  EXPECT_EQ(server.weight, 3u);
  EXPECT_EQ(server.name, "s1");
  EXPECT_EQ(server.address_text, "127.0.0.1:7001");
}

TEST(ParseServerString, TwemproxyDefaultNames) {
  Server server;
  ASSERT_EQ(parseServerString("cache-1.local:6379:1", server), "");
  EXPECT_EQ(server.name, "cache-1.local:6379");
  // libmemcached compatibility: port 11211 is left out of the name.
  ASSERT_EQ(parseServerString("cache-1.local:06379:1", server), "");
  EXPECT_EQ(server.name, "cache-1.local:06379");  // as written, leading zero kept
  EXPECT_EQ(server.port, 6379);
  ASSERT_EQ(parseServerString("10.0.0.1:11211:1", server), "");
  EXPECT_EQ(server.name, "10.0.0.1");
  ASSERT_EQ(parseServerString("/var/run/redis.sock:2", server), "");
  EXPECT_EQ(server.unix_path, "/var/run/redis.sock");
  EXPECT_EQ(server.weight, 2u);
  EXPECT_EQ(server.name, "/var/run/redis.sock:");
}

TEST(ParseServerString, Ipv6AndMissingWeight) {
  Server server;
  ASSERT_EQ(parseServerString("[::1]:6379:1", server), "");
  EXPECT_EQ(server.host, "::1");
  EXPECT_EQ(server.port, 6379);
  EXPECT_EQ(server.name, "[::1]:6379");
  ASSERT_EQ(parseServerString("::1:6379:2 v6", server), "");
  EXPECT_EQ(server.host, "::1");
  EXPECT_EQ(server.weight, 2u);
  ASSERT_EQ(parseServerString("127.0.0.1:7001", server), "");
  EXPECT_EQ(server.weight, 1u);
  ASSERT_EQ(parseServerString("/tmp/r.sock s9", server), "");
  EXPECT_EQ(server.unix_path, "/tmp/r.sock");
  EXPECT_EQ(server.name, "s9");
}

TEST(ParseServerString, Refusals) {
  Server server;
  EXPECT_EQ(parseServerString("127.0.0.1:7001:0", server),
            "weight must be an integer of at least 1, got '0'");
  EXPECT_EQ(parseServerString("127.0.0.1:7001:-2", server),
            "weight must be an integer of at least 1, got '-2'");
  EXPECT_EQ(parseServerString("127.0.0.1:port:1", server),
            "port must be an integer from 1 to 65535, got 'port'");
  EXPECT_EQ(parseServerString("just-a-host", server),
            "is not host:port:weight [name], /path.sock:weight [name] or a redis:// URL");
}

TEST(ParseServerUrl, FullForm) {
  Server server;
  ASSERT_EQ(parseServerUrl("redis://app:s%40cret@10.0.0.5:6390/2?name=node1&weight=4", server), "");
  EXPECT_EQ(server.host, "10.0.0.5");
  EXPECT_EQ(server.port, 6390);
  EXPECT_EQ(server.db, 2);
  EXPECT_EQ(server.username, "app");
  EXPECT_EQ(server.password, "s@cret");
  EXPECT_EQ(server.name, "node1");
  EXPECT_EQ(server.weight, 4u);
  EXPECT_EQ(server.address_text, "10.0.0.5:6390");
}

TEST(ParseServerUrl, Defaults) {
  Server server;
  ASSERT_EQ(parseServerUrl("redis://cache", server), "");
  EXPECT_EQ(server.port, 6379);
  EXPECT_EQ(server.weight, 1u);
  EXPECT_FALSE(server.db.has_value());
  EXPECT_FALSE(server.password.has_value());
  EXPECT_EQ(server.name, "cache:6379");
  ASSERT_EQ(parseServerUrl("redis://:pw@[::1]:7000/0?max_connections=8", server), "");
  EXPECT_EQ(server.host, "::1");
  EXPECT_EQ(server.port, 7000);
  EXPECT_FALSE(server.username.has_value());
  EXPECT_EQ(server.password, "pw");
  EXPECT_EQ(server.max_connections, 8u);
  EXPECT_EQ(server.name, "[::1]:7000");
}

TEST(ParseServerUrl, Refusals) {
  Server server;
  EXPECT_EQ(parseServerUrl("redis://h:1/0?colour=red", server),
            "has an unknown parameter 'colour' (known: name, weight, db, password, "
            "max_connections)");
  EXPECT_EQ(parseServerUrl("redis://h:1/x", server), "db must be a non-negative integer, got 'x'");
  EXPECT_EQ(parseServerUrl("redis://h:1?weight=0", server),
            "weight must be an integer of at least 1, got '0'");
  EXPECT_EQ(parseServerUrl("redis://h:99999", server),
            "port must be an integer from 1 to 65535, got '99999'");
}

}  // namespace
}  // namespace shardis::config::detail
