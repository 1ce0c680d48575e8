// A pool's `sentinel:` section and the names-only servers it allows: every host form, the
// defaults, master_prefix, and every refusal with the exact message an operator reads.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace shardis::config {
namespace {

std::string loadError(std::string_view yaml) {
  try {
    loadString(yaml, "conf/t.yml");
  } catch (const Error& error) {
    return error.what();
  }
  return "(loaded without error)";
}

TEST(SentinelConfig, RedisShardForm) {
  // redis-shard's {"hosts": [("localhost", 26379)], "socket_timeout": 0.1} and its server
  // dicts of names only, written in YAML.
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:6380
  distribution: redis_shard
  sentinel:
    hosts: [[localhost, 26379], ["::1", 26380]]
    socket_timeout: 0.1
  servers:
    - {name: node2}
    - name: node1
)",
                                   "t.yml");
  const Pool& pool = config.pools.at(0);
  ASSERT_TRUE(pool.sentinel.has_value());
  const std::vector<SentinelHost> expected = {{"localhost", 26379}, {"::1", 26380}};
  EXPECT_EQ(pool.sentinel->hosts, expected);
  EXPECT_EQ(pool.sentinel->timeout_ms, 100);
  EXPECT_FALSE(pool.sentinel->password.has_value());
  EXPECT_FALSE(pool.sentinel->username.has_value());
  EXPECT_EQ(pool.sentinel->master_prefix, "");
  ASSERT_EQ(pool.servers.size(), 2u);
  // redis_shard keeps the listed order; the name is both ring member and master name.
  EXPECT_EQ(pool.servers[0].name, "node2");
  EXPECT_EQ(pool.servers[0].master_name, "node2");
  EXPECT_EQ(pool.servers[1].name, "node1");
  EXPECT_EQ(pool.servers[1].master_name, "node1");
  // No address until Sentinel gives one.
  EXPECT_EQ(pool.servers[0].host, "");
  EXPECT_EQ(pool.servers[0].port, 0);
  EXPECT_EQ(pool.servers[0].address_text, "");
}

TEST(SentinelConfig, StringHostsNamesAndEveryKey) {
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel:
    hosts: ["10.0.0.1:26379", "[::1]:26381", "sentinel-3:5000"]
    password: s3cret
    username: proxy
    master_prefix: "prod-"
  servers:
    - shard-b
    - shard-a
    - {name: shard-c, db: 2, password: masterpw, weight: 3}
)",
                                   "t.yml");
  const Pool& pool = config.pools.at(0);
  ASSERT_TRUE(pool.sentinel.has_value());
  const std::vector<SentinelHost> expected = {
      {"10.0.0.1", 26379}, {"::1", 26381}, {"sentinel-3", 5000}};
  EXPECT_EQ(pool.sentinel->hosts, expected);
  EXPECT_EQ(pool.sentinel->timeout_ms, 1000);  // redis-shard's default: 1 second
  EXPECT_EQ(pool.sentinel->password, "s3cret");
  EXPECT_EQ(pool.sentinel->username, "proxy");
  ASSERT_EQ(pool.servers.size(), 3u);
  // ketama sorts by name, as for any server list; the prefix is not part of the name.
  EXPECT_EQ(pool.servers[0].name, "shard-a");
  EXPECT_EQ(pool.servers[0].master_name, "prod-shard-a");
  EXPECT_EQ(pool.servers[1].master_name, "prod-shard-b");
  EXPECT_EQ(pool.servers[2].name, "shard-c");
  EXPECT_EQ(pool.servers[2].master_name, "prod-shard-c");
  EXPECT_EQ(pool.servers[2].db, 2);
  EXPECT_EQ(pool.servers[2].password, "masterpw");
  EXPECT_EQ(pool.servers[2].weight, 3u);
}

TEST(SentinelConfig, SocketTimeoutRoundsUpToMilliseconds) {
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"], socket_timeout: 0.0001}
  servers: [node1]
beta:
  listen: 127.0.0.1:6381
  sentinel: {hosts: ["127.0.0.1:26379"], socket_timeout: 2}
  servers: [node1]
)",
                                   "t.yml");
  EXPECT_EQ(config.pools.at(0).sentinel->timeout_ms, 1);
  EXPECT_EQ(config.pools.at(1).sentinel->timeout_ms, 2000);
}

TEST(SentinelConfig, PoolWithoutSentinelHasNone) {
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:6380
  servers: [127.0.0.1:7001:1 s1]
)",
                                   "t.yml");
  EXPECT_FALSE(config.pools.at(0).sentinel.has_value());
  EXPECT_EQ(config.pools.at(0).servers.at(0).master_name, "");
}

TEST(SentinelConfigError, ServerStringWithAddress) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers:
    - node1
    - 127.0.0.1:7001:1 node2
)"),
            "conf/t.yml:7:7: pool 'alpha': server '127.0.0.1:7001:1 node2': a pool with a "
            "'sentinel' takes each server by name only (its Sentinel master name); Sentinel "
            "gives the address");
}

TEST(SentinelConfigError, ServerUrlWithAddressHidesPassword) {
  const std::string error = loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers: ["redis://:hunter2@127.0.0.1:7001?name=node1"]
)");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_NE(error.find("conf/t.yml:5:13: pool 'alpha': server 'redis://:(redacted)@"),
            std::string::npos)
      << error;
}

TEST(SentinelConfigError, ServerMappingWithHost) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers:
    - {name: node1, host: 127.0.0.1}
)"),
            "conf/t.yml:6:21: pool 'alpha': server key 'host': a pool with a 'sentinel' takes "
            "each server by name only (its Sentinel master name); Sentinel gives the address");
}

TEST(SentinelConfigError, ServerMappingWithPort) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers:
    - name: node1
      port: 7001
)"),
            "conf/t.yml:7:7: pool 'alpha': server key 'port': a pool with a 'sentinel' takes "
            "each server by name only (its Sentinel master name); Sentinel gives the address");
}

TEST(SentinelConfigError, ServerMappingWithReplicas) {
  // Sentinel lists each master's replicas; a second list in the file could only disagree.
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers:
    - {name: node1, replicas: ["127.0.0.1:7002"]}
)"),
            "conf/t.yml:6:21: pool 'alpha': server key 'replicas': in a pool with a 'sentinel', "
            "Sentinel gives each server's replicas (SENTINEL REPLICAS)");
}

TEST(SentinelConfigError, ServerMappingWithoutName) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"]}
  servers:
    - {db: 1}
)"),
            "conf/t.yml:6:7: pool 'alpha': server mapping has no 'name' (with a sentinel, the "
            "name is the master's)");
}

TEST(SentinelConfigError, NameOnlyWithoutSentinel) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - node1
)"),
            "conf/t.yml:5:7: pool 'alpha': server 'node1' is not host:port:weight [name], "
            "/path.sock:weight [name] or a redis:// URL (only a pool with a 'sentinel' takes "
            "names alone)");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {name: node1}
)"),
            "conf/t.yml:5:7: pool 'alpha': server mapping has no 'host' (only a pool with a "
            "'sentinel' takes names alone)");
}

TEST(SentinelConfigError, HostForms) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: [[127.0.0.1, 26379, 1]]}
  servers: [node1]
)"),
            "conf/t.yml:4:22: pool 'alpha': a sentinel host must be [host, port] or "
            "\"host:port\", got a sequence of 3 item(s)");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: [localhost]}
  servers: [node1]
)"),
            "conf/t.yml:4:22: pool 'alpha': a sentinel host must be [host, port] or "
            "\"host:port\", got 'localhost'");
  // redis-py's Sentinel unpacks each host as a (host, port) pair; a mapping is not one.
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: [{host: localhost, port: 26379}]}
  servers: [node1]
)"),
            "conf/t.yml:4:22: pool 'alpha': a sentinel host must be [host, port] or "
            "\"host:port\", got a mapping");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: [[localhost, 0]]}
  servers: [node1]
)"),
            "conf/t.yml:4:34: pool 'alpha': sentinel port must be at least 1, got '0'");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["localhost:http"]}
  servers: [node1]
)"),
            "conf/t.yml:4:22: pool 'alpha': sentinel host 'localhost:http': port must be an "
            "integer from 1 to 65535, got 'http'");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: [["bad host", 26379]]}
  servers: [node1]
)"),
            "conf/t.yml:4:23: pool 'alpha': sentinel host 'bad host' is not a host name or IP "
            "address");
}

TEST(SentinelConfigError, Section) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: [127.0.0.1:26379]
  servers: [node1]
)"),
            "conf/t.yml:4:13: pool 'alpha': sentinel must be a mapping with 'hosts' (and "
            "socket_timeout, password, username, master_prefix), got a sequence");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {socket_timeout: 1}
  servers: [node1]
)"),
            "conf/t.yml:4:13: pool 'alpha': sentinel has no 'hosts' (the Sentinels to ask, such "
            "as [[127.0.0.1, 26379]])");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: []}
  servers: [node1]
)"),
            "conf/t.yml:4:21: pool 'alpha': sentinel hosts must be a non-empty sequence of "
            "[host, port] or \"host:port\", got a sequence");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"], master: x}
  servers: [node1]
)"),
            "conf/t.yml:4:42: pool 'alpha': unknown key 'master'");
}

TEST(SentinelConfigError, SocketTimeoutAndCredentials) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"], socket_timeout: 0}
  servers: [node1]
)"),
            "conf/t.yml:4:58: pool 'alpha': sentinel socket_timeout must be a number of seconds "
            "above 0 and at most 3600, got '0'");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"], socket_timeout: soon}
  servers: [node1]
)"),
            "conf/t.yml:4:58: pool 'alpha': sentinel socket_timeout must be a number of seconds "
            "above 0 and at most 3600, got 'soon'");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  sentinel: {hosts: ["127.0.0.1:26379"], username: proxy}
  servers: [node1]
)"),
            "conf/t.yml:4:42: pool 'alpha': sentinel username needs a sentinel password");
}

}  // namespace
}  // namespace shardis::config
