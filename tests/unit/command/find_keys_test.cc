#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_table.h"

namespace shardis::command {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Found {
  KeysStatus status;
  std::vector<uint32_t> keys;
  std::string error;
};

Found keysOf(std::vector<std::string_view> argv) {
  const CommandSpec* spec = resolve(argv);
  EXPECT_NE(spec, nullptr) << argv[0];
  if (spec == nullptr) {
    return {KeysStatus::kSyntaxError, {}, "unknown"};
  }
  EXPECT_TRUE(arityOk(*spec, argv.size())) << argv[0];
  Found found{KeysStatus::kOk, {}, {}};
  std::string_view error;
  found.status = findKeys(*spec, argv, found.keys, error);
  found.error = std::string(error);
  return found;
}

std::vector<uint32_t> keys(std::vector<std::string_view> argv) {
  Found found = keysOf(std::move(argv));
  EXPECT_EQ(found.status, KeysStatus::kOk) << found.error;
  return found.keys;
}

std::string errorOf(std::vector<std::string_view> argv) {
  Found found = keysOf(std::move(argv));
  EXPECT_EQ(found.status, KeysStatus::kSyntaxError);
  EXPECT_THAT(found.keys, IsEmpty());
  return found.error;
}

TEST(FindKeys, SimpleRanges) {
  EXPECT_THAT(keys({"GET", "k"}), ElementsAre(1));
  EXPECT_THAT(keys({"SET", "k", "v", "EX", "10"}), ElementsAre(1));
  EXPECT_THAT(keys({"MGET", "a", "b", "c"}), ElementsAre(1, 2, 3));
  EXPECT_THAT(keys({"MSET", "a", "1", "b", "2"}), ElementsAre(1, 3));
  EXPECT_THAT(keys({"DEL", "a", "b"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"RENAME", "a", "b"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"SMOVE", "src", "dst", "m"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"BLPOP", "a", "b", "0"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"SINTER", "a", "b", "c"}), ElementsAre(1, 2, 3));
  EXPECT_THAT(keys({"BITOP", "AND", "dest", "a", "b"}), ElementsAre(2, 3, 4));
  EXPECT_THAT(keys({"PFMERGE", "dest", "a"}), ElementsAre(1, 2));
  // The server's GETKEYS names no key here (its empty source range voids every spec), yet
  // the command runs and writes dest: the proxy must route it by dest.
  EXPECT_THAT(keys({"PFMERGE", "dest"}), ElementsAre(1));
  EXPECT_THAT(keys({"COPY", "a", "b", "REPLACE"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"LCS", "a", "b", "LEN"}), ElementsAre(1, 2));
  EXPECT_THAT(keys({"WATCH", "a", "b"}), ElementsAre(1, 2));
}

TEST(FindKeys, SubcommandKeys) {
  EXPECT_THAT(keys({"OBJECT", "ENCODING", "k"}), ElementsAre(2));
  EXPECT_THAT(keys({"object", "freq", "k"}), ElementsAre(2));
  EXPECT_THAT(keys({"MEMORY", "USAGE", "k", "SAMPLES", "5"}), ElementsAre(2));
  EXPECT_THAT(keys({"XINFO", "STREAM", "s", "FULL"}), ElementsAre(2));
  EXPECT_THAT(keys({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), ElementsAre(2));
}

TEST(FindKeys, KeylessCommandsHaveNoKeys) {
  EXPECT_THAT(keys({"PING"}), IsEmpty());
  EXPECT_THAT(keys({"DBSIZE"}), IsEmpty());
  EXPECT_THAT(keys({"CLIENT", "SETNAME", "x"}), IsEmpty());
  EXPECT_THAT(keys({"PUBLISH", "channel", "msg"}), IsEmpty());
  EXPECT_THAT(keys({"SPUBLISH", "shardchannel", "msg"}), IsEmpty());  // a not_key spec
  EXPECT_THAT(keys({"SUBSCRIBE", "a", "b"}), IsEmpty());
  EXPECT_FALSE(lookup("ping")->mayHaveKeys());
  EXPECT_FALSE(lookup("spublish")->mayHaveKeys());
  EXPECT_TRUE(lookup("eval")->mayHaveKeys());
}

TEST(FindKeys, EvalNumkeys) {
  EXPECT_THAT(keys({"EVAL", "return 1", "2", "a", "b", "arg"}), ElementsAre(3, 4));
  EXPECT_THAT(keys({"EVALSHA", "abc", "1", "a"}), ElementsAre(3));
  EXPECT_THAT(keys({"EVAL_RO", "return 1", "0", "arg"}), IsEmpty());
  EXPECT_THAT(keys({"EVALSHA_RO", "abc", "0"}), IsEmpty());
  EXPECT_EQ(errorOf({"EVAL", "return 1", "3", "a", "b"}),
            "ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(errorOf({"EVAL", "return 1", "-1"}), "ERR Number of keys can't be negative");
  EXPECT_EQ(errorOf({"EVAL", "return 1", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(errorOf({"EVAL", "return 1", "01", "a"}),
            "ERR value is not an integer or out of range");
  EXPECT_EQ(errorOf({"EVAL", "return 1", "99999999999999999999", "a"}),
            "ERR value is not an integer or out of range");
}

TEST(FindKeys, FcallNumkeys) {
  EXPECT_THAT(keys({"FCALL", "f", "2", "a", "b", "x"}), ElementsAre(3, 4));
  EXPECT_THAT(keys({"FCALL_RO", "f", "0"}), IsEmpty());
  EXPECT_EQ(errorOf({"FCALL", "f", "x"}), "ERR Bad number of keys provided");
  EXPECT_EQ(errorOf({"FCALL", "f", "2", "a"}),
            "ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(errorOf({"FCALL_RO", "f", "-3"}), "ERR Number of keys can't be negative");
}

TEST(FindKeys, SortedSetNumkeys) {
  EXPECT_THAT(keys({"ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"}),
              ElementsAre(1, 3, 4));
  EXPECT_THAT(keys({"ZINTERSTORE", "dst", "1", "a"}), ElementsAre(1, 3));
  EXPECT_THAT(keys({"ZDIFFSTORE", "dst", "2", "a", "b"}), ElementsAre(1, 3, 4));
  EXPECT_THAT(keys({"ZUNION", "2", "a", "b", "WITHSCORES"}), ElementsAre(2, 3));
  EXPECT_THAT(keys({"ZINTER", "1", "a"}), ElementsAre(2));
  EXPECT_THAT(keys({"ZDIFF", "3", "a", "b", "c"}), ElementsAre(2, 3, 4));
  EXPECT_THAT(keys({"ZINTERCARD", "2", "a", "b", "LIMIT", "5"}), ElementsAre(2, 3));
  EXPECT_EQ(errorOf({"ZUNIONSTORE", "dst", "0", "a"}),
            "ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(errorOf({"ZINTERCARD", "0", "a"}),
            "ERR at least 1 input key is needed for 'zintercard' command");
  EXPECT_EQ(errorOf({"ZUNION", "5", "a"}), "ERR syntax error");
  EXPECT_EQ(errorOf({"ZDIFF", "x", "a"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(errorOf({"ZINTER", "4294967297", "a"}), "ERR value is not an integer or out of range");
}

TEST(FindKeys, SintercardAndMpopNumkeys) {
  EXPECT_THAT(keys({"SINTERCARD", "2", "a", "b"}), ElementsAre(2, 3));
  EXPECT_EQ(errorOf({"SINTERCARD", "0", "a"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(errorOf({"SINTERCARD", "3", "a"}),
            "ERR Number of keys can't be greater than number of args");
  EXPECT_THAT(keys({"LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"}), ElementsAre(2, 3));
  EXPECT_THAT(keys({"ZMPOP", "1", "a", "MIN"}), ElementsAre(2));
  EXPECT_THAT(keys({"BLMPOP", "0", "2", "a", "b", "RIGHT"}), ElementsAre(3, 4));
  EXPECT_THAT(keys({"BZMPOP", "1.5", "1", "a", "MAX"}), ElementsAre(3));
  EXPECT_EQ(errorOf({"LMPOP", "2", "a", "b"}), "ERR syntax error");
  EXPECT_EQ(errorOf({"ZMPOP", "-1", "a", "MIN"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(errorOf({"BLMPOP", "0", "x", "a", "LEFT"}), "ERR numkeys should be greater than 0");
}

TEST(FindKeys, Streams) {
  EXPECT_THAT(keys({"XREAD", "STREAMS", "a", "b", "0", "0"}), ElementsAre(2, 3));
  EXPECT_THAT(keys({"XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "a", "$"}), ElementsAre(6));
  EXPECT_THAT(keys({"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "a", ">"}),
              ElementsAre(6));
  // A group or consumer named STREAMS is not the keyword (the server's own parser agrees).
  EXPECT_THAT(keys({"XREADGROUP", "GROUP", "streams", "streams", "STREAMS", "s", ">"}),
              ElementsAre(5));
  // A stream named STREAMS is a key.
  EXPECT_THAT(keys({"XREAD", "STREAMS", "streams", "0"}), ElementsAre(2));
  EXPECT_EQ(errorOf({"XREAD", "COUNT", "1", "STREAMS", "a", "b", "0"}),
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
  EXPECT_EQ(errorOf({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">"}),
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
  EXPECT_EQ(errorOf({"XREAD", "COUNT", "1", "a", "0"}), "ERR syntax error");
  EXPECT_EQ(errorOf({"XREAD", "COUNT", "1", "STREAMS"}), "ERR syntax error");
}

TEST(FindKeys, SortStore) {
  EXPECT_THAT(keys({"SORT", "k"}), ElementsAre(1));
  EXPECT_THAT(keys({"SORT", "k", "BY", "w_*", "STORE", "dst"}), ElementsAre(1, 5));
  EXPECT_THAT(keys({"sort", "k", "store", "a", "STORE", "b"}), ElementsAre(1, 5));
  // LIMIT's two values and GET's pattern are skipped even when they read "STORE".
  EXPECT_THAT(keys({"SORT", "k", "LIMIT", "STORE", "x", "GET", "STORE", "ALPHA"}), ElementsAre(1));
  EXPECT_THAT(keys({"SORT", "k", "STORE"}), ElementsAre(1));
  EXPECT_THAT(keys({"SORT_RO", "k", "BY", "w_*", "GET", "#"}), ElementsAre(1));
}

TEST(FindKeys, GeoradiusStore) {
  EXPECT_THAT(keys({"GEORADIUS", "k", "15", "37", "200", "km"}), ElementsAre(1));
  EXPECT_THAT(keys({"GEORADIUS", "k", "15", "37", "200", "km", "STORE", "d"}), ElementsAre(1, 7));
  EXPECT_THAT(keys({"GEORADIUS", "k", "15", "37", "200", "km", "STOREDIST", "d"}),
              ElementsAre(1, 7));
  EXPECT_THAT(keys({"GEORADIUSBYMEMBER", "k", "m", "200", "km", "ASC", "STORE", "d"}),
              ElementsAre(1, 7));
  EXPECT_THAT(keys({"GEORADIUS_RO", "k", "15", "37", "200", "km", "ASC"}), ElementsAre(1));
  EXPECT_THAT(keys({"GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"}),
              ElementsAre(1, 2));
}

TEST(FindKeys, MigrateKeys) {
  EXPECT_THAT(keys({"MIGRATE", "h", "6379", "k", "0", "1000"}), ElementsAre(3));
  EXPECT_THAT(keys({"MIGRATE", "h", "6379", "", "0", "1000", "COPY", "KEYS", "a", "b"}),
              ElementsAre(8, 9));
  EXPECT_THAT(keys({"MIGRATE", "h", "6379", "", "0", "1000", "AUTH2", "keys", "pw", "KEYS", "a"}),
              ElementsAre(10));
  EXPECT_THAT(keys({"MIGRATE", "h", "6379", "k", "0", "1000", "KEYS", "a"}), IsEmpty());
}

TEST(FindKeys, WrongArityFindsNothing) {
  const std::vector<std::string_view> sort = {"SORT"};
  std::vector<uint32_t> found;
  std::string_view error;
  EXPECT_EQ(findKeys(*lookup("sort"), sort, found, error), KeysStatus::kOk);
  const std::vector<std::string_view> get = {"GET", "a", "b"};
  EXPECT_EQ(findKeys(*lookup("get"), get, found, error), KeysStatus::kOk);
  EXPECT_THAT(found, IsEmpty());
}

TEST(FindKeys, AppendsAndLeavesVectorOnError) {
  const std::vector<std::string_view> argv = {"MGET", "a", "b"};
  std::vector<uint32_t> found = {7};
  std::string_view error;
  ASSERT_EQ(findKeys(*lookup("mget"), argv, found, error), KeysStatus::kOk);
  EXPECT_THAT(found, ElementsAre(7, 1, 2));
  const std::vector<std::string_view> bad = {"EVAL", "s", "9", "a"};
  ASSERT_EQ(findKeys(*lookup("eval"), bad, found, error), KeysStatus::kSyntaxError);
  EXPECT_THAT(found, ElementsAre(7, 1, 2));
}

}  // namespace
}  // namespace shardis::command
