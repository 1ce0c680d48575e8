// Allocations on the request path sized by what servers and clients send: the MGET merge must
// hold what arrived and no more, and an allocation that fails must fail that one request with
// an error reply, never escape. This binary replaces the global operator new to measure and
// to fail allocations, which is why it is kept apart from proxy_test.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/fanout.h"
#include "proxy/merger.h"
#include "proxy/pending_queue.h"

namespace {
size_t g_largest = 0;            // the largest allocation since the last reset
size_t g_fail_above = SIZE_MAX;  // allocations larger than this throw std::bad_alloc
}  // namespace

void* operator new(size_t size) {
  if (size > g_fail_above) throw std::bad_alloc();
  g_largest = std::max(g_largest, size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t /*size*/) noexcept { std::free(p); }

namespace shardis::proxy {
namespace {

constexpr std::string_view kOutOfMemory =
    "-ERR out of memory: shardis could not allocate this reply\r\n";

// Compares without printing megabytes when it fails.
void expectOutOfMemory(const std::string& reply) {
  EXPECT_EQ(reply.substr(0, 100), kOutOfMemory) << "a reply of " << reply.size() << " bytes";
}

// Fails every allocation above `bytes` while in scope.
class FailAbove {
 public:
  explicit FailAbove(size_t bytes) { g_fail_above = bytes; }
  ~FailAbove() { g_fail_above = SIZE_MAX; }
  FailAbove(const FailAbove&) = delete;
  FailAbove& operator=(const FailAbove&) = delete;
};

class Names final : public ServerNames {
 public:
  explicit Names(size_t count) {
    for (size_t i = 0; i < count; ++i) names_.push_back("s" + std::to_string(i + 1));
  }
  const std::string& serverName(uint32_t server) const override { return names_[server]; }
  size_t serverCount() const override { return names_.size(); }

 private:
  std::vector<std::string> names_;
};

std::string bulk(std::string_view value) {
  return "$" + std::to_string(value.size()) + "\r\n" + std::string(value) + "\r\n";
}

// An array reply of one element, built before any allocation is made to fail.
std::string one(const std::string& element) { return "*1\r\n" + element; }

// An MGET over `parts` servers, one key on each, in server order.
struct Mget {
  explicit Mget(uint32_t parts) : names(parts) {
    for (uint32_t p = 0; p < parts; ++p) {
      part_servers.push_back(p);
      key_parts.push_back(p);
    }
    merger = makeMerger(MergeKind::kMget, names, part_servers, key_parts);
  }
  // `raw`: the part's whole reply, an array of one element (see one()).
  void reply(uint32_t part, const std::string& raw) {
    merger->onPartReply(part, resp::Reply{resp::ReplyType::kArray, 1, raw});
  }
  Names names;
  std::vector<uint32_t> part_servers;
  std::vector<uint32_t> key_parts;
  std::unique_ptr<Merger> merger;
};

TEST(MergeAllocation, MgetHoldsWhatArrivedNotTheFirstReplyTimesTheServers) {
  constexpr uint32_t kParts = 60;
  Mget mget(kParts);
  const std::string big = bulk(std::string(1 << 20, 'v'));
  const std::string big_reply = one(big);
  const std::string small_reply = one(bulk("small"));
  std::string expected = "*60\r\n" + big;
  for (uint32_t p = 1; p < kParts; ++p) expected += bulk("small");
  g_largest = 0;
  mget.reply(0, big_reply);
  // Before: the first reply's size times the 60 servers, in one reservation.
  EXPECT_LT(g_largest, 2 * big.size());
  for (uint32_t p = 1; p < kParts; ++p) mget.reply(p, small_reply);
  g_largest = 0;
  std::string out;
  mget.merger->finish(out);
  EXPECT_TRUE(out == expected);
  EXPECT_LE(g_largest, expected.size() + 32);
}

TEST(MergeAllocation, MgetAnswersOutOfMemoryWhenAPartCannotBeHeld) {
  Mget mget(3);
  const std::string big = one(bulk(std::string(2 << 20, 'v')));
  {
    FailAbove fail(1 << 20);
    EXPECT_NO_THROW(mget.reply(1, big));
  }
  mget.reply(0, one(bulk("a")));
  mget.reply(2, one(bulk("c")));
  std::string out;
  EXPECT_NO_THROW(mget.merger->finish(out));
  expectOutOfMemory(out);
}

TEST(MergeAllocation, MgetAnswersOutOfMemoryWhenTheReplyCannotBeBuilt) {
  Mget mget(2);
  const std::string part = one(bulk(std::string(600 << 10, 'v')));
  FailAbove fail(1 << 20);
  EXPECT_NO_THROW(mget.reply(0, part));
  EXPECT_NO_THROW(mget.reply(1, part));
  std::string out;
  EXPECT_NO_THROW(mget.merger->finish(out));
  expectOutOfMemory(out);
}

TEST(MergeAllocation, KeysAnswersOutOfMemory) {
  Names names(2);
  std::vector<uint32_t> servers{0, 1};
  auto merger = makeMerger(MergeKind::kConcat, names, servers);
  const std::string raw = "*1\r\n" + bulk(std::string(2 << 20, 'k'));
  {
    FailAbove fail(1 << 20);
    EXPECT_NO_THROW(merger->onPartReply(0, resp::Reply{resp::ReplyType::kArray, 1, raw}));
  }
  merger->onPartReply(1, resp::Reply{resp::ReplyType::kArray, 1, raw});
  std::string out;
  merger->finish(out);
  expectOutOfMemory(out);
}

// Keeps every completed reply; writes nothing at once, so replies are copied into the entry.
class Keep final : public CompletionListener {
 public:
  void onRequestComplete(PendingRequest& request) override { replies.push_back(request.reply()); }
  std::vector<std::string> replies;
};

TEST(MergeAllocation, AHeldReplyTooLargeToCopyBecomesAnError) {
  Keep keep;
  PendingFreeList spare;
  PendingQueue queue(keep, spare);
  PendingRequest& request = queue.push();
  request.expect(1);
  const std::string raw = bulk(std::string(2 << 20, 'v'));
  {
    FailAbove fail(1 << 20);
    EXPECT_NO_THROW(request.onReply(0, resp::Reply{resp::ReplyType::kBulk, 1, raw}));
  }
  ASSERT_EQ(keep.replies.size(), 1u);
  expectOutOfMemory(keep.replies[0]);
}

TEST(SplitAllocation, ASplitTooLargeToEncodeFailsWithoutThrowing) {
  const std::string value(2 << 20, 'v');
  std::vector<std::string_view> argv{"MSET", "a", value, "b", "1"};
  std::vector<uint32_t> indexes{1, 3};
  std::vector<uint32_t> servers{0, 1};
  Splitter splitter;
  {
    FailAbove fail(1 << 20);
    bool split = true;
    EXPECT_NO_THROW(split = splitter.split(argv, indexes, servers, 2));
    EXPECT_FALSE(split);
  }
  ASSERT_TRUE(splitter.split(argv, indexes, servers, 2));
  EXPECT_EQ(splitter.partRequest(1), "*3\r\n$4\r\nMSET\r\n$1\r\nb\r\n$1\r\n1\r\n");
}

}  // namespace
}  // namespace shardis::proxy
