// checkWait: WAIT's arguments as Redis checks them (wait_limit.h). The error texts are Redis
// 7.0's (checked against redis-server by test_wait.py).
#include "proxy/wait_limit.h"

#include <gtest/gtest.h>

#include <array>
#include <string_view>

namespace shardis::proxy {
namespace {

WaitCheck check(std::string_view numreplicas, std::string_view timeout) {
  const std::array<std::string_view, 3> argv{"WAIT", numreplicas, timeout};
  return checkWait(argv);
}

// Every timeout runs, 0 (forever) too: WAIT holds only its own leased connections.
TEST(CheckWait, AnyTimeoutRuns) {
  for (std::string_view timeout : {"0", "1", "400", "9223372036854775807"}) {
    EXPECT_EQ(check("1", timeout).error, "") << timeout;
  }
  EXPECT_EQ(check("2", "400").timeout_ms, 400u);
  EXPECT_EQ(check("0", "0").timeout_ms, 0u);
  EXPECT_EQ(check("-3", "7").error, "");
}

TEST(CheckWait, BadArgumentsGetRedisErrors) {
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
    EXPECT_EQ(check(c.numreplicas, c.timeout).error, c.error) << c.numreplicas << ' ' << c.timeout;
  }
}

}  // namespace
}  // namespace shardis::proxy
