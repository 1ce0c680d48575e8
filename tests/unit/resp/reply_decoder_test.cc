#include "resp/reply_decoder.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "feed.h"

namespace shardis::resp {
namespace {

using namespace std::string_view_literals;

struct ReplyFrame {
  ReplyType type = ReplyType::kNull;
  int64_t count = 0;
  std::string raw;
  size_t consumed = 0;
  bool operator==(const ReplyFrame&) const = default;
};

void PrintTo(const ReplyFrame& frame, std::ostream* os) {
  *os << "type=" << static_cast<int>(frame.type) << " count=" << frame.count << " raw=\""
      << frame.raw << "\" consumed=" << frame.consumed;
}

ReplyFrame describe(const ReplyDecoder& decoder, std::string_view pending) {
  const Reply& reply = decoder.reply();
  // raw must be the front of the buffer handed to that decode() call.
  EXPECT_EQ(reply.raw.data(), pending.data());
  return {reply.type, reply.count, std::string(reply.raw), decoder.consumed()};
}

test::Outcome<ReplyFrame> feed(const std::vector<std::string_view>& chunks,
                               const Limits& limits = {}) {
  ReplyDecoder decoder(limits);
  return test::feedChunks(decoder, chunks, describe);
}

struct ValidCase {
  std::string_view bytes;
  ReplyType type;
  int64_t count;
};

const std::vector<ValidCase>& validCases() {
  static const std::vector<ValidCase> cases = {
      {"+OK\r\n"sv, ReplyType::kStatus, 0},
      {"+\r\n"sv, ReplyType::kStatus, 0},
      {"-ERR unknown command 'foo'\r\n"sv, ReplyType::kError, 0},
      {":0\r\n"sv, ReplyType::kInteger, 0},
      {":-9223372036854775808\r\n"sv, ReplyType::kInteger, 0},
      {":9223372036854775807\r\n"sv, ReplyType::kInteger, 0},
      {"$5\r\nhello\r\n"sv, ReplyType::kBulk, 5},
      {"$0\r\n\r\n"sv, ReplyType::kBulk, 0},
      {"$4\r\na\r\nb\r\n"sv, ReplyType::kBulk, 4},
      {"$-1\r\n"sv, ReplyType::kBulk, -1},
      {"*-1\r\n"sv, ReplyType::kArray, -1},
      {"*0\r\n"sv, ReplyType::kArray, 0},
      {"*2\r\n$1\r\na\r\n:1\r\n"sv, ReplyType::kArray, 2},
      {"*3\r\n*1\r\n+a\r\n*2\r\n:1\r\n$-1\r\n*0\r\n"sv, ReplyType::kArray, 3},
      {"*2\r\n*-1\r\n$-1\r\n"sv, ReplyType::kArray, 2},
      {"_\r\n"sv, ReplyType::kNull, 0},
      {",3.14\r\n"sv, ReplyType::kDouble, 0},
      {",-1.5e+20\r\n"sv, ReplyType::kDouble, 0},
      {",inf\r\n"sv, ReplyType::kDouble, 0},
      {",-inf\r\n"sv, ReplyType::kDouble, 0},
      {",nan\r\n"sv, ReplyType::kDouble, 0},
      {"#t\r\n"sv, ReplyType::kBoolean, 0},
      {"#f\r\n"sv, ReplyType::kBoolean, 0},
      {"(3492890328409238509324850943850943825024385\r\n"sv, ReplyType::kBigNumber, 0},
      {"(-12\r\n"sv, ReplyType::kBigNumber, 0},
      {"=15\r\ntxt:Some string\r\n"sv, ReplyType::kVerbatim, 15},
      {"=4\r\nmkd:\r\n"sv, ReplyType::kVerbatim, 4},
      {"!21\r\nSYNTAX invalid syntax\r\n"sv, ReplyType::kBlobError, 21},
      {"!0\r\n\r\n"sv, ReplyType::kBlobError, 0},
      {"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"sv, ReplyType::kMap, 2},
      {"%0\r\n"sv, ReplyType::kMap, 0},
      {"~3\r\n+a\r\n+b\r\n+c\r\n"sv, ReplyType::kSet, 3},
      {"~0\r\n"sv, ReplyType::kSet, 0},
      {">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n"sv, ReplyType::kPush, 3},
      {"%1\r\n$1\r\nk\r\n*2\r\n~1\r\n#t\r\n%1\r\n_\r\n,1\r\n"sv, ReplyType::kMap, 1},
      // An attribute before the reply: raw covers both, the type is the annotated reply's.
      {"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
       "*2\r\n:2039123\r\n:9543892\r\n"sv,
       ReplyType::kArray, 2},
      {"|0\r\n:5\r\n"sv, ReplyType::kInteger, 0},
      {"|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n+d\r\n$1\r\nx\r\n"sv, ReplyType::kBulk, 1},
      // An attribute on an element does not count as an element.
      {"*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n"sv, ReplyType::kArray, 2},
      {"*1\r\n|1\r\n+a\r\n*1\r\n:1\r\n*1\r\n:2\r\n"sv, ReplyType::kArray, 1},
  };
  return cases;
}

TEST(ReplyDecoderTest, ValidFixturesWhole) {
  for (const ValidCase& c : validCases()) {
    const auto outcome = feed(test::whole(c.bytes));
    ASSERT_EQ(outcome.frames.size(), 1u) << c.bytes;
    const ReplyFrame expected{c.type, c.count, std::string(c.bytes), c.bytes.size()};
    EXPECT_EQ(outcome.frames[0], expected) << c.bytes;
  }
}

TEST(ReplyDecoderTest, ValidFixturesOneByteAtATimeAndSplitAtEveryOffset) {
  for (const ValidCase& c : validCases()) {
    const auto reference = feed(test::whole(c.bytes));
    EXPECT_EQ(feed(test::oneByteAtATime(c.bytes)).frames, reference.frames) << c.bytes;
    for (size_t offset = 0; offset <= c.bytes.size(); ++offset) {
      EXPECT_EQ(feed(test::splitAt(c.bytes, offset)).frames, reference.frames)
          << c.bytes << " split at " << offset;
    }
  }
}

TEST(ReplyDecoderTest, StrictPrefixNeverProducesAFrame) {
  for (const ValidCase& c : validCases()) {
    for (size_t length = 0; length < c.bytes.size(); ++length) {
      const auto outcome = feed(test::whole(c.bytes.substr(0, length)));
      EXPECT_EQ(outcome.last, Status::kNeedMore) << c.bytes << " prefix " << length;
      EXPECT_TRUE(outcome.frames.empty()) << c.bytes << " prefix " << length;
    }
  }
}

TEST(ReplyDecoderTest, AllFixturesPipelined) {
  std::string pipeline;
  std::vector<ReplyFrame> expected;
  for (const ValidCase& c : validCases()) {
    pipeline.append(c.bytes);
    expected.push_back({c.type, c.count, std::string(c.bytes), c.bytes.size()});
  }
  EXPECT_EQ(feed(test::whole(pipeline)).frames, expected);
  EXPECT_EQ(feed(test::oneByteAtATime(pipeline)).frames, expected);
  for (size_t offset = 0; offset <= pipeline.size(); offset += 7) {
    EXPECT_EQ(feed(test::splitAt(pipeline, offset)).frames, expected) << offset;
  }
}

struct InvalidCase {
  std::string_view bytes;
  std::string_view error;
};

const std::vector<InvalidCase>& invalidCases() {
  static const std::vector<InvalidCase> cases = {
      {"?\r\n"sv, "Protocol error: invalid reply type byte '?'"},
      {"*1\r\nx"sv, "Protocol error: invalid reply type byte 'x'"},
      {"$-2\r\n"sv, "Protocol error: invalid bulk length"},
      {"$abc\r\n"sv, "Protocol error: invalid bulk length"},
      {"$1x\r\n"sv, "Protocol error: invalid bulk length"},
      {"$99999999999999999999\r\n"sv, "Protocol error: invalid bulk length"},
      {"$1\rX"sv, "Protocol error: invalid bulk length"},
      {"!-1\r\n"sv, "Protocol error: invalid bulk length"},
      {"=-1\r\n"sv, "Protocol error: invalid bulk length"},
      {"*-2\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*x\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*99999999999999999999\r\n"sv, "Protocol error: invalid multibulk length"},
      {"%-1\r\n"sv, "Protocol error: invalid multibulk length"},
      {"~-1\r\n"sv, "Protocol error: invalid multibulk length"},
      {">-1\r\n"sv, "Protocol error: invalid multibulk length"},
      {"|-1\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*1\rX"sv, "Protocol error: invalid multibulk length"},
      {"$3\r\nabcd\r\n"sv, "Protocol error: expected CRLF after bulk data"},
      {"*1\r\n$1\r\nabc"sv, "Protocol error: expected CRLF after bulk data"},
      {"+OK\rX"sv, "Protocol error: expected CRLF at end of line"},
      {":abc\r\n"sv, "Protocol error: invalid integer"},
      {":\r\n"sv, "Protocol error: invalid integer"},
      {":9223372036854775808\r\n"sv, "Protocol error: invalid integer"},
      {"#x\r\n"sv, "Protocol error: invalid boolean"},
      {"#\r\n"sv, "Protocol error: invalid boolean"},
      {"_x\r\n"sv, "Protocol error: invalid null"},
      {",abc\r\n"sv, "Protocol error: invalid double"},
      {",\r\n"sv, "Protocol error: invalid double"},
      {"(12a\r\n"sv, "Protocol error: invalid big number"},
      {"(\r\n"sv, "Protocol error: invalid big number"},
      {"=3\r\ntxt\r\n"sv, "Protocol error: invalid verbatim string"},
      {"=5\r\ntxt_x\r\n"sv, "Protocol error: invalid verbatim string"},
  };
  return cases;
}

TEST(ReplyDecoderTest, InvalidFixturesAreRejectedWithTheirError) {
  for (const InvalidCase& c : invalidCases()) {
    const auto outcome = feed(test::whole(c.bytes));
    EXPECT_EQ(outcome.last, Status::kError) << c.bytes;
    EXPECT_EQ(outcome.error, c.error) << c.bytes;
    EXPECT_EQ(feed(test::oneByteAtATime(c.bytes)).error, c.error) << c.bytes;
    for (size_t offset = 0; offset <= c.bytes.size(); ++offset) {
      EXPECT_EQ(feed(test::splitAt(c.bytes, offset)).error, c.error) << c.bytes << " @" << offset;
    }
  }
}

TEST(ReplyDecoderTest, ErrorIsStickyUntilReset) {
  ReplyDecoder decoder;
  ASSERT_EQ(decoder.decode("?"), Status::kError);
  EXPECT_EQ(decoder.decode("+OK\r\n"), Status::kError);
  decoder.reset();
  EXPECT_TRUE(decoder.errorMessage().empty());
  ASSERT_EQ(decoder.decode("+OK\r\n"), Status::kFrame);
  EXPECT_EQ(decoder.reply().type, ReplyType::kStatus);
  EXPECT_EQ(decoder.consumed(), 5u);
}

TEST(ReplyDecoderLimitsTest, MaxDepth) {
  Limits limits;
  limits.max_depth = 2;
  EXPECT_EQ(feed(test::whole("*1\r\n*1\r\n:1\r\n"), limits).frames.size(), 1u);
  EXPECT_EQ(feed(test::whole("*1\r\n%1\r\n~1\r\n"), limits).error,
            "Protocol error: too deep nesting of aggregate replies");
  // Attributes nest too.
  EXPECT_EQ(feed(test::whole("*1\r\n|1\r\n*1\r\n"), limits).error,
            "Protocol error: too deep nesting of aggregate replies");
}

TEST(ReplyDecoderLimitsTest, DefaultMaxDepthIs128) {
  std::string nested;
  for (int i = 0; i < 128; ++i) nested += "*1\r\n";
  EXPECT_EQ(feed(test::whole(nested + ":1\r\n")).frames.size(), 1u);
  EXPECT_EQ(feed(test::whole(nested + "*1\r\n")).error,
            "Protocol error: too deep nesting of aggregate replies");
}

TEST(ReplyDecoderLimitsTest, MaxArrayLen) {
  Limits limits;
  limits.max_array_len = 2;
  EXPECT_EQ(feed(test::whole("*2\r\n:1\r\n:2\r\n"), limits).frames.size(), 1u);
  EXPECT_EQ(feed(test::whole("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n"), limits).frames.size(), 1u);
  for (const std::string_view header :
       {"*3\r\n"sv, "%3\r\n"sv, "~3\r\n"sv, ">3\r\n"sv, "|3\r\n"sv}) {
    EXPECT_EQ(feed(test::whole(header), limits).error, "Protocol error: invalid multibulk length")
        << header;
  }
}

TEST(ReplyDecoderLimitsTest, MaxBulkLen) {
  Limits limits;
  limits.max_bulk_len = 4;
  EXPECT_EQ(feed(test::whole("$4\r\nabcd\r\n"), limits).frames.size(), 1u);
  for (const std::string_view header : {"$5\r\n"sv, "=5\r\n"sv, "!5\r\n"sv}) {
    EXPECT_EQ(feed(test::whole(header), limits).error, "Protocol error: invalid bulk length")
        << header;
  }
  // Status and error lines are bounded by the same limit.
  EXPECT_EQ(feed(test::whole("+abcd\r\n"), limits).frames.size(), 1u);
  EXPECT_EQ(feed(test::whole("-abcde"), limits).error, "Protocol error: too big reply line");
}

TEST(ReplyDecoderLimitsTest, LengthLinesAreBoundedByMaxInlineLen) {
  Limits limits;
  limits.max_inline_len = 4;
  EXPECT_EQ(feed(test::whole("$00000"), limits).error, "Protocol error: too big bulk count string");
  EXPECT_EQ(feed(test::whole("*00000"), limits).error,
            "Protocol error: too big mbulk count string");
  EXPECT_EQ(feed(test::whole("*1000\r\n"), limits).last, Status::kNeedMore);
}

// Issue 11: a server may send what no client may (LRANGE of a 1.1 M list, a DUMP above
// proto-max-bulk-len, a script's deeply nested table); only RESP's own numbers bound it.
TEST(ReplyDecoderLimitsTest, ServerRepliesAreBoundedOnlyByWhatRespCanSay) {
  const Limits limits = serverReplyLimits();
  std::string many = "*1048577\r\n";
  for (int i = 0; i < 1048577; ++i) many += ":1\r\n";
  const auto outcome = feed(test::whole(many), limits);
  ASSERT_EQ(outcome.frames.size(), 1u);
  EXPECT_EQ(outcome.frames[0].count, 1048577);
  EXPECT_EQ(feed(test::whole("%9223372036854775807\r\n"), limits).last, Status::kNeedMore);
  EXPECT_EQ(feed(test::whole("$9223372036854775807\r\n"), limits).last, Status::kNeedMore);
  EXPECT_EQ(feed(test::whole("$9223372036854775808\r\n"), limits).error,
            "Protocol error: invalid bulk length");
  std::string nested;
  for (int i = 0; i < 5000; ++i) nested += "*1\r\n";
  EXPECT_EQ(feed(test::whole(nested + ":1\r\n"), limits).frames.size(), 1u);
  // Garbage is still garbage.
  EXPECT_EQ(feed(test::whole("?\r\n"), limits).error,
            "Protocol error: invalid reply type byte '?'");
}

TEST(ReplyDecoderTest, LargeBulkInChunks) {
  const std::string value(300000, 'z');
  const std::string bytes = "$300000\r\n" + value + "\r\n";
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < bytes.size(); i += 16384) {
    chunks.push_back(std::string_view(bytes).substr(i, 16384));
  }
  const auto outcome = feed(chunks);
  ASSERT_EQ(outcome.frames.size(), 1u);
  EXPECT_EQ(outcome.frames[0].count, 300000);
  EXPECT_EQ(outcome.frames[0].consumed, bytes.size());
}

}  // namespace
}  // namespace shardis::resp
