// `shardis locate` on an in-memory config: field layout, escaping, pool selection.
#include "app/locate.h"

#include <gtest/gtest.h>

#include <sstream>

namespace shardis::app {
namespace {

constexpr std::string_view kTwoPools = R"(
tw:
  listen: 127.0.0.1:6380
  hash_tag: "{}"
  servers:
    - 127.0.0.1:7001:1 s1
one:
  listen: 127.0.0.1:6381
  distribution: redis_shard
  servers:
    - redis://127.0.0.1:7002?name=only
)";

TEST(EscapeBytes, PrintableKeptOthersHex) {
  EXPECT_EQ(escapeBytes("plain:key{1}"), "plain:key{1}");
  EXPECT_EQ(escapeBytes(std::string_view("a\tb\nc\0d\x7f\xff\\", 10)),
            "a\\x09b\\x0ac\\x00d\\x7f\\xff\\\\");
}

TEST(RunLocate, OneLinePerPoolAndKey) {
  const config::Config config = config::loadString(kTwoPools, "two.yml");
  Options options;
  options.locate_keys = {"user:{7}:name", "x"};
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(runLocate(config, options, out, err), 0);
  // One server per pool, so the server is known; the hash comes from the hash module.
  std::istringstream lines(out.str());
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, '\t')) {
      fields.push_back(cell);
    }
    rows.push_back(fields);
  }
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0], "tw");
  EXPECT_EQ(rows[0][1], "user:{7}:name");
  EXPECT_EQ(rows[0][2], "7");
  EXPECT_EQ(rows[0][4], "s1");
  EXPECT_EQ(rows[0][5], "127.0.0.1:7001");
  EXPECT_EQ(rows[1][1], "x");
  EXPECT_EQ(rows[2][0], "one");
  EXPECT_EQ(rows[2][2], "7");
  EXPECT_EQ(rows[2][4], "only");
  EXPECT_EQ(rows[2][5], "127.0.0.1:7002");
  for (const auto& row : rows) {
    EXPECT_EQ(row.size(), 6u);
  }
  EXPECT_EQ(err.str(), "");
}

TEST(RunLocate, PoolFilterAndUnknownPool) {
  const config::Config config = config::loadString(kTwoPools, "two.yml");
  Options options;
  options.locate_keys = {"k"};
  options.locate_pool = "one";
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(runLocate(config, options, out, err), 0);
  EXPECT_EQ(out.str().substr(0, 6), "one\tk\t");
  options.locate_pool = "nope";
  out.str("");
  EXPECT_EQ(runLocate(config, options, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(), "shardis: no pool 'nope' in two.yml (pools: tw, one)\n");
}

TEST(RunLocate, SentinelPoolShowsTheMasterName) {
  // No Sentinel is asked; the server's place comes from its name alone.
  const config::Config config = config::loadString(R"(
ha:
  listen: 127.0.0.1:6380
  distribution: redis_shard
  sentinel: {hosts: [[127.0.0.1, 1]], master_prefix: "cache-"}
  servers: [only]
)",
                                                   "ha.yml");
  Options options;
  options.locate_keys = {"k"};
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(runLocate(config, options, out, err), 0);
  EXPECT_EQ(out.str().substr(out.str().rfind("\tonly\t")), "\tonly\tsentinel:cache-only\n");
  EXPECT_EQ(err.str(), "");
}

TEST(RunLocate, Ketama3ServersMatchesTheRing) {
  // The demo pool: three servers, fnv1a_64, ketama. Keys sharing a tag share a server.
  const config::Config config =
      config::loadFile(std::string(SHARDIS_TEST_DATA) + "/../../conf/shardis.yml");
  Options options;
  options.locate_keys = {"user:{42}:name", "user:{42}:mail"};
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(runLocate(config, options, out, err), 0);
  std::istringstream lines(out.str());
  std::string first;
  std::string second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(first.substr(first.find("\t42\t")), second.substr(second.find("\t42\t")));
}

}  // namespace
}  // namespace shardis::app
