// net::ReadBuffer as ServerConnection uses it: pending bytes survive every compaction and
// growth in order, each read is offered at least a chunk, and a buffer grown for one huge
// frame is given back once empty. (Here rather than in tests/unit/net/ because its only user
// is the backend.)
#include "net/read_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

namespace shardis::net {
namespace {

void readInto(ReadBuffer& buffer, std::string_view bytes) {
  std::span<char> room = buffer.room();
  ASSERT_GE(room.size(), ReadBuffer::kReadChunk);
  ASSERT_LE(bytes.size(), room.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

TEST(ReadBuffer, PendingBytesSurviveCompactionAndGrowth) {
  ReadBuffer buffer;
  std::string expected;
  // Reads of a chunk less one byte, consuming all but a growing tail each time: the tail is
  // moved to the front, and the buffer grows when the tail alone leaves too little room.
  for (int i = 0; i < 40; ++i) {
    std::string bytes(ReadBuffer::kReadChunk - 1, static_cast<char>('a' + i % 26));
    readInto(buffer, bytes);
    expected += bytes;
    size_t keep = static_cast<size_t>(i) * 1000;
    size_t drop = expected.size() > keep ? expected.size() - keep : 0;
    buffer.consume(drop);
    expected.erase(0, drop);
    ASSERT_EQ(buffer.pending(), expected) << i;
  }
  EXPECT_GE(buffer.capacity(), expected.size() + ReadBuffer::kReadChunk);
}

TEST(ReadBuffer, ConsumedBytesStayInPlaceUntilTheNextRead) {
  ReadBuffer buffer;
  readInto(buffer, "+OK\r\n+PONG\r\n");
  std::string_view first = buffer.pending().substr(0, 5);
  buffer.consume(5);
  EXPECT_EQ(first, "+OK\r\n");  // a reply's view stays valid while it is handled
  EXPECT_EQ(buffer.pending(), "+PONG\r\n");
  buffer.consume(7);
  EXPECT_TRUE(buffer.empty());
}

TEST(ReadBuffer, GrownBufferIsFreedOnceEmpty) {
  ReadBuffer buffer;
  for (int i = 0; i < 8; ++i) readInto(buffer, std::string(ReadBuffer::kReadChunk, 'x'));
  EXPECT_GT(buffer.capacity(), 4 * ReadBuffer::kReadChunk);
  buffer.shrinkWhenEmpty(4 * ReadBuffer::kReadChunk);
  EXPECT_GT(buffer.capacity(), 4 * ReadBuffer::kReadChunk);  // not while bytes are pending
  buffer.consume(buffer.pending().size());
  buffer.shrinkWhenEmpty(4 * ReadBuffer::kReadChunk);
  EXPECT_EQ(buffer.capacity(), 0u);
  readInto(buffer, "+OK\r\n");
  EXPECT_EQ(buffer.pending(), "+OK\r\n");
}

}  // namespace
}  // namespace shardis::net
