// Ring lookups per second (issue 3: >= 20 million/s with fnv1a_64 on 16-byte keys for 3, 30
// and 300 servers), plus each hash function alone. Run a Release build:
//   cmake -S . -B build/hash-bench -DCMAKE_BUILD_TYPE=Release -DSHARDIS_BENCH=ON
//   cmake --build build/hash-bench --target bench_hash && build/hash-bench/bin/bench_hash
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "hash/hash_function.h"
#include "hash/hash_tag.h"
#include "hash/ring.h"

namespace shardis::hash {
namespace {

constexpr size_t kKeyCount = 4096;  // a power of two: the loop masks instead of dividing
constexpr size_t kKeyLength = 16;

// Random printable 16-byte keys, fixed seed so runs compare.
const std::vector<std::string>& sampleKeys() {
  static const std::vector<std::string> keys = [] {
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte('!', '~');
    std::vector<std::string> out(kKeyCount);
    for (std::string& key : out) {
      key.resize(kKeyLength);
      for (char& c : key) c = static_cast<char>(byte(rng));
    }
    return out;
  }();
  return keys;
}

std::vector<RingMember> servers(int64_t count) {
  std::vector<RingMember> members;
  for (int64_t i = 0; i < count; ++i) {
    members.push_back(
        RingMember{"10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":6379", 1});
  }
  return members;
}

// One lookup = hash the routing key + search the ring, what the Router does per request.
void locateLoop(benchmark::State& state, Distribution distribution, HashKind hash) {
  const auto ring = Ring::build(distribution, hash, servers(state.range(0)));
  const std::vector<std::string>& keys = sampleKeys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring->locate(keys[i++ & (kKeyCount - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_KetamaLocateFnv1a64(benchmark::State& state) {
  locateLoop(state, Distribution::kKetama, HashKind::kFnv1a_64);
}
BENCHMARK(BM_KetamaLocateFnv1a64)->Arg(3)->Arg(30)->Arg(300);

void BM_ModulaLocateFnv1a64(benchmark::State& state) {
  locateLoop(state, Distribution::kModula, HashKind::kFnv1a_64);
}
BENCHMARK(BM_ModulaLocateFnv1a64)->Arg(3)->Arg(30)->Arg(300);

void BM_KetamaLocateMd5(benchmark::State& state) {
  locateLoop(state, Distribution::kKetama, HashKind::kMd5);
}
BENCHMARK(BM_KetamaLocateMd5)->Arg(3)->Arg(300);

void BM_RedisShardLocateCrc32(benchmark::State& state) {
  locateLoop(state, Distribution::kRedisShard, HashKind::kCrc32);
}
BENCHMARK(BM_RedisShardLocateCrc32)->Arg(3)->Arg(30)->Arg(300);

void BM_RedisShardLocateSha1(benchmark::State& state) {
  locateLoop(state, Distribution::kRedisShard, HashKind::kSha1);
}
BENCHMARK(BM_RedisShardLocateSha1)->Arg(3)->Arg(300);

void BM_RandomLocate(benchmark::State& state) {
  locateLoop(state, Distribution::kRandom, HashKind::kFnv1a_64);
}
BENCHMARK(BM_RandomLocate)->Arg(3)->Arg(300);

// Tag extraction plus lookup, the whole routing step for a pool with `hash_tag: "{}"`.
void BM_KetamaLocateWithHashTag(benchmark::State& state) {
  const auto ring = Ring::build(Distribution::kKetama, HashKind::kFnv1a_64, servers(30));
  const HashTag tag = HashTag::twemproxy("{}");
  std::vector<std::string> keys = sampleKeys();
  for (std::string& key : keys) key.replace(4, 6, "{tag1}");
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring->locate(tag.routingKey(keys[i++ & (kKeyCount - 1)])));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KetamaLocateWithHashTag);

void BM_HashKey(benchmark::State& state) {
  const auto kind = static_cast<HashKind>(state.range(0));
  state.SetLabel(std::string(hashKindName(kind)));
  const std::vector<std::string>& keys = sampleKeys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(hashKey(kind, keys[i++ & (kKeyCount - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashKey)->DenseRange(0, static_cast<int64_t>(HashKind::kSha1));

}  // namespace
}  // namespace shardis::hash

BENCHMARK_MAIN();
