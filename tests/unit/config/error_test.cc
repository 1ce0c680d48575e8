// Every way a file is refused, with the exact message an operator reads. Line and column are
// 1-based and point at the offending value (the raw strings below start with a newline, so
// the first pool name is on line 2).
#include <gtest/gtest.h>

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

TEST(ConfigError, UnknownPoolKey) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hsah: md5
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:3: pool 'alpha': unknown key 'hsah'");
}

TEST(ConfigError, KeyGivenTwice) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  timeout: 10
  timeout: 20
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:5:3: pool 'alpha': key 'timeout' is given twice");
}

TEST(ConfigError, WrongTypeInteger) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  timeout: soon
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:12: pool 'alpha': timeout must be an integer, got 'soon'");
}

TEST(ConfigError, WrongTypeBoolean) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  preconnect: maybe
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:15: pool 'alpha': preconnect must be true or false, got 'maybe'");
}

TEST(ConfigError, WrongTypeSequenceForString) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: [127.0.0.1, 6380]
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:3:11: pool 'alpha': listen must be a string, got a sequence");
}

TEST(ConfigError, IntegerOutOfRange) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  server_connections: 0
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:23: pool 'alpha': server_connections must be at least 1, got '0'");
}

TEST(ConfigError, MaxLeasedConnectionsAtLeastOne) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  max_leased_connections: 0
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:27: pool 'alpha': max_leased_connections must be at least 1, got '0'");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  max_leased_connections: lots
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:27: pool 'alpha': max_leased_connections must be an integer, got "
            "'lots'");
}

TEST(ConfigError, BadListenAddress) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: localhost
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:3:11: pool 'alpha': listen 'localhost' is not host:port, [ipv6]:port "
            "or /path.sock [permissions]");
}

TEST(ConfigError, BadListenPort) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:99999
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:3:11: pool 'alpha': listen '127.0.0.1:99999': port must be an integer "
            "from 1 to 65535, got '99999'");
}

TEST(ConfigError, BadServerAddress) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - 127.0.0.1:7001:1 s1
    - 127.0.0.1:http:1 s2
)"),
            "conf/t.yml:6:7: pool 'alpha': server '127.0.0.1:http:1 s2': port must be an "
            "integer from 1 to 65535, got 'http'");
}

TEST(ConfigError, ServerNotAnAddress) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - cache
)"),
            "conf/t.yml:5:7: pool 'alpha': server 'cache' is not host:port:weight [name], "
            "/path.sock:weight [name] or a redis:// URL (only a pool with a 'sentinel' takes "
            "names alone)");
}

TEST(ConfigError, ZeroWeight) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - 127.0.0.1:7001:0 s1
)"),
            "conf/t.yml:5:7: pool 'alpha': server '127.0.0.1:7001:0 s1': weight must be an "
            "integer of at least 1, got '0'");
}

TEST(ConfigError, NegativeWeight) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {host: 127.0.0.1, port: 7001, weight: -3}
)"),
            "conf/t.yml:5:45: pool 'alpha': server weight must be at least 1, got '-3'");
}

TEST(ConfigError, DuplicateServerName) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - 127.0.0.1:7001:1 s1
    - redis://127.0.0.1:7002?name=s1
)"),
            "conf/t.yml:6:7: pool 'alpha': server name 's1' is used twice in this pool (first "
            "at line 5)");
}

TEST(ConfigError, DuplicateDefaultServerName) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - 127.0.0.1:7001:1
    - 127.0.0.1:7001:2
)"),
            "conf/t.yml:6:7: pool 'alpha': server name '127.0.0.1:7001' is used twice in this "
            "pool (first at line 5)");
}

TEST(ConfigError, DuplicateListenAcrossPools) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers: [127.0.0.1:7001:1]
beta:
  listen: 127.0.0.1:6380
  servers: [127.0.0.1:7002:1]
)"),
            "conf/t.yml:6:11: pool 'beta': listen '127.0.0.1:6380' is already used by pool "
            "'alpha'");
}

TEST(ConfigError, MissingServers) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash: md5
)"),
            "conf/t.yml:2:1: pool 'alpha': missing 'servers' (a list of at least one server)");
}

TEST(ConfigError, EmptyServers) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers: []
)"),
            "conf/t.yml:4:12: pool 'alpha': servers is empty; a pool needs at least one server");
}

TEST(ConfigError, MissingListen) {
  EXPECT_EQ(loadError(R"(
alpha:
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:2:1: pool 'alpha': missing 'listen' (the address clients connect to)");
}

TEST(ConfigError, BadHash) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash: fnv2
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:9: pool 'alpha': hash 'fnv2' is not one of one_at_a_time, md5, "
            "crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, "
            "jenkins");
}

TEST(ConfigError, Sha1NeedsRedisShard) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash: sha1
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:9: pool 'alpha': hash 'sha1' is not one of one_at_a_time, md5, "
            "crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, "
            "jenkins (sha1 needs distribution redis_shard)");
}

TEST(ConfigError, TwemproxyHashUnderRedisShard) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash: fnv1a_64
  distribution: redis_shard
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:9: pool 'alpha': hash 'fnv1a_64' is not one of crc32, md5, sha1 (the "
            "hashes of distribution redis_shard)");
}

TEST(ConfigError, BadDistribution) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  distribution: consistent
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:17: pool 'alpha': distribution 'consistent' is not one of ketama, "
            "modula, random, redis_shard");
}

TEST(ConfigError, HashTagNotTwoCharacters) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash_tag: "{{}"
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:13: pool 'alpha': hash_tag '{{}' must be exactly two characters, "
            "such as \"{}\"");
}

TEST(ConfigError, HashTagUnquotedBraces) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash_tag: {}
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:13: pool 'alpha': hash_tag must be a string, got a mapping (write "
            "\"{}\" with quotes)");
}

TEST(ConfigError, HashTagUnderRedisShard) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  distribution: redis_shard
  hash_tag: "{"
  servers: [redis://127.0.0.1:7001]
)"),
            "conf/t.yml:5:13: pool 'alpha': hash_tag '{' must be exactly two characters, "
            "such as \"{}\" (or \"\" to turn tags off)");
}

TEST(ConfigError, EmptyHashTagUnderTwemproxy) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  hash_tag: ""
  servers: [127.0.0.1:7001:1]
)"),
            "conf/t.yml:4:13: pool 'alpha': hash_tag '' must be exactly two characters, such "
            "as \"{}\"");
}

TEST(ConfigError, MemcachedPoolRefused) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  redis: false
  servers: [127.0.0.1:11211:1]
)"),
            "conf/t.yml:4:10: pool 'alpha': redis: false asks for a memcached pool; shardis "
            "speaks only the Redis protocol");
}

TEST(ConfigError, YamlSyntax) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers: [127.0.0.1:7001:1
)"),
            "conf/t.yml:5:1: YAML syntax error: end of sequence flow not found");
}

TEST(ConfigError, BadShardisThreads) {
  EXPECT_EQ(loadError(R"(
shardis:
  threads: -1
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:12: section 'shardis': threads must be at least 0, got '-1'");
}

TEST(ConfigError, UnknownShardisLimit) {
  EXPECT_EQ(loadError(R"(
shardis:
  limits:
    max_bulk: 10
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:4:5: section 'shardis': unknown key 'max_bulk'");
}

TEST(ConfigError, BadQueueLimit) {
  EXPECT_EQ(loadError(R"(
shardis:
  server_queue_limit: -1
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:23: section 'shardis': server_queue_limit must be a positive byte "
            "count such as 1048576 or 64mb, got '-1'");
}

TEST(ConfigError, BadShardisAdminAddress) {
  EXPECT_EQ(loadError(R"(
shardis:
  admin: 9121
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:10: section 'shardis': admin '9121' is not host:port or [ipv6]:port");
}

TEST(ConfigError, ShardisSectionNotAMapping) {
  EXPECT_EQ(loadError(R"(
shardis: [threads]
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:2:10: section 'shardis': the shardis section must be a mapping of "
            "settings, got a sequence");
}

TEST(ConfigError, OnlyShardisSection) {
  EXPECT_EQ(loadError("shardis:\n  threads: 2\n"),
            "conf/t.yml:1:1: no pools defined (only the shardis section)");
}

TEST(ConfigError, UnsupportedUrlScheme) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers: [rediss://cache:6380]
)"),
            "conf/t.yml:4:13: pool 'alpha': server 'rediss://cache:6380': only redis:// URLs "
            "are supported");
}

TEST(ConfigError, ServerMappingWithoutHost) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {name: s1, port: 7001}
)"),
            "conf/t.yml:5:7: pool 'alpha': server mapping has no 'host' (only a pool with a "
            "'sentinel' takes names alone)");
}

TEST(ConfigError, UnknownShardisKey) {
  EXPECT_EQ(loadError(R"(
shardis:
  thread: 4
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:3: section 'shardis': unknown key 'thread'");
}

TEST(ConfigError, BadShardisLogLevel) {
  EXPECT_EQ(loadError(R"(
shardis:
  log_level: loud
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:14: section 'shardis': log_level 'loud' is not one of trace, debug, "
            "info, warn, error, critical, off");
}

TEST(ConfigError, BadShardisByteCount) {
  EXPECT_EQ(loadError(R"(
shardis:
  limits: {max_bulk_len: lots}
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:26: section 'shardis': limits.max_bulk_len must be a positive "
            "byte count such as 1048576 or 64mb, got 'lots'");
}

std::string outputLimitError(std::string_view value) {
  return loadError("shardis:\n  client_output_buffer_limit: " + std::string(value) +
                   "\nalpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}\n");
}

TEST(ConfigError, BadClientOutputBufferLimit) {
  const std::string expected_form =
      "client_output_buffer_limit must be a byte count or '[normal|pubsub] HARD SOFT SECONDS' "
      "(0 = no limit), such as 64mb or 256mb 64mb 60, got ";
  const std::string where = "conf/t.yml:2:31: section 'shardis': ";
  EXPECT_EQ(outputLimitError("lots"), where + expected_form + "'lots'");
  EXPECT_EQ(outputLimitError("1mb 2mb"), where + expected_form + "'1mb 2mb'");
  EXPECT_EQ(outputLimitError("-1"), where + expected_form + "'-1'");
  EXPECT_EQ(outputLimitError("1mb 1mb 1 1"), where + expected_form + "'1mb 1mb 1 1'");
  EXPECT_EQ(outputLimitError("[1, 2]"), where + expected_form + "a sequence");
  EXPECT_EQ(outputLimitError("1mb lots 60"),
            where + "client_output_buffer_limit soft limit 'lots' is not a byte count");
  EXPECT_EQ(outputLimitError("1mb 1mb soon"),
            where +
                "client_output_buffer_limit soft seconds 'soon' is not a whole number of "
                "seconds");
  EXPECT_EQ(outputLimitError("replica 32mb 8mb 60"),
            where +
                "client_output_buffer_limit class 'replica' is not supported (only normal and "
                "pubsub)");
}

TEST(ConfigError, UnknownServerMappingKey) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {host: 127.0.0.1, prot: 7001}
)"),
            "conf/t.yml:5:25: pool 'alpha': unknown server key 'prot' (known: name, host, port, "
            "db, username, password, weight, max_connections, replicas)");
}

TEST(ConfigError, PoolNotAMapping) {
  EXPECT_EQ(loadError(R"(
alpha: 127.0.0.1:6380
)"),
            "conf/t.yml:2:8: pool 'alpha': a pool must be a mapping of settings, got "
            "'127.0.0.1:6380'");
}

TEST(ConfigError, EmptyFile) {
  EXPECT_EQ(loadError("# nothing here\n"), "conf/t.yml: no pools defined (the file is empty)");
}

TEST(ConfigError, PoolDefinedTwice) {
  EXPECT_EQ(loadError(R"(
alpha: {listen: 127.0.0.1:6380, servers: [127.0.0.1:7001:1]}
alpha: {listen: 127.0.0.1:6381, servers: [127.0.0.1:7001:1]}
)"),
            "conf/t.yml:3:1: pool 'alpha' is defined twice");
}

TEST(ConfigError, ReadFromAndReplicas) {
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  read_from: slaves
  servers: [127.0.0.1:7001:1 s1]
)"),
            "conf/t.yml:4:14: pool 'alpha': read_from 'slaves' is not one of master, replica, "
            "prefer_replica");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {host: 127.0.0.1, port: 7001, replicas: [127.0.0.1]}
)"),
            "conf/t.yml:5:48: pool 'alpha': replica '127.0.0.1' is not host:port");
  EXPECT_EQ(loadError(R"(
alpha:
  listen: 127.0.0.1:6380
  servers:
    - {host: 127.0.0.1, port: 7001, replicas: 127.0.0.1:7002}
)"),
            "conf/t.yml:5:47: pool 'alpha': server replicas must be a list of host:port, got "
            "'127.0.0.1:7002'");
}

}  // namespace
}  // namespace shardis::config
