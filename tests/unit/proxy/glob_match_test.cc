// Redis's glob rules, as PSUBSCRIBE matches a channel against a pattern.
#include "proxy/glob_match.h"

#include <gtest/gtest.h>

#include <string>

namespace shardis::proxy {
namespace {

TEST(GlobMatch, StarAndQuestionMark) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything"));
  EXPECT_TRUE(globMatch("news.*", "news.art"));
  EXPECT_TRUE(globMatch("news.*", "news."));
  EXPECT_FALSE(globMatch("news.*", "news"));
  EXPECT_TRUE(globMatch("h?llo", "hello"));
  EXPECT_FALSE(globMatch("h?llo", "hllo"));
  EXPECT_TRUE(globMatch("a*b*c", "axxbyyc"));
  EXPECT_FALSE(globMatch("a*b*c", "axxbyy"));
  EXPECT_TRUE(globMatch("**a**", "bab"));
  EXPECT_TRUE(globMatch("socket.io#/#*", "socket.io#/#room1#"));
}

TEST(GlobMatch, Sets) {
  EXPECT_TRUE(globMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(globMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(globMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(globMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(globMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(globMatch("h[b-a]llo", "hallo"));  // a reversed range, as Redis swaps it
  EXPECT_FALSE(globMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(globMatch("[\\]]", "]"));
  EXPECT_TRUE(globMatch("x[ab", "xa"));  // an unterminated set runs to the pattern's end
}

TEST(GlobMatch, EscapesAndCase) {
  EXPECT_TRUE(globMatch("a\\*b", "a*b"));
  EXPECT_FALSE(globMatch("a\\*b", "axb"));
  EXPECT_TRUE(globMatch("a\\?", "a?"));
  EXPECT_TRUE(globMatch("a\\", "a\\"));  // a trailing backslash is itself
  EXPECT_FALSE(globMatch("News", "news"));
  EXPECT_TRUE(globMatch(std::string("a\0*", 3), std::string("a\0bc", 4)));
}

// One pass: a pattern of many stars against a long non-matching text ends at once.
TEST(GlobMatch, NoBlowUp) {
  std::string pattern(30, '*');
  pattern += 'b';
  EXPECT_FALSE(globMatch(pattern, std::string(100000, 'a')));
  EXPECT_FALSE(globMatch("a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

}  // namespace
}  // namespace shardis::proxy
