// setupLogging: level and destination as main() configures them.
#include "app/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

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

// A log file in a directory that is not there is a typo or a missing volume: refused, and the
// directory is not made (spdlog's own file sink would create it).
TEST(SetupLogging, MissingDirectoryIsRefusedNotCreated) {
  const std::string dir = ::testing::TempDir() + "shardis-no-such-dir";
  const std::string path = dir + "/x.log";
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
  std::string error;
  EXPECT_FALSE(setupLogging("info", path, error));
  EXPECT_EQ(error, "cannot open log file '" + path + "': directory '" + dir +
                       "' does not exist (shardis does not create it)");
  struct stat info {};
  EXPECT_NE(::stat(dir.c_str(), &info), 0) << dir << " was created";
  ::rmdir(dir.c_str());
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

TEST(ReopenLogFile, NextLinesGoToANewFileAtThePath) {
  const std::string path = ::testing::TempDir() + "shardis-reopen-test.log";
  const std::string rotated = path + ".1";
  std::remove(path.c_str());
  std::remove(rotated.c_str());
  std::string error;
  ASSERT_TRUE(setupLogging("info", path, error)) << error;
  spdlog::info("before the rotation");
  // logrotate: rename, then signal; until the reopen the old descriptor keeps writing.
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
  spdlog::info("still into the renamed file");
  ASSERT_TRUE(reopenLogFile(error)) << error;
  spdlog::info("after the rotation");
  spdlog::default_logger()->flush();
  const std::string old_text = readAll(rotated);
  const std::string new_text = readAll(path);
  EXPECT_NE(old_text.find("before the rotation"), std::string::npos);
  EXPECT_NE(old_text.find("still into the renamed file"), std::string::npos);
  EXPECT_EQ(old_text.find("after the rotation"), std::string::npos);
  EXPECT_NE(new_text.find("after the rotation"), std::string::npos);
  EXPECT_EQ(new_text.find("before the rotation"), std::string::npos);
  ASSERT_TRUE(setupLogging("info", "", error));
  std::remove(path.c_str());
  std::remove(rotated.c_str());
}

// After logrotate the directory may be gone (or renamed, as here): the reopen fails without
// making it again, and the lines keep going to the file already open rather than nowhere.
TEST(ReopenLogFile, MissingDirectoryKeepsTheOpenFile) {
  const std::string dir = ::testing::TempDir() + "shardis-reopen-dir";
  const std::string moved = dir + ".moved";
  const std::string path = dir + "/x.log";
  std::remove((moved + "/x.log").c_str());
  ::rmdir(moved.c_str());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  std::string error;
  ASSERT_TRUE(setupLogging("info", path, error)) << error;
  spdlog::info("before the move");
  ASSERT_EQ(std::rename(dir.c_str(), moved.c_str()), 0);
  EXPECT_FALSE(reopenLogFile(error));
  EXPECT_EQ(error, "cannot open log file '" + path + "': directory '" + dir +
                       "' does not exist (shardis does not create it)");
  spdlog::info("after the failed reopen");
  spdlog::default_logger()->flush();
  struct stat info {};
  EXPECT_NE(::stat(dir.c_str(), &info), 0) << dir << " was created again";
  const std::string text = readAll(moved + "/x.log");
  EXPECT_NE(text.find("before the move"), std::string::npos);
  EXPECT_NE(text.find("after the failed reopen"), std::string::npos);
  ASSERT_TRUE(setupLogging("info", "", error));
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
  std::remove((moved + "/x.log").c_str());
  ::rmdir(moved.c_str());
}

TEST(ReopenLogFile, StderrIsANoOp) {
  std::string error;
  ASSERT_TRUE(setupLogging("info", "", error));
  EXPECT_TRUE(reopenLogFile(error));
}

TEST(StepLogLevel, MovesOneLevelAndStopsAtTheEnds) {
  std::string error;
  ASSERT_TRUE(setupLogging("info", "", error));
  EXPECT_EQ(stepLogLevel(true), "debug");
  EXPECT_EQ(stepLogLevel(true), "trace");
  EXPECT_EQ(stepLogLevel(true), "trace");
  for (int i = 0; i < 10; ++i) (void)stepLogLevel(false);
  // Never all the way to off: a process that cannot be heard cannot be turned back up.
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::critical);
  EXPECT_EQ(stepLogLevel(true), "error");
  ASSERT_TRUE(setupLogging("info", "", error));
}

}  // namespace
}  // namespace shardis::app
