// The slow log keeps no secret: the arguments redis-server 7 replaces with "(redacted)" in
// SLOWLOG GET are replaced here too (checked against redis-server 7.0.15 by
// tests/integration/test_secrets.py), and so are the malformed attempts Redis would log in
// clear (a log is no place for something that was probably a password).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stats/slow_log.h"

namespace shardis::stats {
namespace {

using Args = std::vector<std::string_view>;
using Kept = std::vector<std::string>;

constexpr std::string_view kRedacted = "(redacted)";

Kept logged(const Args& argv) {
  SlowLog log(0, 10);
  log.record(1, argv, "127.0.0.1:5000", "", {});
  return log.newest(1).at(0).argv;
}

TEST(SlowLogRedact, Auth) {
  EXPECT_EQ(logged({"AUTH", "pw"}), (Kept{"AUTH", "(redacted)"}));
  EXPECT_EQ(logged({"auth", "default", "pw"}), (Kept{"auth", "(redacted)", "(redacted)"}));
  // Redis logs this syntax error in clear; one of these words is likely a password.
  EXPECT_EQ(logged({"AUTH", "a", "b", "c"}),
            (Kept{"AUTH", "(redacted)", "(redacted)", "(redacted)"}));
  EXPECT_EQ(logged({"AUTH"}), (Kept{"AUTH"}));
}

TEST(SlowLogRedact, HelloAuth) {
  EXPECT_EQ(logged({"HELLO", "3", "AUTH", "default", "pw", "SETNAME", "conn"}),
            (Kept{"HELLO", "3", "AUTH", "(redacted)", "(redacted)", "SETNAME", "conn"}));
  EXPECT_EQ(logged({"hello", "2", "setname", "auth", "auth", "u", "p"}),
            (Kept{"hello", "2", "setname", "auth", "auth", "(redacted)", "(redacted)"}));
  EXPECT_EQ(logged({"HELLO", "3"}), (Kept{"HELLO", "3"}));
  EXPECT_EQ(logged({"HELLO"}), (Kept{"HELLO"}));
  // Incomplete or after an unknown option: Redis stops at the syntax error and logs the rest
  // in clear; the proxy redacts what follows AUTH anyway.
  EXPECT_EQ(logged({"HELLO", "3", "AUTH", "pw"}), (Kept{"HELLO", "3", "AUTH", "(redacted)"}));
  EXPECT_EQ(logged({"HELLO", "3", "X", "AUTH", "u", "p"}),
            (Kept{"HELLO", "3", "X", "AUTH", "(redacted)", "(redacted)"}));
}

TEST(SlowLogRedact, ConfigSetSensitiveValues) {
  EXPECT_EQ(logged({"CONFIG", "SET", "requirepass", "pw"}),
            (Kept{"CONFIG", "SET", "requirepass", "(redacted)"}));
  EXPECT_EQ(logged({"config", "set", "maxmemory", "0", "MasterAuth", "a", "masteruser", "u", "x"}),
            (Kept{"config", "set", "maxmemory", "0", "MasterAuth", "(redacted)", "masteruser",
                  "(redacted)", "x"}));
  EXPECT_EQ(logged({"CONFIG", "GET", "requirepass"}), (Kept{"CONFIG", "GET", "requirepass"}));
  EXPECT_EQ(logged({"CONFIG", "SET", "requirepass"}), (Kept{"CONFIG", "SET", "requirepass"}));
}

TEST(SlowLogRedact, MigrateAuth) {
  EXPECT_EQ(logged({"MIGRATE", "h", "1", "", "0", "10", "AUTH", "pw", "KEYS", "a", "b"}),
            (Kept{"MIGRATE", "h", "1", "", "0", "10", "AUTH", "(redacted)", "KEYS", "a", "b"}));
  EXPECT_EQ(logged({"migrate", "h", "1", "k", "0", "10", "copy", "replace", "auth2", "u", "p"}),
            (Kept{"migrate", "h", "1", "k", "0", "10", "copy", "replace", "auth2", "(redacted)",
                  "(redacted)"}));
  // After KEYS come key names, whatever they spell.
  EXPECT_EQ(logged({"MIGRATE", "h", "1", "", "0", "10", "KEYS", "auth", "x"}),
            (Kept{"MIGRATE", "h", "1", "", "0", "10", "KEYS", "auth", "x"}));
  // The key argument (argv[3]) is a key even when it says AUTH.
  EXPECT_EQ(logged({"MIGRATE", "h", "1", "auth", "0", "10"}),
            (Kept{"MIGRATE", "h", "1", "auth", "0", "10"}));
  EXPECT_EQ(logged({"MIGRATE", "h", "1", "k", "0", "10", "AUTH"}),
            (Kept{"MIGRATE", "h", "1", "k", "0", "10", "AUTH"}));
}

TEST(SlowLogRedact, AclSetuser) {
  EXPECT_EQ(logged({"ACL", "SETUSER", "bob", "on", ">pw"}),
            (Kept{"ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"}));
  EXPECT_EQ(logged({"ACL", "GETUSER", "bob"}), (Kept{"ACL", "GETUSER", "bob"}));
}

TEST(SlowLogRedact, OtherCommandsKeepTheirArguments) {
  EXPECT_EQ(logged({"SET", "auth", "requirepass"}), (Kept{"SET", "auth", "requirepass"}));
  EXPECT_EQ(logged({"ECHO", "AUTH"}), (Kept{"ECHO", "AUTH"}));
}

TEST(SlowLogRedact, LongSecretIsNotTruncatedIntoTheLog) {
  std::string secret(500, 'p');
  Kept kept = logged({"AUTH", secret});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1], kRedacted);
}

TEST(SlowLogRedact, SecretInTheLastKeptSlot) {
  // 40 arguments: the 32nd slot says how many were left out; the redacted ones before it
  // stay redacted.
  Args argv = {"ACL", "SETUSER"};
  std::vector<std::string> rules;
  for (int i = 0; i < 38; ++i) rules.push_back(">pw" + std::to_string(i));
  for (const std::string& rule : rules) argv.push_back(rule);
  Kept kept = logged(argv);
  ASSERT_EQ(kept.size(), SlowLog::kMaxArgc);
  for (size_t i = 2; i + 1 < kept.size(); ++i) EXPECT_EQ(kept[i], kRedacted) << i;
  EXPECT_EQ(kept.back(), "... (9 more arguments)");
}

}  // namespace
}  // namespace shardis::stats
