// setupLogging: level and destination as main() configures them.
#include "app/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace shardis::app {
namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SetupLogging, FileGetsMessagesAtOrAboveTheLevel) {
  const std::string path = ::testing::TempDir() + "shardis-logging-test.log";
  std::remove(path.c_str());
  std::string error;
  ASSERT_TRUE(setupLogging("warn", path, error)) << error;
  spdlog::info("hidden below the level");
  spdlog::warn("shown at the level");
  spdlog::default_logger()->flush();
  const std::string text = readAll(path);
  EXPECT_EQ(text.find("hidden below the level"), std::string::npos);
  EXPECT_NE(text.find("[warning] "), std::string::npos);
  EXPECT_NE(text.find("shown at the level"), std::string::npos);
  EXPECT_EQ(spdlog::default_logger()->name(), "shardis");
  // Leave a stderr logger behind so later tests do not write into the removed file.
  ASSERT_TRUE(setupLogging("info", "", error));
  std::remove(path.c_str());
}

TEST(SetupLogging, UnopenableFileIsAnError) {
  std::string error;
  EXPECT_FALSE(setupLogging("info", "/proc/no-such-dir/x.log", error));
  EXPECT_EQ(error.rfind("cannot open log file '/proc/no-such-dir/x.log': ", 0), 0u) << error;
}

TEST(SetupLogging, StderrAtEveryLevelName) {
  std::string error;
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    ASSERT_TRUE(setupLogging(level, "", error)) << level;
    EXPECT_EQ(spdlog::level::to_string_view(spdlog::default_logger()->level()),
              std::string_view(level == std::string("warn") ? "warning" : level));
  }
  ASSERT_TRUE(setupLogging("info", "", error));
}

}  // namespace
}  // namespace shardis::app
