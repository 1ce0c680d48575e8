// Every placement recorded from the real programs (tests/data/twemproxy.tsv from nutcracker
// 0.5.0, tests/data/redis_shard.tsv from redis-shard 0.3.7) must come out the same here.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include "hash/hash_tag.h"
#include "hash/ring.h"
#include "server_list.h"

namespace shardis::hash {
namespace {

using testing::TsvFile;

struct BuiltRing {
  std::vector<RingMember> members;
  std::shared_ptr<const Ring> ring;
};

// Counts rows and keeps the first few mismatches, so one failure explains itself.
struct Tally {
  size_t checked = 0;
  size_t mismatched = 0;
  std::ostringstream details;

  // Returns the stream to describe this mismatch on, or nullptr once enough are kept.
  std::ostream* mismatch() {
    if (++mismatched > 25) return nullptr;
    return &(details << "\n  ");
  }
};

std::string dataPath(const char* name) { return std::string(SHARDIS_TEST_DATA) + "/" + name; }

TEST(Vectors, Twemproxy) {
  const auto file = testing::readTsv(dataPath("twemproxy.tsv"));
  ASSERT_TRUE(file.has_value()) << "cannot read twemproxy.tsv";
  ASSERT_EQ(file->header, (std::vector<std::string>{"hash", "distribution", "servers", "key",
                                                    "expected_server"}));
  // The file does not say so, but the recording pools were configured with `hash_tag: "{}"`:
  // hashing whole keys puts 303 rows elsewhere, keys such as "user:{42}:name" and "{{}}";
  // taking the tag first makes every row match.
  const HashTag tag = HashTag::twemproxy("{}");
  std::map<std::tuple<std::string, std::string, std::string>, BuiltRing> rings;
  Tally tally;
  for (const auto& row : file->rows) {
    ASSERT_EQ(row.size(), 5u) << "row " << tally.checked;
    const auto& [hash_name, distribution_name, servers, key_text, expected] =
        std::tie(row[0], row[1], row[2], row[3], row[4]);
    auto& built = rings[{hash_name, distribution_name, servers}];
    if (!built.ring) {
      const auto hash = parseHashKind(hash_name);
      const auto distribution = parseDistribution(distribution_name);
      auto members = testing::parseTwemproxyServerList(servers);
      ASSERT_TRUE(hash && distribution && members)
          << hash_name << " " << distribution_name << " " << servers;
      built.members = std::move(*members);
      built.ring = Ring::build(*distribution, *hash, built.members);
    }
    const std::string key = testing::unescapeKey(key_text);
    const std::string_view routing = tag.routingKey(key);
    const uint32_t index = built.ring->locate(routing);
    ++tally.checked;
    const std::string got = index < built.members.size() ? built.members[index].name : "<none>";
    if (got != expected) {
      if (std::ostream* out = tally.mismatch()) {
        *out << hash_name << " " << distribution_name << " [" << servers << "] key '" << key_text
             << "' hash " << built.ring->hashText(routing) << ": expected " << expected << ", got "
             << got;
      }
    }
  }
  EXPECT_EQ(tally.checked, 73056u);
  EXPECT_EQ(tally.mismatched, 0u) << tally.mismatched << " of " << tally.checked
                                  << " rows differ; first ones:" << tally.details.str();
  std::cout << "[ vectors  ] twemproxy.tsv: " << tally.checked - tally.mismatched << " of "
            << tally.checked << " rows match\n";
}

TEST(Vectors, RedisShard) {
  const auto file = testing::readTsv(dataPath("redis_shard.tsv"));
  ASSERT_TRUE(file.has_value()) << "cannot read redis_shard.tsv";
  ASSERT_EQ(file->header,
            (std::vector<std::string>{"hash_method", "servers", "key", "expected_server"}));
  const HashTag tag = HashTag::redisShard();
  std::map<std::pair<std::string, std::string>, BuiltRing> rings;
  Tally tally;
  for (const auto& row : file->rows) {
    ASSERT_EQ(row.size(), 4u) << "row " << tally.checked;
    const auto& [hash_name, servers, key, expected] = std::tie(row[0], row[1], row[2], row[3]);
    auto& built = rings[{hash_name, servers}];
    if (!built.ring) {
      const auto hash = parseHashKind(hash_name);
      ASSERT_TRUE(hash.has_value()) << hash_name;
      built.members = testing::parseRedisShardServerList(servers);
      built.ring = Ring::build(Distribution::kRedisShard, *hash, built.members);
    }
    const std::string_view routing = tag.routingKey(key);
    const uint32_t index = built.ring->locate(routing);
    ++tally.checked;
    const std::string got = index < built.members.size() ? built.members[index].name : "<none>";
    if (got != expected) {
      if (std::ostream* out = tally.mismatch()) {
        *out << hash_name << " [" << servers << "] key '" << key << "' routing '" << routing
             << "' hash " << built.ring->hashText(routing) << ": expected " << expected << ", got "
             << got;
      }
    }
  }
  EXPECT_EQ(tally.checked, 7488u);
  EXPECT_EQ(tally.mismatched, 0u) << tally.mismatched << " of " << tally.checked
                                  << " rows differ; first ones:" << tally.details.str();
  std::cout << "[ vectors  ] redis_shard.tsv: " << tally.checked - tally.mismatched << " of "
            << tally.checked << " rows match\n";
}

}  // namespace
}  // namespace shardis::hash
