#include "stats/slow_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardis::stats {
namespace {

int64_t fixedClock() { return 1700000000; }

using Args = std::vector<std::string_view>;

void push(SlowLog& log, uint64_t us, const Args& argv, const Args& servers = {"s1:6379"}) {
  log.record(us, argv, "127.0.0.1:5000", "worker", servers);
}

std::string command(SlowLog& log, const Args& argv) {
  std::string out;
  slowlogCommand(log, argv, out);
  return out;
}

TEST(SlowLog, ThresholdAsRedis) {
  SlowLog off(-1, 10, &fixedClock);
  push(off, 1'000'000, {"get", "k"});
  EXPECT_EQ(off.length(), 0u);

  SlowLog all(0, 10, &fixedClock);
  push(all, 0, {"get", "k"});
  EXPECT_EQ(all.length(), 1u);

  SlowLog some(10000, 10, &fixedClock);
  push(some, 9999, {"get", "k"});
  push(some, 10000, {"get", "k"});  // "slower than" includes the threshold, as in Redis
  push(some, 20000, {"get", "k"});
  EXPECT_EQ(some.length(), 2u);
  EXPECT_FALSE(some.slower(9999));
  EXPECT_TRUE(some.slower(10000));
}

TEST(SlowLog, RingKeepsTheNewestFirst) {
  SlowLog log(0, 3, &fixedClock);
  for (uint64_t i = 0; i < 5; ++i) push(log, i, {"get", std::to_string(i)});
  EXPECT_EQ(log.length(), 3u);
  auto entries = log.newest(10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].id, 4u);
  EXPECT_EQ(entries[1].id, 3u);
  EXPECT_EQ(entries[2].id, 2u);
  EXPECT_EQ(entries[0].argv[1], "4");
  EXPECT_EQ(entries[0].duration_us, 4u);
  EXPECT_EQ(log.newest(1).size(), 1u);
  log.reset();
  EXPECT_EQ(log.length(), 0u);
  push(log, 9, {"ping"});
  EXPECT_EQ(log.newest(1)[0].id, 5u);  // ids go on after a reset, as Redis's do
}

TEST(SlowLog, ArgumentsTruncatedAsRedis) {
  std::string big(200, 'v');
  Args argv = {"set", "k", big};
  auto kept = SlowLog::truncateArgv(argv);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[2], std::string(128, 'v') + "... (72 more bytes)");

  std::vector<std::string> many_storage;
  for (int i = 0; i < 40; ++i) many_storage.push_back(std::to_string(i));
  Args many(many_storage.begin(), many_storage.end());
  kept = SlowLog::truncateArgv(many);
  ASSERT_EQ(kept.size(), 32u);
  EXPECT_EQ(kept[30], "30");
  EXPECT_EQ(kept[31], "... (9 more arguments)");

  std::vector<std::string> exactly_storage(32, "x");
  Args exactly(exactly_storage.begin(), exactly_storage.end());
  kept = SlowLog::truncateArgv(exactly);
  ASSERT_EQ(kept.size(), 32u);
  EXPECT_EQ(kept[31], "x");
}

TEST(SlowLog, GetReplyBytes) {
  SlowLog log(0, 10, &fixedClock);
  push(log, 12, {"get", "foo"});
  push(log, 34, {"mget", "a", "b"}, {"s1:6379", "s2:6379"});
  EXPECT_EQ(command(log, {"SLOWLOG", "GET", "1"}),
            "*1\r\n"
            "*7\r\n:1\r\n:1700000000\r\n:34\r\n"
            "*3\r\n$4\r\nmget\r\n$1\r\na\r\n$1\r\nb\r\n"
            "$14\r\n127.0.0.1:5000\r\n$6\r\nworker\r\n"
            "*2\r\n$7\r\ns1:6379\r\n$7\r\ns2:6379\r\n");
  std::string all = command(log, {"slowlog", "get"});
  EXPECT_EQ(all.substr(0, 9), "*2\r\n*7\r\n:");
  EXPECT_EQ(command(log, {"slowlog", "get", "-1"}), all);
  EXPECT_EQ(command(log, {"slowlog", "get", "0"}), "*0\r\n");
}

TEST(SlowLog, LenResetAndErrors) {
  SlowLog log(0, 10, &fixedClock);
  push(log, 1, {"ping"});
  EXPECT_EQ(command(log, {"SLOWLOG", "LEN"}), ":1\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "RESET"}), "+OK\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "len"}), ":0\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "GET", "-2"}),
            "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "GET", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "NOPE"}),
            "-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try SLOWLOG "
            "HELP.\r\n");
  EXPECT_EQ(command(log, {"SLOWLOG", "LEN", "1"}).substr(0, 5), "-ERR ");
  EXPECT_EQ(command(log, {"SLOWLOG", "HELP"}).substr(0, 4), "*11\r");
}

TEST(SlowLog, MaxLenZeroKeepsNothing) {
  SlowLog log(0, 0, &fixedClock);
  push(log, 5, {"get", "k"});
  EXPECT_EQ(log.length(), 0u);
}

}  // namespace
}  // namespace shardis::stats
