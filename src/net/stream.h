// Stream: owner of one connected libuv stream, a TCP socket or a unix socket, on either side
// (a client accepted by a listener, or a connection to a Redis server).
//
// Ownership: a Stream is created with Stream::create() and held in a StreamPtr. Dropping the
// StreamPtr calls close(); the memory is freed from the close callback, once libuv is done
// with the handle, so a callback already queued never sees freed memory. After close() the
// Stream calls nothing on its StreamEvents again, so the owner may be destroyed right after.
//
// Writes are batched: write() appends to the stream's output, and the Loop flushes every
// stream that has output once per iteration, as one uv_write of all its buffers. Each
// uv_write owns its bytes (a WriteRequest) until its callback runs.
#pragma once

#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/uv_handle.h"

namespace shardis::net {

class Loop;

// What the owner of a stream hears from it. Called only while the stream is open.
class StreamEvents {
 public:
  // Where the next read lands: at least one byte of room.
  virtual uv_buf_t readBuffer(size_t suggested) = 0;
  // `nread` bytes landed in the buffer readBuffer() returned.
  virtual void onRead(size_t nread) = 0;
  // The peer closed its side (UV_EOF) or an error occurred (a libuv status). Each at most
  // once, and an error may still follow UV_EOF: after UV_EOF nothing more is read, but writes
  // go on (a client that shut down its write side still reads its replies), and a write that
  // then fails reports its error. The owner closes the stream.
  virtual void onStreamEnd(int status) = 0;
  // An outgoing connection completed (status 0) or failed.
  virtual void onConnect(int /*status*/) {}
  // Everything written has been handed to the kernel, after notifyWhenDrained().
  virtual void onDrained() {}

 protected:
  ~StreamEvents() = default;
};

// A connected stream is a TCP or a unix socket; both begin with uv_stream_t.
union StreamHandle {
  uv_tcp_t tcp;
  uv_pipe_t pipe;
};

class Stream;
using StreamPtr = UvHandlePtr<Stream>;

class Stream final : public UvHandle<Stream, StreamHandle> {
 public:
  enum class Kind : uint8_t { kTcp, kUnix };

  static StreamPtr create(Loop& loop, Kind kind, StreamEvents* events);

  Kind kind() const { return kind_; }
  uv_stream_t* raw() { return reinterpret_cast<uv_stream_t*>(&handle()); }

  // Accepts a pending connection of `listener` into this stream (libuv status).
  int accept(uv_stream_t* listener);
  // Adopts an already connected socket (fuzz/: one end of a socketpair; libuv status).
  int open(uv_os_sock_t socket);
  // Starts an outgoing connection; onConnect() follows. Writes made meanwhile wait for it.
  int connectTcp(const sockaddr* address);
  void connectUnix(const std::string& path);
  int setNoDelay(bool on);
  int setKeepAlive(bool on, unsigned delay_seconds);

  int startReading();
  void stopReading();
  // Whether the peer has shut down its side, seen by the kernel even if not read yet (Linux's
  // POLLRDHUP): a reply to hand out can still be kept from a peer that has gone.
  [[nodiscard]] bool peerHungUp();

  // Appends bytes to the output (copied into the current batch). If the copy cannot be
  // allocated, std::bad_alloc leaves the output as it was.
  void write(std::string_view bytes);
  // Appends a buffer the stream takes over without copying (large replies).
  void write(std::string&& bytes);
  // Bytes accepted by write() and not yet handed to the kernel.
  size_t pendingBytes() const;
  // For CLIENT LIST: the memory of the output not yet handed to the kernel (the batch's
  // buffers, and the bytes libuv still holds), and the most pendingBytes() has been.
  [[nodiscard]] size_t outputMemory() const;
  [[nodiscard]] size_t peakPendingBytes() const { return peak_pending_bytes_; }
  // Asks for one onDrained() once pendingBytes() is 0 (an owner that stopped reading because
  // its peer does not read resumes there). Call it while pendingBytes() > 0.
  void notifyWhenDrained() { drain_wanted_ = true; }
  // Hands the batch to libuv now (the Loop calls this once per iteration).
  void flush();

  // close() (UvHandle) stops at once: queued output is dropped. Safe to call twice.
  // Writes everything queued, shuts the write side down, then closes (QUIT, protocol
  // errors). The owner may go away right after calling it.
  void closeAfterWrites();

 private:
  friend class UvHandle<Stream, StreamHandle>;
  struct WriteRequest;
  Stream(Loop& loop, Kind kind, StreamEvents* events);
  ~Stream() = default;
  // close(): nothing more is reported, and queued output is dropped.
  void onClosing();

  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onReadDone(uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf);
  static void onWriteDone(uv_write_t* req, int status);
  static void onConnectDone(uv_connect_t* req, int status);
  static void onShutdownDone(uv_shutdown_t* req, int status);
  void scheduleFlush();
  // Forgets the first `bytes` of the output (written), recycling whole chunks.
  void dropOutput(size_t bytes);
  // Hands the output to uv_write, which owns it until onWriteDone.
  void queueWrite();
  void endOnce(int status);
  // Calls onDrained() if it was asked for and nothing is left to write.
  void reportDrained();
  void notePeak() { peak_pending_bytes_ = std::max(peak_pending_bytes_, pendingBytes()); }

  Loop& loop_;
  Kind kind_;
  StreamEvents* events_;  // nullptr once closing
  // Connecting and shutting down never overlap (closeAfterWrites() while connecting closes at
  // once), and a client's stream does neither until it ends, so the request is allocated
  // only when needed: an idle client's stream is its handle and little else.
  union Request {
    uv_connect_t connect;
    uv_shutdown_t shutdown;
  };
  std::unique_ptr<Request> request_;
  std::vector<std::string> output_;  // the batch being filled
  size_t output_bytes_ = 0;
  size_t peak_pending_bytes_ = 0;
  bool connecting_ = false;
  bool flush_scheduled_ = false;
  bool drain_wanted_ = false;
  bool eof_ = false;    // UV_EOF was reported
  bool ended_ = false;  // an error was reported
};

}  // namespace shardis::net
