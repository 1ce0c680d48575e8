#include "net/stream.h"

#include <poll.h>

#include <algorithm>

#include "net/loop.h"

namespace shardis::net {

namespace {
// Small writes are copied into one chunk up to this size; beyond it a new chunk starts, so a
// batch is a handful of large buffers rather than thousands of small ones.
constexpr size_t kChunkBytes = size_t{64} * 1024;
}  // namespace

struct Stream::WriteRequest {
  uv_write_t req{};
  std::vector<std::string> chunks;
  std::vector<uv_buf_t> bufs;
};

StreamPtr Stream::create(Loop& loop, Kind kind, StreamEvents* events) {
  return StreamPtr(new Stream(loop, kind, events));
}

Stream::Stream(Loop& loop, Kind kind, StreamEvents* events)
    : loop_(loop), kind_(kind), events_(events) {
  if (kind == Kind::kTcp) {
    uv_tcp_init(loop.raw(), &handle().tcp);
  } else {
    uv_pipe_init(loop.raw(), &handle().pipe, 0);
  }
}

int Stream::accept(uv_stream_t* listener) { return uv_accept(listener, raw()); }

int Stream::open(uv_os_sock_t socket) {
  return kind_ == Kind::kTcp ? uv_tcp_open(&handle().tcp, socket)
                             : uv_pipe_open(&handle().pipe, socket);
}

int Stream::connectTcp(const sockaddr* address) {
  request_ = std::make_unique<Request>();
  request_->connect.data = this;
  int status = uv_tcp_connect(&request_->connect, &handle().tcp, address, &Stream::onConnectDone);
  connecting_ = status == 0;
  return status;
}

void Stream::connectUnix(const std::string& path) {
  request_ = std::make_unique<Request>();
  request_->connect.data = this;
  connecting_ = true;
  uv_pipe_connect(&request_->connect, &handle().pipe, path.c_str(), &Stream::onConnectDone);
}

int Stream::setNoDelay(bool on) {
  return kind_ == Kind::kTcp ? uv_tcp_nodelay(&handle().tcp, on ? 1 : 0) : 0;
}

int Stream::setKeepAlive(bool on, unsigned delay_seconds) {
  return kind_ == Kind::kTcp ? uv_tcp_keepalive(&handle().tcp, on ? 1 : 0, delay_seconds) : 0;
}

int Stream::startReading() { return uv_read_start(raw(), &Stream::onAlloc, &Stream::onReadDone); }

void Stream::stopReading() {
  if (!closing()) uv_read_stop(raw());
}

void Stream::write(std::string_view bytes) {
  if (closing() || bytes.empty()) return;
  if (output_.empty() || output_.back().size() + bytes.size() > kChunkBytes) {
    // Reserved before it joins the output, so a failed allocation leaves the stream as it
    // was (the caller may answer with a short error instead).
    std::string chunk = loop_.takeChunk();
    chunk.reserve(std::max(bytes.size(), size_t{4096}));
    output_.push_back(std::move(chunk));
  }
  output_.back().append(bytes);
  output_bytes_ += bytes.size();
  notePeak();
  scheduleFlush();
}

void Stream::write(std::string&& bytes) {
  if (bytes.size() < kChunkBytes) return write(std::string_view(bytes));
  if (closing()) return;
  output_bytes_ += bytes.size();
  output_.push_back(std::move(bytes));
  notePeak();
  scheduleFlush();
}

size_t Stream::pendingBytes() const {
  return output_bytes_ +
         uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&handle()));
}

size_t Stream::outputMemory() const {
  size_t bytes = 0;
  for (const std::string& chunk : output_) bytes += chunk.capacity();
  return bytes + uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&handle()));
}

void Stream::scheduleFlush() {
  if (flush_scheduled_ || connecting_) return;
  flush_scheduled_ = true;
  loop_.scheduleFlush(this);
}

void Stream::flush() {
  flush_scheduled_ = false;
  if (closing() || connecting_ || output_.empty()) return;
  // Most batches fit in the socket's send buffer: one writev now, with no write request and
  // no change to the epoll set. Only what the kernel does not take goes through uv_write.
  // (uv_try_write refuses while earlier uv_writes are queued, so order is kept.)
  std::vector<uv_buf_t>& bufs = loop_.writeBufs();
  bufs.clear();
  for (std::string& chunk : output_) {
    bufs.push_back(uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size())));
  }
  int written = uv_try_write(raw(), bufs.data(), static_cast<unsigned>(bufs.size()));
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    dropOutput(output_bytes_);
    endOnce(written);
    return;
  }
  dropOutput(static_cast<size_t>(written));
  if (!output_.empty()) return queueWrite();
  reportDrained();  // last: the owner may write or close from it
}

void Stream::dropOutput(size_t bytes) {
  output_bytes_ -= bytes;
  size_t whole = 0;
  while (whole < output_.size() && output_[whole].size() <= bytes) {
    bytes -= output_[whole].size();
    loop_.giveBackChunk(std::move(output_[whole]));
    ++whole;
  }
  output_.erase(output_.begin(), output_.begin() + static_cast<std::ptrdiff_t>(whole));
  if (bytes > 0) output_.front().erase(0, bytes);
}

void Stream::queueWrite() {
  auto* request = new WriteRequest;
  request->chunks.swap(output_);
  output_bytes_ = 0;
  request->bufs.reserve(request->chunks.size());
  for (std::string& chunk : request->chunks) {
    request->bufs.push_back(uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size())));
  }
  request->req.data = this;
  int status = uv_write(&request->req, raw(), request->bufs.data(),
                        static_cast<unsigned>(request->bufs.size()), &Stream::onWriteDone);
  if (status != 0) {
    delete request;
    endOnce(status);
  }
}

void Stream::onClosing() {
  events_ = nullptr;
  if (flush_scheduled_) loop_.cancelFlush(this);
  output_.clear();
}

void Stream::closeAfterWrites() {
  if (closing()) return;
  events_ = nullptr;
  if (connecting_) return close();
  flush();
  if (flush_scheduled_) loop_.cancelFlush(this);
  flush_scheduled_ = false;
  uv_read_stop(raw());
  request_ = std::make_unique<Request>();
  request_->shutdown.data = this;
  if (uv_shutdown(&request_->shutdown, raw(), &Stream::onShutdownDone) != 0) return close();
  // From here on nothing may be written; the handle is released from the shutdown callback.
  setClosing();
}

void Stream::endOnce(int status) {
  if (ended_ || events_ == nullptr) return;
  if (status == UV_EOF) {
    if (eof_) return;
    eof_ = true;
  } else {
    ended_ = true;
  }
  events_->onStreamEnd(status);
}

void Stream::onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  auto* self = ownerOf(handle);
  if (self->events_ == nullptr) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  *buf = self->events_->readBuffer(suggested);
}

void Stream::onReadDone(uv_stream_t* handle, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* self = ownerOf(handle);
  if (self->events_ == nullptr) return;
  if (nread > 0) {
    Loop& loop = self->loop_;  // onRead may close the stream (its memory lives on until
    loop.beginRead(static_cast<size_t>(nread));  // onClosed, but say what is meant)
    self->events_->onRead(static_cast<size_t>(nread));
    loop.endRead();
  } else if (nread < 0) {
    uv_read_stop(handle);
    self->endOnce(static_cast<int>(nread));
  }
}

void Stream::onWriteDone(uv_write_t* req, int status) {
  auto* request = reinterpret_cast<WriteRequest*>(req);  // req is the first member
  auto* self = static_cast<Stream*>(req->data);
  delete request;
  if (status < 0 && status != UV_ECANCELED) return self->endOnce(status);
  if (status == 0) self->reportDrained();
}

void Stream::reportDrained() {
  if (!drain_wanted_ || closing() || events_ == nullptr || pendingBytes() > 0) return;
  drain_wanted_ = false;
  events_->onDrained();
}

void Stream::onConnectDone(uv_connect_t* req, int status) {
  auto* self = static_cast<Stream*>(req->data);
  self->connecting_ = false;
  if (self->events_ == nullptr) return;
  if (status == 0 && !self->output_.empty()) self->scheduleFlush();
  self->events_->onConnect(status);
}

void Stream::onShutdownDone(uv_shutdown_t* req, int /*status*/) {
  static_cast<Stream*>(req->data)->closeHandle();
}

bool Stream::peerHungUp() {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(raw()), &fd) != 0) return false;
  pollfd poll_fd{fd, POLLRDHUP, 0};
  return ::poll(&poll_fd, 1, 0) == 1 && (poll_fd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace shardis::net
