// What an MGET split over servers costs the proxy on top of forwarding a request to one
// server, without the network: Splitter grouping the keys per server and encoding one
// sub-command each, and the MGET Merger putting the servers' array replies back in the
// client's key order. One item = one client MGET. The keys go round robin over 3 servers, so
// every server gets a part (the worst case for a 3-server pool: 3 sub-commands, 3 replies).
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSHARDIS_BENCH=ON -DSHARDIS_TESTS=OFF
//   cmake --build build/bench --target bench_proxy && build/bench/bin/bench_proxy

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.h"
#include "proxy/command_handlers.h"
#include "proxy/fanout.h"
#include "proxy/merger.h"
#include "proxy/pending_queue.h"
#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {
namespace {

constexpr size_t kServers = 3;

class Names final : public ServerNames {
 public:
  const std::string& serverName(uint32_t server) const override { return names_[server]; }
  size_t serverCount() const override { return names_.size(); }

 private:
  std::vector<std::string> names_{"s1", "s2", "s3"};
};

// One client MGET of `key_count` keys and the replies its servers give, built once outside
// the timed loop. The views point into the members, so it neither copies nor moves.
class MgetCase {
 public:
  explicit MgetCase(size_t key_count) {
    char text[16];
    for (size_t k = 0; k < key_count; ++k) {
      std::snprintf(text, sizeof(text), "key:%06zu", k);
      keys_.emplace_back(text);
      // 5 bytes like "value", but each its own so a merge in the wrong order shows.
      std::snprintf(text, sizeof(text), "v%04zu", k);
      values_.emplace_back(text);
    }
    argv_.push_back("MGET");
    for (size_t k = 0; k < key_count; ++k) {
      argv_.push_back(keys_[k]);
      key_indexes_.push_back(static_cast<uint32_t>(k + 1));
      key_servers_.push_back(static_cast<uint32_t>(k % kServers));
    }
    Splitter splitter;
    if (!splitter.split(argv_, key_indexes_, key_servers_, kServers)) std::abort();
    part_servers_.assign(splitter.partServers().begin(), splitter.partServers().end());
    key_parts_.assign(splitter.keyParts().begin(), splitter.keyParts().end());
    buildReplies(splitter.parts());
  }
  MgetCase(const MgetCase&) = delete;
  MgetCase& operator=(const MgetCase&) = delete;

  std::span<const std::string_view> argv() const { return argv_; }
  std::span<const uint32_t> keyIndexes() const { return key_indexes_; }
  std::span<const uint32_t> keyServers() const { return key_servers_; }
  std::span<const uint32_t> partServers() const { return part_servers_; }
  std::span<const uint32_t> keyParts() const { return key_parts_; }
  // Each part's reply as the server's connection hands it over: decoded, `raw` into its bytes.
  const std::vector<resp::Reply>& partReplies() const { return part_replies_; }
  // Whether `reply` is the one the client should get: every value, in the client's key order.
  bool isClientReply(std::string_view reply) const { return reply == client_reply_; }

 private:
  // Each server answers its part with the values of its keys, in the order it was asked.
  void buildReplies(size_t parts) {
    reply_bytes_.resize(parts);
    for (size_t p = 0; p < parts; ++p) {
      std::vector<std::string_view> values;
      for (size_t k = 0; k < key_parts_.size(); ++k) {
        if (key_parts_[k] == p) values.push_back(values_[k]);
      }
      resp::appendArrayHeader(reply_bytes_[p], values.size());
      for (std::string_view value : values) resp::appendBulk(reply_bytes_[p], value);
    }
    resp::ReplyDecoder decoder;
    for (const std::string& bytes : reply_bytes_) {
      if (decoder.decode(bytes) != resp::Status::kFrame || decoder.consumed() != bytes.size()) {
        part_replies_.push_back(
            resp::Reply{resp::ReplyType::kError, 0, "-ERR bad bench reply\r\n"});
        continue;
      }
      part_replies_.push_back(decoder.reply());
    }
    resp::appendArrayHeader(client_reply_, values_.size());
    for (const std::string& value : values_) resp::appendBulk(client_reply_, value);
  }

  std::vector<std::string> keys_;
  std::vector<std::string> values_;
  std::vector<std::string_view> argv_;
  std::vector<uint32_t> key_indexes_;
  std::vector<uint32_t> key_servers_;
  std::vector<uint32_t> part_servers_;
  std::vector<uint32_t> key_parts_;
  std::vector<std::string> reply_bytes_;
  std::vector<resp::Reply> part_replies_;
  std::string client_reply_;
};

// A PendingRequest's reply buffer goes back to the free list with its entry only up to
// kMaxKeptReply, so a large merged reply is allocated afresh by every request; do the same.
void recycleReply(std::string& reply) {
  if (reply.capacity() > PendingFreeList::kMaxKeptReply) std::string().swap(reply);
}

// The sub-commands' bytes, read as the session does when it hands them to the connections.
size_t partRequestBytes(const Splitter& splitter) {
  size_t bytes = 0;
  for (size_t p = 0; p < splitter.parts(); ++p) bytes += splitter.partRequest(p).size();
  return bytes;
}

// Every part's reply into a new merger, then the client's reply, as ClientSession and
// PendingRequest do it (the merger is made per request: the request owns it).
void mergeParts(MergeKind kind, const MgetCase& mget, std::span<const uint32_t> part_servers,
                std::span<const uint32_t> key_parts, const ServerNames& names, std::string& reply) {
  std::unique_ptr<Merger> merger = makeMerger(kind, names, part_servers, key_parts);
  const std::vector<resp::Reply>& replies = mget.partReplies();
  for (uint32_t p = 0; p < replies.size(); ++p) merger->onPartReply(p, replies[p]);
  merger->finish(reply);
}

// The whole fan-out of one MGET but the sending: the merge kind from the command's entry (by
// its id, as the dispatcher takes it), the split, and the merge of the parts' replies into the
// client's reply.
void splitAndMerge(const MgetCase& mget, const ServerNames& names, Splitter& splitter,
                   std::string& reply) {
  static const stats::CommandId mget_id = stats::commandId(command::lookup("mget"));
  const CommandEntry& entry = commandEntry(mget_id);
  if (!entry.has_merge) return reply.clear();
  MergeKind kind = entry.merge;
  if (!splitter.split(mget.argv(), mget.keyIndexes(), mget.keyServers(), kServers)) {
    return reply.clear();
  }
  benchmark::DoNotOptimize(partRequestBytes(splitter));
  mergeParts(kind, mget, splitter.partServers(), splitter.keyParts(), names, reply);
}

void BM_SplitMget10(benchmark::State& state) {
  const MgetCase mget(10);
  // One Splitter per pool and worker, reused by every request, as in PoolRuntime.
  Splitter splitter;
  if (!splitter.split(mget.argv(), mget.keyIndexes(), mget.keyServers(), kServers) ||
      splitter.parts() != kServers) {
    state.SkipWithError("the keys did not reach every server");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        splitter.split(mget.argv(), mget.keyIndexes(), mget.keyServers(), kServers));
    benchmark::DoNotOptimize(partRequestBytes(splitter));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SplitMget10);

void BM_MergeMget10(benchmark::State& state) {
  const MgetCase mget(10);
  const Names names;
  std::string reply;
  mergeParts(MergeKind::kMget, mget, mget.partServers(), mget.keyParts(), names, reply);
  if (!mget.isClientReply(reply)) {
    state.SkipWithError("wrong merged reply");
    return;
  }
  for (auto _ : state) {
    mergeParts(MergeKind::kMget, mget, mget.partServers(), mget.keyParts(), names, reply);
    benchmark::DoNotOptimize(reply.data());
    recycleReply(reply);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MergeMget10);

void BM_SplitMergeMget100(benchmark::State& state) {
  const MgetCase mget(100);
  const Names names;
  Splitter splitter;
  std::string reply;
  splitAndMerge(mget, names, splitter, reply);
  if (splitter.parts() != kServers || !mget.isClientReply(reply)) {
    state.SkipWithError("wrong split or merged reply");
    return;
  }
  for (auto _ : state) {
    splitAndMerge(mget, names, splitter, reply);
    benchmark::DoNotOptimize(reply.data());
    recycleReply(reply);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SplitMergeMget100);

}  // namespace
}  // namespace shardis::proxy

BENCHMARK_MAIN();
