// checkWait: which WAITs may ride the shared server connections (wait_limit.h). The error
// texts of bad arguments are Redis 7.0's (checked against redis-server by test_wait.py).
#include "proxy/wait_limit.h"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

namespace shardis::proxy {
namespace {

using Verdict = WaitCheck::Verdict;

WaitCheck check(std::string_view numreplicas, std::string_view timeout, int64_t pool_timeout) {
  const std::array<std::string_view, 3> argv{"WAIT", numreplicas, timeout};
  return checkWait(argv, pool_timeout);
}

constexpr std::string_view kBetween =
    "ERR WAIT blocks the shared server connection, and every other client on it, until it "
    "returns: its timeout must be between 1 and the pool's timeout (400 ms)";

TEST(CheckWait, TimeoutsFromOneToThePoolTimeoutAreSent) {
  for (std::string_view timeout : {"1", "399", "400"}) {
    const WaitCheck wait = check("1", timeout, 400);
    EXPECT_EQ(wait.verdict, Verdict::kSend) << timeout;
    EXPECT_EQ(wait.error, "") << timeout;
  }
  EXPECT_EQ(check("2", "400", 400).timeout_ms, 400u);
  EXPECT_EQ(check("1", "7", 400).timeout_ms, 7u);
}

// Redis answers WAIT 0 (or fewer) replicas at once whatever the timeout: nothing to hold.
TEST(CheckWait, NoReplicasToWaitForIsAlwaysSent) {
  for (int64_t pool_timeout : {int64_t{-1}, int64_t{400}}) {
    for (std::string_view numreplicas : {"0", "-3"}) {
      for (std::string_view timeout : {"0", "7", "401"}) {
        const WaitCheck wait = check(numreplicas, timeout, pool_timeout);
        EXPECT_EQ(wait.verdict, Verdict::kSend) << numreplicas << ' ' << timeout;
        EXPECT_EQ(wait.timeout_ms, 0u) << numreplicas << ' ' << timeout;
      }
    }
  }
}

TEST(CheckWait, ZeroOrAboveThePoolTimeoutIsRefused) {
  for (std::string_view timeout : {"0", "401", "9223372036854775807"}) {
    const WaitCheck wait = check("1", timeout, 400);
    EXPECT_EQ(wait.verdict, Verdict::kRefused) << timeout;
    EXPECT_EQ(wait.error, kBetween) << timeout;
  }
}

TEST(CheckWait, NoPoolTimeoutRefusesEveryWait) {
  for (int64_t none : {int64_t{-1}, int64_t{0}}) {
    for (std::string_view timeout : {"0", "1", "100000"}) {
      const WaitCheck wait = check("1", timeout, none);
      EXPECT_EQ(wait.verdict, Verdict::kRefused);
      EXPECT_EQ(wait.error,
                "ERR WAIT blocks the shared server connection, and every other client on it, "
                "until it returns: this pool has no timeout, so WAIT is refused (set the "
                "pool's timeout to allow WAIT up to it)");
    }
  }
}

TEST(CheckWait, BadArgumentsGetRedisErrorsFirst) {
  struct Case {
    std::string_view numreplicas, timeout, error;
  };
  constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
  constexpr std::string_view kBadTimeout = "ERR timeout is not an integer or out of range";
  for (const Case& c : {
           Case{"abc", "10", kNotInteger},
           Case{"abc", "-1", kNotInteger},  // numreplicas is parsed first
           Case{"+1", "10", kNotInteger},
           Case{"01", "10", kNotInteger},
           Case{"99999999999999999999", "10", kNotInteger},
           Case{"1", "abc", kBadTimeout},
           Case{"1", "1.5", kBadTimeout},
           Case{"1", " 5", kBadTimeout},
           Case{"1", "", kBadTimeout},
           Case{"1", "-0", kBadTimeout},
           Case{"1", "-1", "ERR timeout is negative"},
       }) {
    for (int64_t pool_timeout : {int64_t{-1}, int64_t{400}}) {
      const WaitCheck wait = check(c.numreplicas, c.timeout, pool_timeout);
      EXPECT_EQ(wait.verdict, Verdict::kBadArgument) << c.numreplicas << ' ' << c.timeout;
      EXPECT_EQ(wait.error, c.error) << c.numreplicas << ' ' << c.timeout;
    }
  }
}

}  // namespace
}  // namespace shardis::proxy
