#include "resp/inline_split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardis::resp::detail {
namespace {

using namespace std::string_view_literals;

// nullopt-like: an empty optional vector means unbalanced quotes.
std::vector<std::string> split(std::string_view line, bool* ok) {
  std::string storage;
  std::vector<ArgSpan> spans;
  *ok = splitInlineArgs(line, storage, spans);
  std::vector<std::string> args;
  for (const ArgSpan& span : spans) args.push_back(storage.substr(span.offset, span.length));
  return args;
}

std::vector<std::string> splitOk(std::string_view line) {
  bool ok = false;
  auto args = split(line, &ok);
  EXPECT_TRUE(ok) << line;
  return args;
}

bool unbalanced(std::string_view line) {
  bool ok = true;
  split(line, &ok);
  return !ok;
}

TEST(InlineSplitTest, Words) {
  EXPECT_EQ(splitOk("GET key"), (std::vector<std::string>{"GET", "key"}));
  EXPECT_EQ(splitOk(" \t\v\f a\tb\r c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(splitOk("").empty());
  EXPECT_TRUE(splitOk("   ").empty());
}

TEST(InlineSplitTest, DoubleQuotes) {
  EXPECT_EQ(splitOk(R"("a b" "")"), (std::vector<std::string>{"a b", ""}));
  EXPECT_EQ(splitOk(R"("\x00\xFf\x4a")"), (std::vector<std::string>{std::string("\0\xff\x4a", 3)}));
  EXPECT_EQ(splitOk(R"("\x4" "\xg1")"), (std::vector<std::string>{"x4", "xg1"}));
  EXPECT_EQ(splitOk(R"("\n\r\t\b\a\\\"\'\z")"), (std::vector<std::string>{"\n\r\t\b\a\\\"'z"}));
  EXPECT_EQ(splitOk("\"a\"\tb"), (std::vector<std::string>{"a", "b"}));
}

TEST(InlineSplitTest, SingleQuotes) {
  EXPECT_EQ(splitOk(R"('a b' '')"), (std::vector<std::string>{"a b", ""}));
  EXPECT_EQ(splitOk(R"('it\'s' '\n\x')"), (std::vector<std::string>{"it's", R"(\n\x)"}));
  // \\ is not an escape in single quotes, so the second backslash escapes the quote.
  EXPECT_TRUE(unbalanced(R"('a\\')"));
}

TEST(InlineSplitTest, QuotesMayStartInsideAWord) {
  EXPECT_EQ(splitOk(R"(ab"c d" x'y z')"), (std::vector<std::string>{"abc d", "xy z"}));
}

TEST(InlineSplitTest, UnbalancedQuotes) {
  EXPECT_TRUE(unbalanced(R"("abc)"));
  EXPECT_TRUE(unbalanced(R"('abc)"));
  EXPECT_TRUE(unbalanced(R"("abc"d)"));
  EXPECT_TRUE(unbalanced(R"('abc'd)"));
  EXPECT_TRUE(unbalanced(R"("abc\")"));
  EXPECT_TRUE(unbalanced(R"('abc\')"));
  EXPECT_TRUE(unbalanced(R"("\)"));
}

TEST(InlineSplitTest, NulEndsTheLine) {
  EXPECT_EQ(splitOk("a b\0c d"sv), (std::vector<std::string>{"a", "b"}));
  // The quote is never closed once the NUL cuts the line.
  EXPECT_TRUE(unbalanced("\"a\0\""sv));
}

}  // namespace
}  // namespace shardis::resp::detail
