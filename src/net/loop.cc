#include "net/loop.h"

#include <algorithm>
#include <cstdlib>

#include "net/stream.h"

namespace shardis::net {

Loop::Loop() {
  if (uv_loop_init(&loop_) != 0) std::abort();  // only fails when the process is out of fds
  uv_check_init(&loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, &Loop::onCheck);
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
}

Loop::~Loop() {
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  // Let every close callback still queued run, so that their owners are freed.
  while (uv_loop_close(&loop_) == UV_EBUSY) uv_run(&loop_, UV_RUN_NOWAIT);
}

void Loop::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Loop::scheduleFlush(Stream* stream) { flush_list_.push_back(stream); }

void Loop::cancelFlush(Stream* stream) {
  std::replace(flush_list_.begin(), flush_list_.end(), stream, static_cast<Stream*>(nullptr));
}

void Loop::defer(std::function<void()> task) { deferred_.push_back(std::move(task)); }

namespace {
// Enough spare chunks for every stream one busy iteration flushes, without hoarding.
constexpr size_t kMaxSpareChunks = 256;
// A chunk that grew past this (one huge reply) is freed rather than kept.
constexpr size_t kMaxSpareCapacity = size_t{128} * 1024;
}  // namespace

std::string Loop::takeChunk() {
  if (spare_chunks_.empty()) return {};
  std::string chunk = std::move(spare_chunks_.back());
  spare_chunks_.pop_back();
  return chunk;
}

void Loop::giveBackChunk(std::string&& chunk) {
  if (spare_chunks_.size() >= kMaxSpareChunks || chunk.capacity() > kMaxSpareCapacity) return;
  chunk.clear();
  spare_chunks_.push_back(std::move(chunk));
}

void Loop::releaseSpareChunks() { std::vector<std::string>().swap(spare_chunks_); }

void Loop::onCheck(uv_check_t* check) { static_cast<Loop*>(check->data)->runAfterIo(); }

void Loop::runAfterIo() {
  // A deferred task may close streams (cancelFlush) or write to others (scheduleFlush), so
  // tasks run first and the flush list is walked by index.
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> tasks;
    tasks.swap(deferred_);
    for (auto& task : tasks) task();
  }
  for (size_t i = 0; i < flush_list_.size(); ++i) {
    if (Stream* stream = flush_list_[i]) stream->flush();
  }
  flush_list_.clear();
}

}  // namespace shardis::net
