// keysWithFlags against the real thing: for every command and subcommand of the table, with
// filler arguments at and past its arity, and for numkeys sweeps, our keys and their flags are
// what redis-server's own COMMAND GETKEYSANDFLAGS gives; where it finds no key, we find none.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_table.h"
#include "command/getkeys_flags.h"
#include "redis_server.h"

namespace shardis::command {
namespace {

using testing::Reply;

// The command's words, then distinct fillers up to arity (`extra` more for a variadic one).
std::vector<std::string> fillerLine(const CommandSpec& spec, int extra) {
  std::vector<std::string> argv;
  const size_t bar = spec.name.find('|');
  argv.emplace_back(spec.name.substr(0, bar));
  if (bar != std::string_view::npos) argv.emplace_back(spec.name.substr(bar + 1));
  const int arity = spec.arity < 0 ? -spec.arity + extra : spec.arity;
  while (static_cast<int>(argv.size()) < arity) argv.push_back("arg" + std::to_string(argv.size()));
  return argv;
}

class GetkeysFlagsAgainstServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    client_ = new testing::RespClient(server_->port());
  }
  static void TearDownTestSuite() {
    delete client_;
    delete server_;
  }

  // Our keys and flags as the server's reply shows them: "key:FLAG,FLAG key:...".
  static std::string ours(const CommandSpec& spec, const std::vector<std::string_view>& argv) {
    std::vector<KeyWithFlags> keys;
    if (!keysWithFlags(spec, argv, keys)) return "";
    std::string text;
    for (const KeyWithFlags& key : keys) {
      text += std::string(argv[key.index]) + ":";
      for (size_t bit = 0; bit < keyFlagNames().size(); ++bit) {
        if (((key.flags >> bit) & 1U) != 0) text += std::string(keyFlagNames()[bit]) + ",";
      }
      text += " ";
    }
    return text;
  }

  static std::string theirs(const Reply& reply) {
    std::string text;
    for (const Reply& pair : reply.items) {
      text += pair.items.at(0).text + ":";
      for (const Reply& flag : pair.items.at(1).items) text += flag.text + ",";
      text += " ";
    }
    return text;
  }

  static void compare(const std::vector<std::string>& line) {
    const std::vector<std::string_view> argv(line.begin(), line.end());
    const CommandSpec* spec = resolve(argv);
    ASSERT_NE(spec, nullptr) << line[0];
    if (!spec->listed || !spec->mayHaveKeys() || !arityOk(*spec, argv.size())) return;
    std::vector<std::string_view> request = {"COMMAND", "GETKEYSANDFLAGS"};
    request.insert(request.end(), argv.begin(), argv.end());
    const Reply reply = client_->call(request);
    std::string where;
    for (const std::string& word : line) where += word + " ";
    if (reply.type == '-') {
      EXPECT_EQ(reply.text, "ERR Invalid arguments specified for command") << where;
      EXPECT_EQ(ours(*spec, argv), "") << where;
      return;
    }
    ASSERT_EQ(reply.type, '*') << where << reply.text;
    EXPECT_EQ(ours(*spec, argv), theirs(reply)) << where;
    compared_ += reply.items.empty() ? 0 : 1;
  }

  static inline testing::RedisServer* server_ = nullptr;
  static inline testing::RespClient* client_ = nullptr;
  static inline int compared_ = 0;
};

TEST_F(GetkeysFlagsAgainstServer, EveryCommandWithFillerArguments) {
  ASSERT_TRUE(client_->connected());
  auto check = [&](const CommandSpec& spec) {
    for (int extra = 0; extra < (spec.arity < 0 ? 4 : 1); ++extra) compare(fillerLine(spec, extra));
  };
  for (const CommandSpec& spec : allCommands()) {
    if (!spec.isContainer()) check(spec);
    for (const CommandSpec& sub : spec.subcommands) check(sub);
  }
  EXPECT_GT(compared_, 300);
}

TEST_F(GetkeysFlagsAgainstServer, NumkeysSweeps) {
  ASSERT_TRUE(client_->connected());
  const std::vector<std::vector<std::string>> prefixes = {
      {"EVAL", "s"},  {"FCALL_RO", "f"}, {"ZUNIONSTORE", "d"}, {"ZDIFF"},
      {"SINTERCARD"}, {"LMPOP"},         {"BLMPOP", "0"},      {"BZMPOP", "0"}};
  for (const std::vector<std::string>& prefix : prefixes) {
    for (const char* numkeys : {"-1", "0", "1", "2", "3", "4", "1x", "x", " 2", "+1"}) {
      std::vector<std::string> line = prefix;
      line.emplace_back(numkeys);
      for (const char* word : {"k1", "k2", "LEFT"}) line.emplace_back(word);
      compare(line);
    }
  }
}

}  // namespace
}  // namespace shardis::command
