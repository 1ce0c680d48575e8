// Files that load: defaults, server forms, ring order, the shardis section.
#include <gtest/gtest.h>

#include "config/config.h"

namespace shardis::config {
namespace {

using hash::Distribution;
using hash::HashKind;

TEST(LoadString, TwemproxyDefaults) {
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:22121
  servers:
    - 127.0.0.1:6379:1
)",
                                   "t.yml");
  ASSERT_EQ(config.pools.size(), 1u);
  const Pool& pool = config.pools[0];
  EXPECT_EQ(pool.name, "alpha");
  EXPECT_EQ(pool.hash, HashKind::kFnv1a_64);
  EXPECT_EQ(pool.distribution, Distribution::kKetama);
  EXPECT_EQ(pool.hash_tag, "");
  EXPECT_EQ(pool.timeout_ms, -1);
  EXPECT_EQ(pool.backlog, 512);
  EXPECT_FALSE(pool.preconnect);
  EXPECT_EQ(pool.redis_db, 0);
  EXPECT_EQ(pool.server_connections, 1u);
  EXPECT_EQ(pool.max_leased_connections, 10000u);
  EXPECT_FALSE(pool.auto_eject_hosts);
  EXPECT_EQ(pool.server_retry_timeout_ms, 30000);
  EXPECT_EQ(pool.server_failure_limit, 2u);
  EXPECT_EQ(pool.client_connections, 0u);
  EXPECT_EQ(config.process.threads, 0);
  EXPECT_EQ(config.process.stats_port, 22222);
  EXPECT_EQ(config.process.log_level, "info");
  EXPECT_EQ(config.file, "t.yml");
}

TEST(LoadString, EveryPoolKey) {
  const Config config = loadString(R"(
beta:
  listen: "[::1]:6380"
  hash: murmur
  hash_tag: "{}"
  distribution: modula
  timeout: 400
  backlog: 1024
  preconnect: true
  redis: true
  redis_auth: hunter2
  redis_db: 3
  server_connections: 2
  max_leased_connections: 64
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 1
  client_connections: 100
  tcpkeepalive: true
  reuseport: true
  servers:
    - 127.0.0.1:7001:1 s1
)",
                                   "t.yml");
  const Pool& pool = config.pools.at(0);
  EXPECT_EQ(pool.listen.host, "::1");
  EXPECT_EQ(pool.listen.port, 6380);
  EXPECT_EQ(pool.hash, HashKind::kMurmur);
  EXPECT_EQ(pool.hash_tag, "{}");
  EXPECT_EQ(pool.distribution, Distribution::kModula);
  EXPECT_EQ(pool.timeout_ms, 400);
  EXPECT_EQ(pool.backlog, 1024);
  EXPECT_TRUE(pool.preconnect);
  EXPECT_EQ(pool.redis_auth, "hunter2");
  EXPECT_EQ(pool.redis_db, 3);
  EXPECT_EQ(pool.server_connections, 2u);
  EXPECT_EQ(pool.max_leased_connections, 64u);
  EXPECT_TRUE(pool.auto_eject_hosts);
  EXPECT_EQ(pool.server_retry_timeout_ms, 2000);
  EXPECT_EQ(pool.server_failure_limit, 1u);
  EXPECT_EQ(pool.client_connections, 100u);
  EXPECT_TRUE(pool.tcpkeepalive);
  EXPECT_TRUE(pool.reuseport);
}

TEST(LoadString, TwemproxyDistributionsSortServersByName) {
  const Config config = loadString(R"(
gamma:
  listen: 127.0.0.1:6380
  servers:
    - 127.0.0.1:7003:1 server10
    - 127.0.0.1:7001:1 server2
    - 127.0.0.1:7002:1 server1
    - 127.0.0.1:7004:1 b
)",
                                   "t.yml");
  std::vector<std::string> names;
  for (const Server& server : config.pools[0].servers) {
    names.push_back(server.name);
  }
  // Shorter names first, then byte order: twemproxy's conf_server_name_cmp.
  EXPECT_EQ(names, (std::vector<std::string>{"b", "server1", "server2", "server10"}));
}

TEST(LoadString, RedisShardKeepsListedOrderAndItsDefaults) {
  const Config config = loadString(R"(
shard:
  listen: 127.0.0.1:6380
  distribution: redis_shard
  servers:
    - redis://127.0.0.1:7002/0?name=node2
    - {name: node1, host: 127.0.0.1, port: 7001, db: 1, password: pw, max_connections: 5}
    - 127.0.0.1:7003:1 node3
)",
                                   "t.yml");
  const Pool& pool = config.pools[0];
  EXPECT_EQ(pool.distribution, Distribution::kRedisShard);
  EXPECT_EQ(pool.hash, HashKind::kCrc32);
  EXPECT_EQ(pool.hash_tag, "{}");
  ASSERT_EQ(pool.servers.size(), 3u);
  EXPECT_EQ(pool.servers[0].name, "node2");
  EXPECT_EQ(pool.servers[0].db, 0);
  EXPECT_EQ(pool.servers[1].name, "node1");
  EXPECT_EQ(pool.servers[1].port, 7001);
  EXPECT_EQ(pool.servers[1].db, 1);
  EXPECT_EQ(pool.servers[1].password, "pw");
  EXPECT_EQ(pool.servers[1].max_connections, 5u);
  EXPECT_EQ(pool.servers[1].address_text, "127.0.0.1:7001");
  EXPECT_EQ(pool.servers[2].name, "node3");
}

TEST(LoadString, RedisShardHashesAndTagOff) {
  const Config config = loadString(R"(
a:
  listen: 127.0.0.1:6380
  distribution: redis_shard
  hash: sha1
  hash_tag: ""
  servers: [redis://h1]
b:
  listen: 127.0.0.1:6381
  distribution: redis_shard
  hash: md5
  hash_tag: "[]"
  servers: [redis://h2]
)",
                                   "t.yml");
  EXPECT_EQ(config.pools[0].hash, HashKind::kSha1);
  EXPECT_EQ(config.pools[0].hash_tag, "");
  EXPECT_EQ(config.pools[1].hash, HashKind::kMd5);
  EXPECT_EQ(config.pools[1].hash_tag, "[]");
  EXPECT_EQ(config.pools[0].servers[0].name, "h1:6379");
}

TEST(LoadString, MappingServerDefaultName) {
  const Config config = loadString(R"(
a:
  listen: /tmp/a.sock 0600
  servers:
    - {host: 10.1.1.1}
    - {host: 10.1.1.2, port: 11211, weight: 5}
)",
                                   "t.yml");
  const Pool& pool = config.pools[0];
  EXPECT_EQ(pool.listen.kind, ListenAddress::Kind::kUnix);
  EXPECT_EQ(pool.listen.permissions, 0600u);
  ASSERT_EQ(pool.servers.size(), 2u);
  EXPECT_EQ(pool.servers[0].name, "10.1.1.2");  // port 11211 left out, so it is shorter
  EXPECT_EQ(pool.servers[0].weight, 5u);
  EXPECT_EQ(pool.servers[1].name, "10.1.1.1:6379");
}

TEST(LoadString, PoolsKeepFileOrder) {
  const Config config = loadString(R"(
zeta: {listen: 127.0.0.1:7000, servers: [127.0.0.1:1:1]}
alpha: {listen: 127.0.0.1:7001, servers: [127.0.0.1:1:1]}
)",
                                   "t.yml");
  ASSERT_EQ(config.pools.size(), 2u);
  EXPECT_EQ(config.pools[0].name, "zeta");
  EXPECT_EQ(config.pools[1].name, "alpha");
}

TEST(LoadString, ShardisSection) {
  const Config config = loadString(R"(
shardis:
  threads: 4
  stats_addr: 0.0.0.0
  stats_port: 22223
  admin: 127.0.0.1:9121
  log_level: debug
  log_file: /var/log/shardis.log
  max_clients: 500
  client_output_buffer_limit: 16mb
  slowlog_log_slower_than: 5000
  slowlog_max_len: 64
  hotkeys: true
  limits:
    max_bulk_len: 1gb
    max_array_len: 1000
    max_depth: 8
    max_inline_len: 4kb
pool:
  listen: 127.0.0.1:6380
  servers: [127.0.0.1:7001:1]
)",
                                   "t.yml");
  const Process& process = config.process;
  EXPECT_EQ(process.threads, 4);
  EXPECT_EQ(process.stats_addr, "0.0.0.0");
  EXPECT_EQ(process.stats_port, 22223);
  EXPECT_EQ(process.admin_listen, "127.0.0.1:9121");
  EXPECT_EQ(process.log_level, "debug");
  EXPECT_EQ(process.log_file, "/var/log/shardis.log");
  EXPECT_EQ(process.max_clients, 500u);
  EXPECT_EQ(process.client_output_buffer_limit, (OutputBufferLimit{16ull << 20, 0, 0}));
  EXPECT_EQ(process.slowlog_log_slower_than_us, 5000);
  EXPECT_EQ(process.slowlog_max_len, 64u);
  EXPECT_TRUE(process.hotkeys);
  EXPECT_EQ(process.limits.max_bulk_len, 1ull << 30);
  EXPECT_EQ(process.limits.max_array_len, 1000u);
  EXPECT_EQ(process.limits.max_depth, 8u);
  EXPECT_EQ(process.limits.max_inline_len, 4096u);
  EXPECT_EQ(config.pools.size(), 1u);
}

OutputBufferLimit outputLimitOf(std::string_view value) {
  const std::string yaml = "shardis:\n  client_output_buffer_limit: " + std::string(value) +
                           "\npool: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}\n";
  return loadString(yaml, "t.yml").process.client_output_buffer_limit;
}

// Redis's client-output-buffer-limit for the normal class: hard bytes, soft bytes, soft
// seconds; 0 turns a limit off, and "0 0 0" (no limit) is the default, as in Redis.
TEST(LoadString, ClientOutputBufferLimitForms) {
  EXPECT_EQ(loadString("pool: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}\n", "t.yml")
                .process.client_output_buffer_limit,
            (OutputBufferLimit{0, 0, 0}));
  EXPECT_EQ(outputLimitOf("0"), (OutputBufferLimit{0, 0, 0}));
  EXPECT_EQ(outputLimitOf("64mb"), (OutputBufferLimit{64ull << 20, 0, 0}));
  EXPECT_EQ(outputLimitOf("256mb 64mb 60"), (OutputBufferLimit{256ull << 20, 64ull << 20, 60}));
  EXPECT_EQ(outputLimitOf("\"0 0 0\""), (OutputBufferLimit{0, 0, 0}));
  EXPECT_EQ(outputLimitOf("normal 0 32k 10"), (OutputBufferLimit{0, 32000, 10}));
  EXPECT_EQ(outputLimitOf("NORMAL 1gb 0 0"), (OutputBufferLimit{1ull << 30, 0, 0}));
}

// Redis's pubsub class: 32mb 8mb 60 by default, set by its own key or by the class word.
TEST(LoadString, PubsubOutputBufferLimit) {
  const std::string pool = "pool: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}\n";
  EXPECT_EQ(loadString(pool, "t.yml").process.client_output_buffer_limit_pubsub,
            (OutputBufferLimit{32ull << 20, 8ull << 20, 60}));
  const Config own =
      loadString("shardis:\n  client_output_buffer_limit_pubsub: 4mb 1mb 10\n" + pool, "t.yml");
  EXPECT_EQ(own.process.client_output_buffer_limit_pubsub,
            (OutputBufferLimit{4ull << 20, 1ull << 20, 10}));
  EXPECT_EQ(own.process.client_output_buffer_limit, (OutputBufferLimit{0, 0, 0}));
  const Config by_class =
      loadString("shardis:\n  client_output_buffer_limit: pubsub 0 0 0\n" + pool, "t.yml");
  EXPECT_EQ(by_class.process.client_output_buffer_limit_pubsub, (OutputBufferLimit{0, 0, 0}));
  EXPECT_EQ(by_class.process.client_output_buffer_limit, (OutputBufferLimit{0, 0, 0}));
}

TEST(LoadString, QueueLimits) {
  const Config defaults =
      loadString("pool: {listen: 127.0.0.1:6380, servers: [127.0.0.1:1:1]}", "t.yml");
  EXPECT_EQ(defaults.process.client_queue_limit, 64ull << 20);
  EXPECT_EQ(defaults.process.server_queue_limit, 64ull << 20);
  const Config config = loadString(R"(
shardis:
  client_queue_limit: 8mb
  server_queue_limit: 0
pool: {listen: 127.0.0.1:6380, servers: [127.0.0.1:1:1]}
)",
                                   "t.yml");
  EXPECT_EQ(config.process.client_queue_limit, 8ull << 20);
  EXPECT_EQ(config.process.server_queue_limit, 0u);  // no limit
}

TEST(LoadFile, ReadsTheDemoConfig) {
  const Config config = loadFile(std::string(SHARDIS_TEST_DATA) + "/../../conf/shardis.yml");
  ASSERT_FALSE(config.pools.empty());
  EXPECT_EQ(config.pools[0].servers.size(), 3u);
}

TEST(LoadFile, MissingFileNamesThePath) {
  try {
    loadFile("/nonexistent/shardis.yml");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "/nonexistent/shardis.yml: cannot open the configuration file: No such file or "
              "directory");
  }
}

TEST(ConfigLoad, ReadFromAndStaticReplicas) {
  const Config config = loadString(R"(
alpha:
  listen: 127.0.0.1:6380
  read_from: prefer_replica
  servers:
    - {name: s1, host: 127.0.0.1, port: 7001, replicas: ["127.0.0.1:7101", "[::1]:7102"]}
    - 127.0.0.1:7002:1 s2
)",
                                   "conf/t.yml");
  const Pool& pool = config.pools[0];
  EXPECT_EQ(pool.read_from, ReadFrom::kPreferReplica);
  ASSERT_EQ(pool.servers[0].replicas.size(), 2u);
  EXPECT_EQ(pool.servers[0].replicas[0].host, "127.0.0.1");
  EXPECT_EQ(pool.servers[0].replicas[0].port, 7101);
  EXPECT_EQ(pool.servers[0].replicas[1].host, "::1");
  EXPECT_EQ(pool.servers[0].replicas[1].address_text, "[::1]:7102");
  EXPECT_TRUE(pool.servers[1].replicas.empty());
  EXPECT_EQ(loadString("b:\n  listen: 127.0.0.1:1\n  servers: [127.0.0.1:2:1 s]\n", "x")
                .pools[0]
                .read_from,
            ReadFrom::kMaster);
}

}  // namespace
}  // namespace shardis::config
