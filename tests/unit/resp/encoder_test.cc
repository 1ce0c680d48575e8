#include "resp/encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "resp/reply_decoder.h"
#include "resp/request_decoder.h"

namespace shardis::resp {
namespace {

using namespace std::string_view_literals;

template <typename Append>
std::string encode(Append append) {
  std::string out = "prefix|";  // appending must keep what is already there
  append(out);
  EXPECT_EQ(out.substr(0, 7), "prefix|");
  return out.substr(7);
}

TEST(EncoderTest, Resp2GoldenBytes) {
  EXPECT_EQ(encode([](std::string& o) { appendStatus(o, "OK"); }), "+OK\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendError(o, "ERR unknown command 'foo'"); }),
            "-ERR unknown command 'foo'\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendError(o, "CROSSSLOT Keys in request"); }),
            "-CROSSSLOT Keys in request\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendInteger(o, 0); }), ":0\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendInteger(o, -42); }), ":-42\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendInteger(o, INT64_MIN); }),
            ":-9223372036854775808\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendInteger(o, INT64_MAX); }),
            ":9223372036854775807\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBulk(o, "hello"); }), "$5\r\nhello\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBulk(o, ""); }), "$0\r\n\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBulk(o, "a\r\n\0b"sv); }),
            std::string("$5\r\na\r\n\0b\r\n", 11));
  EXPECT_EQ(encode([](std::string& o) { appendNullBulk(o); }), "$-1\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendNullArray(o); }), "*-1\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendArrayHeader(o, 0); }), "*0\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendArrayHeader(o, 12); }), "*12\r\n");
}

TEST(EncoderTest, Resp3GoldenBytes) {
  EXPECT_EQ(encode([](std::string& o) { appendMapHeader(o, 2); }), "%2\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendSetHeader(o, 3); }), "~3\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendPushHeader(o, 3); }), ">3\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendNull(o); }), "_\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBoolean(o, true); }), "#t\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBoolean(o, false); }), "#f\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendVerbatim(o, "txt", "Some string"); }),
            "=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendBigNumber(o, "-3492890328409238509324850943"); }),
            "(-3492890328409238509324850943\r\n");
}

// What Redis writes to a RESP2 client for the types RESP2 lacks, and to a RESP3 one.
TEST(EncoderTest, TypesInTheClientsProtocol) {
  constexpr Protocol k2 = Protocol::kResp2;
  constexpr Protocol k3 = Protocol::kResp3;
  EXPECT_EQ(encode([](std::string& o) { appendNullBulk(o, k2); }), "$-1\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendNullBulk(o, k3); }), "_\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendNullArray(o, k2); }), "*-1\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendNullArray(o, k3); }), "_\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendMapHeader(o, 3, k2); }), "*6\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendMapHeader(o, 3, k3); }), "%3\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendSetHeader(o, 2, k2); }), "*2\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendSetHeader(o, 2, k3); }), "~2\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendPushHeader(o, 3, k2); }), "*3\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendPushHeader(o, 3, k3); }), ">3\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 2.5, k2); }), "$3\r\n2.5\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 2.5, k3); }), ",2.5\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendVerbatim(o, "txt", "a:b", k2); }), "$3\r\na:b\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendVerbatim(o, "txt", "a:b", k3); }),
            "=7\r\ntxt:a:b\r\n");
}

TEST(EncoderTest, DoublesAsRedis70WritesThem) {
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 1.5); }), ",1.5\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 0); }), ",0\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, -2); }), ",-2\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 0.1); }), ",0.10000000000000001\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, 1e300); }), ",1.0000000000000001e+300\r\n");
  EXPECT_EQ(
      encode([](std::string& o) { appendDouble(o, std::numeric_limits<double>::infinity()); }),
      ",inf\r\n");
  EXPECT_EQ(
      encode([](std::string& o) { appendDouble(o, -std::numeric_limits<double>::infinity()); }),
      ",-inf\r\n");
  EXPECT_EQ(encode([](std::string& o) { appendDouble(o, std::nan("")); }), ",nan\r\n");
}

TEST(EncoderTest, CommandIsMultibulk) {
  const std::vector<std::string_view> argv = {"MGET", "a", ""};
  EXPECT_EQ(encode([&](std::string& o) { appendCommand(o, argv); }),
            "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$0\r\n\r\n");
}

TEST(EncoderTest, CommandRoundTripsThroughRequestDecoder) {
  const std::vector<std::string_view> argv = {"SET", "key with spaces", "v\r\nv"};
  std::string bytes;
  appendCommand(bytes, argv);
  RequestDecoder decoder;
  ASSERT_EQ(decoder.decode(bytes), Status::kFrame);
  ASSERT_EQ(decoder.argv().size(), argv.size());
  for (size_t i = 0; i < argv.size(); ++i) EXPECT_EQ(decoder.argv()[i], argv[i]);
  EXPECT_EQ(decoder.consumed(), bytes.size());
}

TEST(EncoderTest, EverythingEncodedDecodesAsOneReply) {
  std::string bytes;
  appendMapHeader(bytes, 2);
  appendStatus(bytes, "k");
  appendDouble(bytes, 0.25);
  appendBulk(bytes, "set");
  appendSetHeader(bytes, 4);
  appendNull(bytes);
  appendBoolean(bytes, true);
  appendVerbatim(bytes, "txt", "x");
  appendBigNumber(bytes, "123");
  ReplyDecoder decoder;
  ASSERT_EQ(decoder.decode(bytes), Status::kFrame);
  EXPECT_EQ(decoder.reply().type, ReplyType::kMap);
  EXPECT_EQ(decoder.reply().count, 2);
  EXPECT_EQ(decoder.consumed(), bytes.size());
}

}  // namespace
}  // namespace shardis::resp
