// Steady-state decoding must not allocate: the decoders reuse their argv and stack storage.
// This binary replaces the global operator new to count allocations, which is why it is kept
// apart from resp_test.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "resp/encoder.h"
#include "resp/reply_decoder.h"
#include "resp/request_decoder.h"

namespace {
size_t g_allocations = 0;
}  // namespace

void* operator new(size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t /*size*/) noexcept { std::free(p); }

namespace shardis::resp {
namespace {

template <typename Decoder>
size_t decodeAll(Decoder& decoder, std::string_view bytes) {
  size_t frames = 0;
  while (decoder.decode(bytes) == Status::kFrame) {
    bytes.remove_prefix(decoder.consumed());
    ++frames;
  }
  return frames;
}

TEST(AllocationTest, RequestDecoderReusesItsStorage) {
  std::string multibulk;
  std::string inline_lines;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::string_view argv[] = {"SET", key, "value"};
    appendCommand(multibulk, argv);
    inline_lines += "SET \"" + key + "\" value\r\n";
  }
  RequestDecoder decoder;
  ASSERT_EQ(decodeAll(decoder, multibulk), 1000u);  // warms up the argv storage
  ASSERT_EQ(decodeAll(decoder, inline_lines), 1000u);
  const size_t before = g_allocations;
  EXPECT_EQ(decodeAll(decoder, multibulk), 1000u);
  EXPECT_EQ(decodeAll(decoder, inline_lines), 1000u);
  EXPECT_EQ(g_allocations, before);
}

TEST(AllocationTest, ReplyDecoderReusesItsStack) {
  std::string replies;
  for (int i = 0; i < 1000; ++i) replies += "*2\r\n$3\r\nabc\r\n%1\r\n+k\r\n*1\r\n:1\r\n";
  ReplyDecoder decoder;
  ASSERT_EQ(decodeAll(decoder, replies), 1000u);
  const size_t before = g_allocations;
  EXPECT_EQ(decodeAll(decoder, replies), 1000u);
  EXPECT_EQ(g_allocations, before);
}

}  // namespace
}  // namespace shardis::resp
