#include "resp/request_decoder.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "feed.h"

namespace shardis::resp {
namespace {

using namespace std::string_view_literals;

struct RequestFrame {
  std::vector<std::string> argv;
  size_t consumed = 0;
  bool is_inline = false;
  bool operator==(const RequestFrame&) const = default;
};

void PrintTo(const RequestFrame& frame, std::ostream* os) {
  *os << (frame.is_inline ? "inline[" : "multibulk[");
  for (const std::string& arg : frame.argv) *os << '"' << arg << "\" ";
  *os << "] consumed=" << frame.consumed;
}

RequestFrame describe(const RequestDecoder& decoder, std::string_view /*pending*/) {
  RequestFrame frame;
  for (const std::string_view arg : decoder.argv()) frame.argv.emplace_back(arg);
  frame.consumed = decoder.consumed();
  frame.is_inline = decoder.isInline();
  return frame;
}

test::Outcome<RequestFrame> feed(const std::vector<std::string_view>& chunks,
                                 const Limits& limits = {}) {
  RequestDecoder decoder(limits);
  return test::feedChunks(decoder, chunks, describe);
}

RequestFrame multibulk(std::vector<std::string> argv, size_t consumed) {
  return {std::move(argv), consumed, false};
}
RequestFrame inlined(std::vector<std::string> argv, size_t consumed) {
  return {std::move(argv), consumed, true};
}

struct ValidCase {
  const char* name;
  std::string_view bytes;
  std::vector<RequestFrame> frames;
};

const std::vector<ValidCase>& validCases() {
  static const std::vector<ValidCase> cases = {
      {"ping", "*1\r\n$4\r\nPING\r\n"sv, {multibulk({"PING"}, 14)}},
      {"set", "*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\nb\r\n"sv, {multibulk({"set", "a", "b"}, 27)}},
      {"empty_argument", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"sv, {multibulk({"ECHO", ""}, 20)}},
      {"crlf_inside_bulk",
       "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n"sv,
       {multibulk({"ECHO", "a\r\nb"}, 24)}},
      {"binary_bulk",
       "*2\r\n$4\r\nECHO\r\n$3\r\n\0\xff*\r\n"sv,
       {multibulk({"ECHO", std::string("\0\xff*", 3)}, 23)}},
      {"empty_multibulk", "*0\r\n"sv, {multibulk({}, 4)}},
      {"null_multibulk", "*-1\r\n"sv, {multibulk({}, 5)}},
      // Redis skips any count below one, as it skips *0, and keeps the connection.
      {"negative_multibulk",
       "*-10\r\n*1\r\n$4\r\nPING\r\n"sv,
       {multibulk({}, 6), multibulk({"PING"}, 14)}},
      {"pipeline",
       "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$2\r\nbc\r\n"sv,
       {multibulk({"GET", "a"}, 20), multibulk({"GET", "bc"}, 21)}},
      {"inline_ping", "PING\r\n"sv, {inlined({"PING"}, 6)}},
      {"inline_lf_only", "ping\n"sv, {inlined({"ping"}, 5)}},
      {"inline_spaces", "  SET   a \t b  \r\n"sv, {inlined({"SET", "a", "b"}, 17)}},
      {"inline_empty_line", "\r\n"sv, {inlined({}, 2)}},
      {"inline_blank_line", "   \n"sv, {inlined({}, 4)}},
      {"inline_double_quotes", "SET \"a b\" \"\"\r\n"sv, {inlined({"SET", "a b", ""}, 14)}},
      {"inline_single_quotes",
       "SET 'it\\'s' 'a\\nb'\r\n"sv,
       {inlined({"SET", "it's", "a\\nb"}, 20)}},
      {"inline_escapes",
       "ECHO \"\\x41\\xzz\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"sv,
       {inlined({"ECHO",
                 "A"
                 "xzz\n\r\t\b\a\\\"q"},
                33)}},
      {"inline_quote_inside_word", "SET ab\"c d\"\r\n"sv, {inlined({"SET", "abc d"}, 13)}},
      {"inline_nul_ends_line", "GET a\0b\r\n"sv, {inlined({"GET", "a"}, 9)}},
      {"inline_then_multibulk",
       "PING\r\n*1\r\n$4\r\nPING\r\n"sv,
       {inlined({"PING"}, 6), multibulk({"PING"}, 14)}},
  };
  return cases;
}

TEST(RequestDecoderTest, ValidFixturesWhole) {
  for (const ValidCase& c : validCases()) {
    const auto outcome = feed(test::whole(c.bytes));
    EXPECT_EQ(outcome.frames, c.frames) << c.name;
    EXPECT_EQ(outcome.last, Status::kNeedMore) << c.name;
  }
}

TEST(RequestDecoderTest, ValidFixturesOneByteAtATime) {
  for (const ValidCase& c : validCases()) {
    const auto outcome = feed(test::oneByteAtATime(c.bytes));
    EXPECT_EQ(outcome.frames, c.frames) << c.name;
  }
}

TEST(RequestDecoderTest, ValidFixturesSplitAtEveryOffset) {
  for (const ValidCase& c : validCases()) {
    for (size_t offset = 0; offset <= c.bytes.size(); ++offset) {
      const auto outcome = feed(test::splitAt(c.bytes, offset));
      EXPECT_EQ(outcome.frames, c.frames) << c.name << " split at " << offset;
    }
  }
}

TEST(RequestDecoderTest, StrictPrefixNeverCompletesTheLastRequest) {
  for (const ValidCase& c : validCases()) {
    for (size_t length = 0; length < c.bytes.size(); ++length) {
      const auto outcome = feed(test::whole(c.bytes.substr(0, length)));
      EXPECT_EQ(outcome.last, Status::kNeedMore) << c.name << " prefix " << length;
      EXPECT_LT(outcome.frames.size(), c.frames.size()) << c.name << " prefix " << length;
    }
  }
}

struct InvalidCase {
  std::string_view bytes;
  std::string_view error;
};

const std::vector<InvalidCase>& invalidCases() {
  static const std::vector<InvalidCase> cases = {
      {"*abc\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*+1\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*01\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*99999999999999999999\r\n"sv, "Protocol error: invalid multibulk length"},
      {"*1\rX"sv, "Protocol error: invalid multibulk length"},
      {"*1\r\n$-1\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$-5\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$abc\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$3a\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$ 3\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$9223372036854775808\r\n"sv, "Protocol error: invalid bulk length"},
      {"*1\r\n$3\rX"sv, "Protocol error: invalid bulk length"},
      {"*1\r\nGET\r\n"sv, "Protocol error: expected '$', got 'G'"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n"sv, "Protocol error: expected '$', got ':'"},
      {"*1\r\n$3\r\nGETxx"sv, "Protocol error: expected CRLF after bulk data"},
      {"*1\r\n$3\r\nGET\rx"sv, "Protocol error: expected CRLF after bulk data"},
      {"SET \"a b\r\n"sv, "Protocol error: unbalanced quotes in request"},
      {"SET 'a\r\n"sv, "Protocol error: unbalanced quotes in request"},
      {"SET \"a\"b\r\n"sv, "Protocol error: unbalanced quotes in request"},
      {"SET 'a'b\r\n"sv, "Protocol error: unbalanced quotes in request"},
      {"SET \"a\\\"\r\n"sv, "Protocol error: unbalanced quotes in request"},
  };
  return cases;
}

// CLIENT LIST's argv-mem: the arguments complete so far of a request cut by a read, then all
// of them once it is whole.
TEST(RequestDecoderTest, ArgBytesCountTheCompleteArguments) {
  RequestDecoder decoder;
  EXPECT_EQ(decoder.argBytes(), 0u);
  std::string_view cut = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc";
  ASSERT_EQ(decoder.decode(cut), Status::kNeedMore);
  EXPECT_EQ(decoder.argBytes(), 4u);
  std::string whole = std::string(cut) + "defghij\r\n";
  ASSERT_EQ(decoder.decode(whole), Status::kFrame);
  EXPECT_EQ(decoder.argBytes(), 14u);
  decoder.reset();
  EXPECT_EQ(decoder.argBytes(), 0u);
  ASSERT_EQ(decoder.decode("PING hello\r\n"), Status::kFrame);
  EXPECT_EQ(decoder.argBytes(), 9u);
}

TEST(RequestDecoderTest, InvalidFixturesAreRejectedWithRedisWording) {
  for (const InvalidCase& c : invalidCases()) {
    const auto outcome = feed(test::whole(c.bytes));
    EXPECT_EQ(outcome.last, Status::kError) << c.bytes;
    EXPECT_EQ(outcome.error, c.error) << c.bytes;
    EXPECT_TRUE(outcome.frames.empty()) << c.bytes;
  }
}

TEST(RequestDecoderTest, InvalidFixturesGiveTheSameErrorHoweverSplit) {
  for (const InvalidCase& c : invalidCases()) {
    const auto byte_by_byte = feed(test::oneByteAtATime(c.bytes));
    EXPECT_EQ(byte_by_byte.error, c.error) << c.bytes;
    for (size_t offset = 0; offset <= c.bytes.size(); ++offset) {
      EXPECT_EQ(feed(test::splitAt(c.bytes, offset)).error, c.error) << c.bytes << " @" << offset;
    }
  }
}

TEST(RequestDecoderTest, ErrorIsStickyUntilReset) {
  RequestDecoder decoder;
  ASSERT_EQ(decoder.decode("*x\r\n"), Status::kError);
  EXPECT_EQ(decoder.decode("*1\r\n$4\r\nPING\r\n"), Status::kError);
  EXPECT_EQ(decoder.errorMessage(), "Protocol error: invalid multibulk length");
  decoder.reset();
  EXPECT_TRUE(decoder.errorMessage().empty());
  ASSERT_EQ(decoder.decode("*1\r\n$4\r\nPING\r\n"), Status::kFrame);
  EXPECT_EQ(decoder.argv()[0], "PING");
}

TEST(RequestDecoderTest, MultibulkArgvPointsIntoThePendingBuffer) {
  RequestDecoder decoder;
  const std::string bytes = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  ASSERT_EQ(decoder.decode(bytes), Status::kFrame);
  ASSERT_EQ(decoder.argv().size(), 2u);
  EXPECT_EQ(decoder.argv()[1].data(), bytes.data() + 17);
}

TEST(RequestDecoderTest, ResetDropsAPartialRequest) {
  RequestDecoder decoder;
  ASSERT_EQ(decoder.decode("*2\r\n$3\r\nGET\r\n"), Status::kNeedMore);
  decoder.reset();
  ASSERT_EQ(decoder.decode("PING\r\n"), Status::kFrame);
  EXPECT_TRUE(decoder.isInline());
  EXPECT_EQ(decoder.consumed(), 6u);
}

TEST(RequestDecoderTest, BulkEndIsKnownOnlyInsideABulk) {
  RequestDecoder decoder;
  EXPECT_EQ(decoder.bulkEnd(), 0u);
  ASSERT_EQ(decoder.decode("*2\r\n$3\r"), Status::kNeedMore);
  EXPECT_EQ(decoder.bulkEnd(), 0u);  // in a length line
  ASSERT_EQ(decoder.decode("*2\r\n$3\r\nGE"), Status::kNeedMore);
  EXPECT_EQ(decoder.bulkEnd(), 13u);  // "*2\r\n$3\r\nGET\r\n"
  ASSERT_EQ(decoder.decode("*2\r\n$3\r\nGET\r\n$5\r\n"), Status::kNeedMore);
  EXPECT_EQ(decoder.bulkEnd(), 24u);
  ASSERT_EQ(decoder.decode("*2\r\n$3\r\nGET\r\n$5\r\nkey12\r\n"), Status::kFrame);
  EXPECT_EQ(decoder.bulkEnd(), 0u);
  ASSERT_EQ(decoder.decode("GET k"), Status::kNeedMore);
  EXPECT_EQ(decoder.bulkEnd(), 0u);  // inline: a line
}

TEST(RequestDecoderTest, EmptyInputNeedsMore) {
  RequestDecoder decoder;
  EXPECT_EQ(decoder.decode(""), Status::kNeedMore);
}

TEST(RequestDecoderLimitsTest, MaxBulkLen) {
  Limits limits;
  limits.max_bulk_len = 4;
  EXPECT_EQ(feed(test::whole("*1\r\n$4\r\nPING\r\n"), limits).frames.size(), 1u);
  const auto outcome = feed(test::whole("*1\r\n$5\r\n"), limits);
  EXPECT_EQ(outcome.error, "Protocol error: invalid bulk length");
}

TEST(RequestDecoderLimitsTest, MaxArrayLen) {
  Limits limits;
  limits.max_array_len = 2;
  EXPECT_EQ(feed(test::whole("*2\r\n$1\r\na\r\n$1\r\nb\r\n"), limits).frames.size(), 1u);
  const auto outcome = feed(test::whole("*3\r\n"), limits);
  EXPECT_EQ(outcome.error, "Protocol error: invalid multibulk length");
}

TEST(RequestDecoderLimitsTest, MaxInlineLenWithAndWithoutNewline) {
  Limits limits;
  limits.max_inline_len = 8;
  EXPECT_EQ(feed(test::whole("GET abcd\r\n"), limits).frames.size(), 1u);
  EXPECT_EQ(feed(test::whole("GET abcd"), limits).last, Status::kNeedMore);
  EXPECT_EQ(feed(test::whole("GET abcd\r"), limits).last, Status::kNeedMore);
  EXPECT_EQ(feed(test::whole("GET abcd\rx"), limits).error,
            "Protocol error: too big inline request");
  EXPECT_EQ(feed(test::whole("GET abcde\r\n"), limits).error,
            "Protocol error: too big inline request");
  // The line is refused as soon as it is longer than the limit, before its end arrives.
  EXPECT_EQ(feed(test::whole("GET abcde"), limits).error, "Protocol error: too big inline request");
  EXPECT_EQ(feed(test::oneByteAtATime("GET abcde"), limits).error,
            "Protocol error: too big inline request");
}

TEST(RequestDecoderLimitsTest, DefaultInlineLimitIs64KiB) {
  const std::string at_limit = "ECHO " + std::string((64u << 10) - 5, 'x') + "\n";
  EXPECT_EQ(feed(test::whole(at_limit)).frames.size(), 1u);
  const std::string over = "ECHO " + std::string(64u << 10, 'x');
  EXPECT_EQ(feed(test::whole(over)).error, "Protocol error: too big inline request");
}

TEST(RequestDecoderLimitsTest, TooBigCountStrings) {
  Limits limits;
  limits.max_inline_len = 4;
  EXPECT_EQ(feed(test::whole("*00000"), limits).error,
            "Protocol error: too big mbulk count string");
  EXPECT_EQ(feed(test::whole("*1\r\n$00000"), limits).error,
            "Protocol error: too big bulk count string");
  EXPECT_EQ(feed(test::whole("*1\r\n$1234\r\n"), limits).last, Status::kNeedMore);
}

TEST(RequestDecoderLimitsTest, CountBeyondLimitIsRefusedBeforeArgumentsArrive) {
  // A huge declared count costs nothing until the arguments are there.
  const auto outcome = feed(test::whole("*1048576\r\n$1\r\na\r\n"));
  EXPECT_EQ(outcome.last, Status::kNeedMore);
  EXPECT_EQ(feed(test::whole("*1048577\r\n")).error, "Protocol error: invalid multibulk length");
}

// Before AUTH, Redis 7 refuses a multibulk of more than 10 arguments and a bulk of more than
// 16 KB at their headers, so an unauthenticated client cannot make it buffer much.
test::Outcome<RequestFrame> feedUnauthenticated(const std::vector<std::string_view>& chunks,
                                                const Limits& limits = {}) {
  RequestDecoder decoder(limits);
  decoder.setAuthenticated(false);
  return test::feedChunks(decoder, chunks, describe);
}

constexpr std::string_view kUnauthMultibulk = "Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulk = "Protocol error: unauthenticated bulk length";

TEST(RequestDecoderUnauthenticatedTest, MultibulkOfMoreThanTenIsRefusedAtItsHeader) {
  EXPECT_EQ(feedUnauthenticated(test::whole("*11\r\n")).error, kUnauthMultibulk);
  EXPECT_EQ(feedUnauthenticated(test::oneByteAtATime("*11\r\n")).error, kUnauthMultibulk);
  // Redis's own bound (INT_MAX) says "invalid" first; the proxy's lower max_array_len comes
  // after the unauthenticated check, so the answer is Redis's.
  EXPECT_EQ(feedUnauthenticated(test::whole("*2000000\r\n")).error, kUnauthMultibulk);
  EXPECT_EQ(feedUnauthenticated(test::whole("*x\r\n")).error,
            "Protocol error: invalid multibulk length");
  std::string ten = "*10\r\n";
  for (int i = 0; i < 10; ++i) ten += "$1\r\na\r\n";
  EXPECT_EQ(feedUnauthenticated(test::whole(ten)).frames.size(), 1u);
  EXPECT_EQ(feedUnauthenticated(test::whole("*0\r\n*-1\r\n")).frames.size(), 2u);
}

TEST(RequestDecoderUnauthenticatedTest, BulkOfMoreThan16KBIsRefusedAtItsHeader) {
  EXPECT_EQ(feedUnauthenticated(test::whole("*2\r\n$3\r\nGET\r\n$16385\r\n")).error, kUnauthBulk);
  EXPECT_EQ(feedUnauthenticated(test::oneByteAtATime("*1\r\n$16385\r\n")).error, kUnauthBulk);
  // A length past max_bulk_len is invalid before it is unauthenticated, as in Redis.
  EXPECT_EQ(feedUnauthenticated(test::whole("*1\r\n$600000000\r\n")).error,
            "Protocol error: invalid bulk length");
  const std::string at_limit = "*2\r\n$4\r\nECHO\r\n$16384\r\n" + std::string(16384, 'x') + "\r\n";
  EXPECT_EQ(feedUnauthenticated(test::whole(at_limit)).frames.size(), 1u);
}

TEST(RequestDecoderUnauthenticatedTest, InlineRequestsKeepTheirOwnLimit) {
  const std::string line = "ECHO " + std::string(20000, 'x') + "\r\n";
  EXPECT_EQ(feedUnauthenticated(test::whole(line)).frames.size(), 1u);
}

TEST(RequestDecoderUnauthenticatedTest, AuthenticatingLiftsTheLimits) {
  RequestDecoder decoder;
  decoder.setAuthenticated(false);
  ASSERT_EQ(decoder.decode("*1\r\n$4\r\nPING\r\n"), Status::kFrame);
  decoder.setAuthenticated(true);
  std::string eleven = "*11\r\n";
  for (int i = 0; i < 11; ++i) eleven += "$1\r\na\r\n";
  ASSERT_EQ(decoder.decode(eleven), Status::kFrame);
  EXPECT_EQ(decoder.argv().size(), 11u);
  // A decoder is authenticated until told otherwise, and reset() keeps what it was told.
  RequestDecoder fresh;
  EXPECT_EQ(fresh.decode(eleven), Status::kFrame);
  fresh.setAuthenticated(false);
  fresh.reset();
  EXPECT_EQ(fresh.decode(eleven), Status::kError);
  EXPECT_EQ(fresh.errorMessage(), kUnauthMultibulk);
}

TEST(RequestDecoderTest, LargeBulkSplitInChunks) {
  const std::string value(100000, 'v');
  const std::string bytes = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + value + "\r\n";
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < bytes.size(); i += 4096)
    chunks.push_back(std::string_view(bytes).substr(i, 4096));
  const auto outcome = feed(chunks);
  ASSERT_EQ(outcome.frames.size(), 1u);
  EXPECT_EQ(outcome.frames[0].argv[2], value);
  EXPECT_EQ(outcome.frames[0].consumed, bytes.size());
}

}  // namespace
}  // namespace shardis::resp
