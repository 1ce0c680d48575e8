// A config error never prints a password: a redis:// URL is quoted with its password
// replaced by "(redacted)", and a reason that would echo part of a misplaced password gives
// way to one that does not.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace shardis::config {
namespace {

std::string loadError(const std::string& server) {
  std::string yaml = "alpha:\n  listen: 127.0.0.1:6380\n  servers:\n    - " + server + "\n";
  try {
    loadString(yaml, "conf/t.yml");
  } catch (const Error& error) {
    return error.what();
  }
  return "(loaded without error)";
}

TEST(ConfigSecret, UrlWithBadPortHidesThePassword) {
  std::string error = loadError("redis://app:hunter2@127.0.0.1:notaport");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_EQ(error,
            "conf/t.yml:4:7: pool 'alpha': server 'redis://app:(redacted)@127.0.0.1:notaport': "
            "port must be an integer from 1 to 65535, got 'notaport'");
}

TEST(ConfigSecret, PasswordWithoutUser) {
  std::string error = loadError("redis://:hunter2@127.0.0.1:6379?weight=0");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_NE(error.find("'redis://:(redacted)@127.0.0.1:6379?weight=0'"), std::string::npos)
      << error;
}

TEST(ConfigSecret, PasswordParameter) {
  std::string error = loadError("redis://127.0.0.1:6379?password=hunter2&colour=red");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_NE(error.find("'redis://127.0.0.1:6379?password=(redacted)&colour=red'"),
            std::string::npos)
      << error;
}

TEST(ConfigSecret, UnencodedSlashOrQuestionMarkInThePassword) {
  // The parser cuts the URL at the '/' or '?', so the host it complains about is a piece of
  // the password.
  for (std::string url : {"redis://app:hun/ter2@127.0.0.1:6379", "redis://:hun?ter2@h:6379"}) {
    std::string error = loadError(url);
    EXPECT_EQ(error.find("hun"), std::string::npos) << error;
    EXPECT_EQ(error.find("ter2"), std::string::npos) << error;
    EXPECT_NE(error.find("(redacted)"), std::string::npos) << error;
  }
}

TEST(ConfigSecret, OtherSchemes) {
  std::string error = loadError("rediss://:hunter2@cache:6380");
  EXPECT_EQ(error,
            "conf/t.yml:4:7: pool 'alpha': server 'rediss://:(redacted)@cache:6380': "
            "only redis:// URLs are supported");
}

TEST(ConfigSecret, UrlWithoutPasswordIsQuotedAsWritten) {
  EXPECT_EQ(loadError("redis://app@127.0.0.1:0"),
            "conf/t.yml:4:7: pool 'alpha': server 'redis://app@127.0.0.1:0': port must be an "
            "integer from 1 to 65535, got '0'");
}

}  // namespace
}  // namespace shardis::config
