// locate() runs on every request and must not allocate. This binary replaces the global
// operator new with a counting one (so it is kept apart from hash_test) and checks that a
// lookup on each kind of ring allocates nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "hash/hash_tag.h"
#include "hash/ring.h"

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

// Every form a library might use is replaced, so that nothing allocated by the sanitizer's
// operator new is released through ours or the other way round.
namespace {
void* countedAllocation(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return countedAllocation(size); }
void* operator new[](std::size_t size) { return countedAllocation(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace shardis::hash {
namespace {

struct Case {
  Distribution distribution;
  HashKind hash;
};

TEST(LocateAllocation, NoRingAllocatesPerLookup) {
  std::vector<RingMember> members;
  for (int i = 0; i < 30; ++i) members.push_back({"server" + std::to_string(i), 1u + i % 3});
  std::vector<std::string> keys;
  for (int i = 0; i < 256; ++i) keys.push_back("user:{" + std::to_string(i) + "}:profile");
  const Case cases[] = {
      {Distribution::kKetama, HashKind::kFnv1a_64}, {Distribution::kKetama, HashKind::kMd5},
      {Distribution::kKetama, HashKind::kJenkins},  {Distribution::kModula, HashKind::kCrc32},
      {Distribution::kRandom, HashKind::kFnv1a_64}, {Distribution::kRedisShard, HashKind::kCrc32},
      {Distribution::kRedisShard, HashKind::kMd5},  {Distribution::kRedisShard, HashKind::kSha1},
  };
  for (const Case& c : cases) {
    const size_t before_build = g_allocations.load();
    const auto ring = Ring::build(c.distribution, c.hash, members);
    ASSERT_GT(g_allocations.load(), before_build);  // the counter is live
    const HashTag tag = HashTag::forPool(c.distribution, "{}");
    (void)ring->locate(keys[0]);  // first use may set up thread-local state
    const size_t before = g_allocations.load();
    uint64_t sum = 0;
    for (const std::string& key : keys) sum += ring->locate(tag.routingKey(key));
    EXPECT_EQ(g_allocations.load(), before)
        << distributionName(c.distribution) << "/" << hashKindName(c.hash);
    EXPECT_LT(sum, keys.size() * members.size());
  }
}

}  // namespace
}  // namespace shardis::hash
