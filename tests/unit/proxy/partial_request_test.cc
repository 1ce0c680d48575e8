// PartialRequest keeps a cut request's own bytes only, in a buffer no larger than needed.
#include "proxy/partial_request.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace shardis::proxy {
namespace {

// Cuts `stream` after `first` bytes, then feeds the rest `piece` bytes at a time the way
// ClientSession does, and returns the bytes the request took (its own, nothing after it).
struct Fed {
  std::string request;
  size_t taken_from_rest = 0;
  size_t max_capacity = 0;
  std::vector<std::string> argv;
};

Fed feedCut(std::string_view stream, size_t first, size_t piece) {
  resp::RequestDecoder worker;
  EXPECT_EQ(worker.decode(stream.substr(0, first)), resp::Status::kNeedMore);
  PartialRequest partial(worker, stream.substr(0, first));
  Fed fed;
  std::string_view rest = stream.substr(first);
  while (true) {
    resp::Status status = partial.decoder().decode(partial.bytes());
    fed.max_capacity = std::max(fed.max_capacity, partial.capacity());
    if (status == resp::Status::kFrame) {
      for (std::string_view arg : partial.decoder().argv()) fed.argv.emplace_back(arg);
      EXPECT_EQ(partial.decoder().consumed(), partial.bytes().size());
      break;
    }
    EXPECT_EQ(status, resp::Status::kNeedMore);
    if (rest.empty()) break;
    std::string_view read = rest.substr(0, piece);
    size_t took = partial.take(read);
    EXPECT_GE(took, 1u);
    EXPECT_LE(took, read.size());
    rest.remove_prefix(took);
    fed.taken_from_rest += took;
  }
  fed.request = std::string(partial.bytes());
  return fed;
}

TEST(PartialRequestTest, TakesItsOwnBytesAndNotTheNextRequests) {
  const std::string set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
  const std::string stream = set + "*1\r\n$4\r\nPING\r\n";
  for (size_t first = 1; first < set.size(); ++first) {
    for (size_t piece : {1u, 3u, 7u, 64u}) {
      Fed fed = feedCut(stream, first, piece);
      EXPECT_EQ(fed.request, set) << first << " " << piece;
      EXPECT_EQ(fed.taken_from_rest, set.size() - first);
      EXPECT_EQ(fed.argv, (std::vector<std::string>{"SET", "k", "hello"}));
    }
  }
}

TEST(PartialRequestTest, InlineRequestEndsAtItsNewline) {
  const std::string stream = "SET k \"a b\"\r\nGET k\r\n";
  Fed fed = feedCut(stream, 4, 64);
  EXPECT_EQ(fed.request, "SET k \"a b\"\r\n");
  EXPECT_EQ(fed.argv, (std::vector<std::string>{"SET", "k", "a b"}));
}

TEST(PartialRequestTest, BufferGrowsByNeedNotByReadSize) {
  // A slow client: a few bytes at a time. The buffer stays within twice what is held.
  const std::string set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n" + std::string(100, 'v') + "\r\n";
  Fed fed = feedCut(set, 30, 5);
  EXPECT_EQ(fed.request, set);
  EXPECT_LE(fed.max_capacity, 2 * set.size());
}

TEST(PartialRequestTest, LargeBulkIsReadInPlaceIntoABufferOfItsSize) {
  const std::string value(1 << 20, 'v');
  const std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n";
  const std::string set = head + value + "\r\n";
  resp::RequestDecoder worker;
  const size_t first = head.size() + 1000;
  ASSERT_EQ(worker.decode(std::string_view(set).substr(0, first)), resp::Status::kNeedMore);
  PartialRequest partial(worker, std::string_view(set).substr(0, first));
  size_t offset = first;
  size_t direct = 0;
  resp::Status status = resp::Status::kNeedMore;
  while (status == resp::Status::kNeedMore) {
    std::span<char> room = partial.room();
    if (room.empty()) {
      EXPECT_LT(set.size() - offset, PartialRequest::kDirectRead);
      offset += partial.take(std::string_view(set).substr(offset, 1000));
    } else {
      EXPECT_LE(offset + room.size(), set.size());  // never past the bulk
      size_t n = std::min<size_t>(room.size(), 65536);
      std::memcpy(room.data(), set.data() + offset, n);
      partial.commit(n);
      offset += n;
      direct += n;
    }
    status = partial.decoder().decode(partial.bytes());
  }
  ASSERT_EQ(status, resp::Status::kFrame);
  EXPECT_EQ(offset, set.size());
  EXPECT_GT(direct, value.size() - PartialRequest::kDirectRead);
  EXPECT_EQ(partial.decoder().argv()[2], value);
  EXPECT_EQ(partial.capacity(), set.size());  // capped at the bulk's end: no slack
}

}  // namespace
}  // namespace shardis::proxy
