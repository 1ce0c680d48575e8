// `shardis locate --diff`: the counts of moved keys between two in-memory configs, with the
// sample and with a fake scanner standing for the servers.
#include "app/locate_diff.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "app/locate.h"

namespace shardis::app {
namespace {

std::string pool(std::string_view name, std::string_view distribution,
                 std::initializer_list<std::string_view> servers, std::string_view extra = "") {
  // Pools of one file need distinct listen addresses: one port per name.
  int port = 6000;
  for (const char c : name) {
    port += static_cast<unsigned char>(c);
  }
  std::string text = std::string(name) + ":\n  listen: 127.0.0.1:" + std::to_string(port) +
                     "\n  distribution: " + std::string(distribution) + "\n" + std::string(extra) +
                     "  servers:\n";
  for (const std::string_view server : servers) {
    text += "    - " + std::string(server) + "\n";
  }
  return text;
}

const std::string kKetama3 =
    pool("p", "ketama", {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3"});

struct DiffRun {
  int code = 0;
  std::string out;
  std::string err;
};

const ServerScanner kNoScan = [](const config::Pool&, const config::Server&, const KeyVisitor&,
                                 std::string& error) {
  error = "no scan in this test";
  return false;
};

DiffRun diff(std::string_view old_yaml, std::string_view new_yaml, const Options& options,
             const ServerScanner& scanner = kNoScan) {
  const config::Config old_config = config::loadString(old_yaml, "old.yml");
  const config::Config new_config = config::loadString(new_yaml, "new.yml");
  std::ostringstream out;
  std::ostringstream err;
  DiffRun run;
  run.code = runLocateDiff(old_config, new_config, options, scanner, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

Options sample(uint64_t keys) {
  Options options;
  options.locate_diff = true;
  options.diff_sample = keys;
  return options;
}

// Sample keys one at a time through PoolDiff, for the counts a test asserts on.
PoolDiff sampled(const config::Pool& old_pool, const config::Pool& new_pool, uint64_t keys) {
  PoolDiff diff(old_pool, new_pool);
  for (uint64_t i = 0; i < keys; ++i) {
    diff.countPlaced("key:" + std::to_string(i));
  }
  return diff;
}

TEST(LocateDiff, IdenticalConfigsMoveNothing) {
  const std::string shard =
      pool("r", "redis_shard", {"redis://127.0.0.1:7001?name=a", "redis://127.0.0.1:7002?name=b"});
  const DiffRun run = diff(kKetama3 + shard, kKetama3 + shard, sample(5000));
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out, "pool\tp\tsample\t5000\t0\t0.00\npool\tr\tsample\t5000\t0\t0.00\n");
  EXPECT_EQ(run.err, "");
}

TEST(LocateDiff, KetamaAddingAServerMovesAQuarterToIt) {
  const config::Config old_config = config::loadString(kKetama3, "old.yml");
  const config::Config new_config =
      config::loadString(pool("p", "ketama",
                              {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3",
                               "127.0.0.1:7004:1 s4"}),
                         "new.yml");
  const PoolDiff diff = sampled(old_config.pools[0], new_config.pools[0], 20000);
  EXPECT_EQ(diff.examined(), 20000u);
  EXPECT_GT(diff.moved(), 20000u * 10 / 100);
  EXPECT_LT(diff.moved(), 20000u * 40 / 100);
  uint64_t to_s4 = 0;
  for (const auto& [servers, keys] : diff.moves()) {
    EXPECT_EQ(new_config.pools[0].servers.at(servers.second).name, "s4");
    to_s4 += keys;
  }
  EXPECT_EQ(to_s4, diff.moved());
}

TEST(LocateDiff, NewAddressSameNameMovesAllItsKeys) {
  const config::Config old_config = config::loadString(kKetama3, "old.yml");
  const config::Config new_config = config::loadString(
      pool("p", "ketama", {"127.0.0.1:7001:1 s1", "10.0.0.9:7002:1 s2", "127.0.0.1:7003:1 s3"}),
      "new.yml");
  const config::Pool& old_pool = old_config.pools[0];
  const auto ring = buildPoolRing(old_pool);
  uint64_t on_s2 = 0;
  for (int i = 0; i < 10000; ++i) {
    on_s2 += old_pool.servers.at(ring->locate("key:" + std::to_string(i))).name == "s2";
  }
  ASSERT_GT(on_s2, 0u);
  const PoolDiff diff = sampled(old_pool, new_config.pools[0], 10000);
  EXPECT_EQ(diff.moved(), on_s2);
  ASSERT_EQ(diff.moves().size(), 1u);
  std::ostringstream out;
  diff.print(out, "sample");
  EXPECT_NE(out.str().find("\nmove\tp\ts2\t127.0.0.1:7002\ts2\t10.0.0.9:7002\t" +
                           std::to_string(on_s2) + "\n"),
            std::string::npos)
      << out.str();
}

TEST(LocateDiff, ModulaAddingAServerMovesMostKeys) {
  const config::Config old_config = config::loadString(
      pool("p", "modula", {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3"}),
      "old.yml");
  const config::Config new_config =
      config::loadString(pool("p", "modula",
                              {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3",
                               "127.0.0.1:7004:1 s4"}),
                         "new.yml");
  const PoolDiff diff = sampled(old_config.pools[0], new_config.pools[0], 20000);
  // A key stays only when hash % 3 == hash % 4: a quarter of them.
  EXPECT_GT(diff.moved(), 20000u * 60 / 100);
  EXPECT_LT(diff.moved(), 20000u * 90 / 100);
}

TEST(LocateDiff, ChangedDatabaseOrHashTagMovesKeys) {
  const DiffRun db = diff(
      kKetama3,
      pool("p", "ketama", {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3"},
           "  redis_db: 3\n"),
      sample(1000));
  EXPECT_EQ(db.out.substr(0, db.out.find('\n')), "pool\tp\tsample\t1000\t1000\t100.00");
  // A hash tag of "k:" makes "ey" the routing bytes of every "key:N".
  const DiffRun tag = diff(
      kKetama3,
      pool("p", "ketama", {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "127.0.0.1:7003:1 s3"},
           "  hash_tag: \"k:\"\n"),
      sample(1000));
  // Every key now routes by "ey", so all land on one server: about two thirds move.
  EXPECT_NE(tag.out.find("pool\tp\tsample\t1000\t"), std::string::npos);
  EXPECT_EQ(tag.out.find("pool\tp\tsample\t1000\t0\t"), std::string::npos) << tag.out;
}

TEST(LocateDiff, PoolsInOneFileRandomAndUnknownPool) {
  const std::string only_old = pool("gone", "ketama", {"127.0.0.1:7009:1 g"});
  const std::string only_new = pool("fresh", "ketama", {"127.0.0.1:7008:1 f"});
  const std::string random = pool("rnd", "random", {"127.0.0.1:7007:1 x", "127.0.0.1:7006:1 y"});
  const DiffRun run = diff(kKetama3 + only_old + random, random + only_new + kKetama3, sample(10));
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out,
            "pool\tp\tsample\t10\t0\t0.00\nonly\tgone\told\nrandom\trnd\nonly\tfresh\tnew\n");
  Options options = sample(10);
  options.locate_pool = "fresh";
  EXPECT_EQ(diff(kKetama3, kKetama3 + only_new, options).out, "only\tfresh\tnew\n");
  options.locate_pool = "nope";
  const DiffRun unknown = diff(kKetama3, kKetama3, options);
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(unknown.err, "shardis: no pool 'nope' in old.yml or new.yml\n");
}

TEST(LocateDiff, ScanCountsKeysWhereTheyWereFoundAndSkipsUnreachable) {
  // s1 holds two keys, s2 cannot be reached, s3 holds one; NEW moves s3 elsewhere.
  std::map<std::string, std::vector<std::string>> stored = {{"s1", {"a", "b"}}, {"s3", {"c"}}};
  const ServerScanner scanner = [&stored](const config::Pool&, const config::Server& server,
                                          const KeyVisitor& visit, std::string& error) {
    if (server.name == "s2") {
      error = "connect: Connection refused";
      return false;
    }
    for (const std::string& key : stored[server.name]) {
      visit(key);
    }
    return true;
  };
  Options options;
  options.locate_diff = true;
  options.diff_keys = Options::DiffKeys::kScan;
  const std::string moved_s3 =
      pool("p", "ketama", {"127.0.0.1:7001:1 s1", "127.0.0.1:7002:1 s2", "10.0.0.3:7003:1 s3"});
  const DiffRun run = diff(kKetama3, moved_s3, options, scanner);
  EXPECT_EQ(run.code, 2);
  // Where NEW puts "a" and "b" decides whether they move; "c" moves whatever NEW says, since
  // no NEW server is the s3 it was found on.
  const config::Config new_config = config::loadString(moved_s3, "new.yml");
  const auto ring = buildPoolRing(new_config.pools[0]);
  uint64_t expected = 1;
  for (const char* key : {"a", "b"}) {
    expected += new_config.pools[0].servers.at(ring->locate(key)).name != "s1";
  }
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')), "pool\tp\tscan\t3\t" + std::to_string(expected) +
                                                       "\t" +
                                                       (expected == 1   ? "33.33"
                                                        : expected == 2 ? "66.67"
                                                                        : "100.00"));
  EXPECT_NE(run.out.find("\nskipped\tp\ts2\t127.0.0.1:7002\tconnect: Connection refused\n"),
            std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace shardis::app
