// keysWithFlags: the keys and access flags redis-server 7.0's COMMAND GETKEYSANDFLAGS gives
// (the expectations are that server's replies), for the key specs and for each getkeys
// procedure it falls back on. getkeys_flags_server_test.cc compares with a live server.
#include "command/getkeys_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardis::command {
namespace {

// "name:FLAG,FLAG" per key; "none" when the server finds no key.
std::string keysOf(std::vector<std::string_view> argv) {
  const CommandSpec* spec = resolve(argv);
  EXPECT_NE(spec, nullptr) << argv[0];
  if (spec == nullptr) return "unknown";
  EXPECT_TRUE(arityOk(*spec, argv.size())) << argv[0];
  std::vector<KeyWithFlags> keys;
  const bool found = keysWithFlags(*spec, argv, keys);
  EXPECT_EQ(found, !keys.empty());
  if (!found) return "none";
  std::string text;
  for (const KeyWithFlags& key : keys) {
    text += (text.empty() ? "" : " ") + std::string(argv[key.index]) + ":";
    std::string names;
    for (size_t bit = 0; bit < keyFlagNames().size(); ++bit) {
      if (((key.flags >> bit) & 1U) != 0) {
        names += (names.empty() ? "" : ",") + std::string(keyFlagNames()[bit]);
      }
    }
    text += names;
  }
  return text;
}

TEST(GetkeysFlags, FlagNamesInRedisOrder) {
  const std::vector<std::string_view> names(keyFlagNames().begin(), keyFlagNames().end());
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"RO", "RW", "OW", "RM", "access", "update", "insert",
                                           "delete", "not_key", "incomplete", "variable_flags"}));
}

TEST(GetkeysFlags, FromKeySpecs) {
  EXPECT_EQ(keysOf({"GET", "k"}), "k:RO,access");
  EXPECT_EQ(keysOf({"LMOVE", "a", "b", "LEFT", "RIGHT"}), "a:RW,access,delete b:RW,insert");
  EXPECT_EQ(keysOf({"MSET", "a", "1", "b"}), "a:OW,update b:OW,update");
  EXPECT_EQ(keysOf({"XREAD", "STREAMS", "a", "b", "0"}), "a:RO,access");
  EXPECT_EQ(keysOf({"GEORADIUS", "k", "1", "2", "3", "km", "STORE", "d"}),
            "k:RO,access d:OW,update");
  EXPECT_EQ(keysOf({"MIGRATE", "h", "1", "k", "0", "10"}), "k:RW,access,delete");
  EXPECT_EQ(keysOf({"EVAL", "x", "1", "a"}), "a:RW,access,update");
}

TEST(GetkeysFlags, VariableFlagsFollowTheArguments) {
  EXPECT_EQ(keysOf({"SET", "k", "v"}), "k:OW,update");
  EXPECT_EQ(keysOf({"SET", "k", "v", "NX", "get"}), "k:RW,access,update");
  EXPECT_EQ(keysOf({"BITFIELD", "k", "GET", "u8", "0"}), "k:RO,access");
  EXPECT_EQ(keysOf({"BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", "0"}), "k:RO,access");
  EXPECT_EQ(keysOf({"BITFIELD", "k", "SET", "u8", "0", "1"}), "k:RW,access,update");
  EXPECT_EQ(keysOf({"BITFIELD", "k", "GET", "u8"}), "k:RW,access,update");
}

// The server reads numkeys with atoi() there, and its procedures give these keys no flags.
TEST(GetkeysFlags, NumkeysFallback) {
  EXPECT_EQ(keysOf({"EVAL", "x", "1abc", "a"}), "a:");
  EXPECT_EQ(keysOf({"EVAL", "x", "abc"}), "none");
  EXPECT_EQ(keysOf({"EVAL", "x", "0"}), "none");
  EXPECT_EQ(keysOf({"EVAL", "x", "5", "a"}), "none");
  EXPECT_EQ(keysOf({"ZUNIONSTORE", "d", "1abc", "a"}), "a: d:");
  EXPECT_EQ(keysOf({"ZUNIONSTORE", "d", "abc", "a"}), "none");
  EXPECT_EQ(keysOf({"BLMPOP", "0", "1x", "a", "LEFT"}), "a:");
  EXPECT_EQ(keysOf({"LMPOP", "1x", "a", "LEFT"}), "a:");
}

TEST(GetkeysFlags, ProcedureFallbacks) {
  EXPECT_EQ(keysOf({"SORT", "k", "STORE", "d"}), "k:RO,access d:OW,update");
  EXPECT_EQ(keysOf({"SORT", "k", "LIMIT", "store", "x"}), "k:RO,access");
  EXPECT_EQ(keysOf({"SORT_RO", "k", "BY", "w"}), "k:RO,access");
  EXPECT_EQ(keysOf({"MIGRATE", "h", "1", "", "0", "10", "KEYS", "a", "b"}),
            "a:RW,access,delete b:RW,access,delete");
  EXPECT_EQ(keysOf({"MIGRATE", "h", "1", "k", "0", "10", "KEYS", "a"}), "none");
  EXPECT_EQ(keysOf({"XREAD", "COUNT", "1", "STREAMS", "a"}), "none");
  EXPECT_EQ(keysOf({"PFMERGE", "d"}), "none");
}

}  // namespace
}  // namespace shardis::command
