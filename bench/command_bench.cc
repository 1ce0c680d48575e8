// Command table micro-benchmarks. The bar (issue 2): at least 20 million lookups per second
// on one core for a mix of command names in mixed case.
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSHARDIS_BENCH=ON
//   cmake --build build/bench --target bench_command && build/bench/bin/bench_command

#include <benchmark/benchmark.h>

#include <array>
#include <string_view>
#include <vector>

#include "command/command_table.h"

namespace {

using shardis::command::CommandSpec;

// Roughly what a cache-like workload sends, in the cases clients really use.
constexpr std::array<std::string_view, 32> kNames = {
    "GET",      "set",  "Get",    "SET",     "mget",          "HGETALL",    "hset",      "INCR",
    "expire",   "DEL",  "Exists", "zadd",    "ZRANGEBYSCORE", "lpush",      "RPOP",      "sadd",
    "SMEMBERS", "ttl",  "PING",   "evalsha", "XADD",          "xreadgroup", "ZREVRANGE", "hincrby",
    "PUBLISH",  "mset", "GETEX",  "SETEX",   "lrange",        "ZSCORE",     "unlink",    "BZPOPMIN",
};

void BM_LookupMixedCase(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    const CommandSpec* spec = shardis::command::lookup(kNames[i++ & (kNames.size() - 1)]);
    benchmark::DoNotOptimize(spec);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupMixedCase);

void BM_LookupUnknown(benchmark::State& state) {
  constexpr std::array<std::string_view, 4> kUnknown = {"GETT", "foo", "setx", "NOSUCHCOMMAND"};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(shardis::command::lookup(kUnknown[i++ & 3]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupUnknown);

void BM_ResolveSubcommand(benchmark::State& state) {
  const std::array<std::array<std::string_view, 3>, 4> lines = {{
      {"CLIENT", "SETNAME", "app"},
      {"config", "get", "maxmemory"},
      {"OBJECT", "Encoding", "k"},
      {"GET", "k", ""},
  }};
  size_t i = 0;
  for (auto _ : state) {
    const auto& line = lines[i++ & 3];
    benchmark::DoNotOptimize(shardis::command::resolve(std::span(line.data(), 2)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveSubcommand);

void BM_FindKeysMget10(benchmark::State& state) {
  const std::vector<std::string_view> argv = {"MGET", "k0", "k1", "k2", "k3", "k4",
                                              "k5",   "k6", "k7", "k8", "k9"};
  const CommandSpec& mget = *shardis::command::lookup("mget");
  std::vector<uint32_t> keys;
  keys.reserve(16);
  std::string_view error;
  for (auto _ : state) {
    keys.clear();
    benchmark::DoNotOptimize(shardis::command::findKeys(mget, argv, keys, error));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindKeysMget10);

}  // namespace

BENCHMARK_MAIN();
