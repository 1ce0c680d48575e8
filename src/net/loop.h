// Loop: one worker's libuv event loop plus the two jobs that must run once per iteration,
// after every read callback of that iteration: flushing the streams that were written to
// (write batching: one uv_write per stream per iteration, however many replies or requests
// were queued on it) and running deferred tasks (freeing objects that a callback higher up
// the stack may still be using). The worker thread owns it; everything in net/ takes it by
// reference.
#pragma once

#include <uv.h>

#include <functional>
#include <string>
#include <vector>

namespace shardis::net {

class Stream;

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* raw() { return &loop_; }
  // Milliseconds, the loop's cached clock (updated each iteration).
  uint64_t now() const { return uv_now(&loop_); }
  // Nanoseconds (uv_hrtime): inside a read callback, when that read began, so one clock read
  // times every request decoded and every reply matched in it; elsewhere (timers, connects),
  // the clock itself.
  uint64_t nowNs() const { return read_ns_ != 0 ? read_ns_ : uv_hrtime(); }
  // Stream brackets each read callback with these; `nread` counts toward readBytes().
  void beginRead(size_t nread) {
    read_ns_ = uv_hrtime();
    read_bytes_ += nread;
  }
  void endRead() { read_ns_ = 0; }
  // Bytes read by all of this loop's streams so far: how the worker tells a burst from idle.
  [[nodiscard]] uint64_t readBytes() const { return read_bytes_; }

  // Runs until nothing is left to do (every handle closed).
  void run();

  // `stream` has bytes to write: flushed once after this iteration's I/O callbacks.
  void scheduleFlush(Stream* stream);
  void cancelFlush(Stream* stream);
  // Runs `task` after this iteration's I/O callbacks, outside any of them.
  void defer(std::function<void()> task);

  // Output chunks shared by this loop's streams: a batch handed to the kernel at once gives
  // its chunks back, so steady-state writes allocate nothing and an idle stream holds none.
  std::string takeChunk();
  void giveBackChunk(std::string&& chunk);
  // Frees the spare chunks (once a burst is over: see Worker).
  void releaseSpareChunks();
  // Scratch space for the buffer list of one writev (streams flush one at a time).
  std::vector<uv_buf_t>& writeBufs() { return write_bufs_; }

 private:
  static void onCheck(uv_check_t* check);
  void runAfterIo();

  uv_loop_t loop_{};
  uv_check_t check_{};
  // The check handle runs every iteration but must not keep an otherwise idle loop alive.
  std::vector<Stream*> flush_list_;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::string> spare_chunks_;
  std::vector<uv_buf_t> write_bufs_;
  uint64_t read_ns_ = 0;  // 0: no read callback is running
  uint64_t read_bytes_ = 0;
};

}  // namespace shardis::net
