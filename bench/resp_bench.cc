// Decoding throughput of the RESP codec. The bar from issue 2: at least 10 million pipelined
// GET requests per second through RequestDecoder on one core.
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSHARDIS_BENCH=ON -DSHARDIS_TESTS=OFF
//   cmake --build build/bench --target bench_resp && build/bench/bin/bench_resp

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "resp/encoder.h"
#include "resp/reply_decoder.h"
#include "resp/request_decoder.h"

namespace {

using shardis::resp::ReplyDecoder;
using shardis::resp::RequestDecoder;
using shardis::resp::Status;

constexpr int kPipelined = 10000;

std::string pipelinedGets() {
  std::string bytes;
  char key[16];
  for (int i = 0; i < kPipelined; ++i) {
    std::snprintf(key, sizeof(key), "key:%06d", i);
    const std::string_view argv[] = {"GET", key};
    shardis::resp::appendCommand(bytes, argv);
  }
  return bytes;
}

std::string bulkReplies() {
  std::string bytes;
  const std::string value(100, 'v');
  for (int i = 0; i < kPipelined; ++i) shardis::resp::appendBulk(bytes, value);
  return bytes;
}

// Decodes every frame in `bytes` the way a session does: decode, then step past consumed().
template <typename Decoder>
int64_t decodeAll(Decoder& decoder, std::string_view bytes) {
  int64_t frames = 0;
  while (decoder.decode(bytes) == Status::kFrame) {
    bytes.remove_prefix(decoder.consumed());
    ++frames;
  }
  return frames;
}

void BM_RequestDecoderPipelinedGet(benchmark::State& state) {
  const std::string bytes = pipelinedGets();
  RequestDecoder decoder;
  for (auto _ : state) {
    const int64_t frames = decodeAll(decoder, bytes);
    benchmark::DoNotOptimize(frames);
    if (frames != kPipelined) state.SkipWithError("wrong frame count");
  }
  state.SetItemsProcessed(state.iterations() * kPipelined);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_RequestDecoderPipelinedGet);

void BM_RequestDecoderInlineGet(benchmark::State& state) {
  std::string bytes;
  char line[32];
  for (int i = 0; i < kPipelined; ++i) {
    std::snprintf(line, sizeof(line), "GET key:%06d\r\n", i);
    bytes += line;
  }
  RequestDecoder decoder;
  for (auto _ : state) {
    const int64_t frames = decodeAll(decoder, bytes);
    benchmark::DoNotOptimize(frames);
    if (frames != kPipelined) state.SkipWithError("wrong frame count");
  }
  state.SetItemsProcessed(state.iterations() * kPipelined);
}
BENCHMARK(BM_RequestDecoderInlineGet);

void BM_ReplyDecoderBulk100(benchmark::State& state) {
  const std::string bytes = bulkReplies();
  ReplyDecoder decoder;
  for (auto _ : state) {
    const int64_t frames = decodeAll(decoder, bytes);
    benchmark::DoNotOptimize(frames);
    if (frames != kPipelined) state.SkipWithError("wrong frame count");
  }
  state.SetItemsProcessed(state.iterations() * kPipelined);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_ReplyDecoderBulk100);

void BM_EncodeCommand(benchmark::State& state) {
  const std::string_view argv[] = {"MGET", "key:000001", "key:000002", "key:000003"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    shardis::resp::appendCommand(out, argv);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeCommand);

}  // namespace

BENCHMARK_MAIN();
