#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "resp/reply_decoder.h"

namespace shardis::resp {
namespace {

using namespace std::string_view_literals;

TEST(ReplyViewTest, IsError) {
  EXPECT_TRUE(isError(Reply{ReplyType::kError, 0, "-ERR x\r\n"}));
  EXPECT_TRUE(isError(Reply{ReplyType::kBlobError, 1, "!1\r\nx\r\n"}));
  EXPECT_FALSE(isError(Reply{ReplyType::kStatus, 0, "+OK\r\n"}));
}

TEST(ReplyViewTest, IntegerValue) {
  EXPECT_EQ(integerValue(":12\r\n"), 12);
  EXPECT_EQ(integerValue(":-7\r\n"), -7);
  EXPECT_EQ(integerValue("|1\r\n+a\r\n+b\r\n:3\r\n"), 3);
  EXPECT_FALSE(integerValue("+12\r\n"));
  EXPECT_FALSE(integerValue(":x\r\n"));
  EXPECT_FALSE(integerValue(":12"));
  EXPECT_FALSE(integerValue(""));
}

TEST(ReplyViewTest, StringValue) {
  EXPECT_EQ(stringValue("+OK\r\n"), "OK");
  EXPECT_EQ(stringValue("$5\r\nhe\r\no\r\n"), "he\r\no");
  EXPECT_EQ(stringValue("$0\r\n\r\n"), "");
  EXPECT_EQ(stringValue("=15\r\ntxt:Some string\r\n"), "Some string");
  EXPECT_EQ(stringValue("|1\r\n+a\r\n:1\r\n$1\r\nv\r\n"), "v");
  EXPECT_FALSE(stringValue("$-1\r\n"));
  EXPECT_FALSE(stringValue(":1\r\n"));
  EXPECT_FALSE(stringValue("-ERR\r\n"));
  EXPECT_FALSE(stringValue("$5\r\nab"));
}

TEST(ReplyViewTest, ArrayElements) {
  std::vector<std::string_view> elements;
  ASSERT_TRUE(arrayElements("*3\r\n$1\r\na\r\n$-1\r\n*2\r\n:1\r\n%1\r\n+k\r\n+v\r\n", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{"$1\r\na\r\n", "$-1\r\n",
                                                     "*2\r\n:1\r\n%1\r\n+k\r\n+v\r\n"}));
  ASSERT_TRUE(arrayElements("~2\r\n+a\r\n+b\r\n", elements));
  EXPECT_EQ(elements.size(), 2u);
  ASSERT_TRUE(arrayElements(">2\r\n+a\r\n|1\r\n+x\r\n+y\r\n:5\r\n", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{"+a\r\n", "|1\r\n+x\r\n+y\r\n:5\r\n"}));
  ASSERT_TRUE(arrayElements("|1\r\n+a\r\n+b\r\n*1\r\n:1\r\n", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{":1\r\n"}));
  ASSERT_TRUE(arrayElements("*0\r\n", elements));
  EXPECT_TRUE(elements.empty());
}

// A RESP3 map reads as RESP2 sends it: keys and values alternating.
TEST(ReplyViewTest, MapElementsAreFlattened) {
  std::vector<std::string_view> elements;
  ASSERT_TRUE(arrayElements("%2\r\n+a\r\n:1\r\n+b\r\n_\r\n", elements));
  EXPECT_EQ(elements, (std::vector<std::string_view>{"+a\r\n", ":1\r\n", "+b\r\n", "_\r\n"}));
  EXPECT_FALSE(arrayElements("%1\r\n+a\r\n", elements));
  EXPECT_TRUE(elements.empty());
}

TEST(ReplyViewTest, ArrayElementsRefusesWhatIsNotAnArray) {
  std::vector<std::string_view> elements;
  EXPECT_FALSE(arrayElements("*-1\r\n", elements));
  EXPECT_FALSE(arrayElements("_\r\n", elements));
  EXPECT_FALSE(arrayElements("+OK\r\n", elements));
  EXPECT_FALSE(arrayElements("*2\r\n:1\r\n", elements));
  EXPECT_FALSE(arrayElements("*9223372036854775807\r\n", elements));
  EXPECT_FALSE(arrayElements("*1\r\n*9223372036854775807\r\n", elements));
  EXPECT_TRUE(elements.empty());
}

}  // namespace
}  // namespace shardis::resp
