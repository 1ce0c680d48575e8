// HttpSession: one connection to the admin HTTP port, parsed with Debian's libhttp-parser.
//
// Requests are answered in order (pipelined requests too); keep-alive as the client asks.
// A request larger than kMaxRequestBytes gets 431 (or 413 once its headers are in) and the
// connection is closed; bytes that are not HTTP get 400 and a close; an idle connection is
// closed after kIdleTimeoutMs. Nothing here throws or aborts on client input.
//
// A client that pipelines requests and does not read the answers holds at most
// kMaxOutputBytes of answers plus one: beyond that the session answers nothing more and stops
// reading until the stream has handed its output to the kernel (onDrained), then goes on
// with the requests it had read. The idle timeout still runs meanwhile.
//
// Owned by the StatsServer, which is told through HttpSessionOwner::release() when the
// session is over (from inside a callback of the session: the owner frees it later).
#pragma once

#include <http_parser.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "net/stream.h"
#include "net/timer.h"

namespace shardis::net {
class Loop;
}

namespace shardis::stats {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow = "GET, HEAD";  // the Allow header of a 405
};

// Answers one request: method (http_method) and path (without the query string). The
// handler decides which methods a path takes (405 otherwise).
using HttpHandler = std::function<HttpResponse(int method, std::string_view path)>;

class HttpSession;
class HttpSessionOwner {
 public:
  virtual void release(HttpSession* session) = 0;

 protected:
  ~HttpSessionOwner() = default;
};

class HttpSession final : public net::StreamEvents {
 public:
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr size_t kMaxOutputBytes = size_t{64} * 1024;
  static constexpr uint64_t kIdleTimeoutMs = 30000;

  HttpSession(net::Loop& loop, HttpSessionOwner& owner, const HttpHandler& handler);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  net::Stream& stream() { return *stream_; }
  void start();
  // Closes at once (server shutdown).
  void close();

  uv_buf_t readBuffer(size_t suggested) override;
  void onRead(size_t nread) override;
  void onStreamEnd(int status) override;
  void onDrained() override;

  // Waiting for a request's headers: none of them yet (a new connection) or only part. What
  // a connection that never finishes them holds; the StatsServer caps these.
  [[nodiscard]] bool awaitingHeaders() const { return !finished_ && !headers_done_; }
  [[nodiscard]] bool finished() const { return finished_; }

  [[nodiscard]] static std::string_view reason(int status);

 private:
  static int onMessageBegin(http_parser* parser);
  static int onUrl(http_parser* parser, const char* at, size_t length);
  static int onHeadersComplete(http_parser* parser);
  static int onMessageComplete(http_parser* parser);

  void feed(const char* data, size_t length);
  // Stops reading and answering; `data`, `length` (read, not parsed yet) wait for onDrained.
  void holdInput(const char* data, size_t length);
  void answer();
  void reply(const HttpResponse& response, bool head, bool keep_alive);
  void fail(int status);
  void finish(bool flush);

  HttpSessionOwner& owner_;
  const HttpHandler& handler_;
  net::StreamPtr stream_;
  net::TimerPtr idle_timer_;
  http_parser parser_{};
  http_parser_settings settings_{};
  std::array<char, 4096> buffer_{};
  std::string url_;
  size_t request_bytes_ = 0;  // of the request being read
  // Input read but not parsed while the output is over kMaxOutputBytes; it lies in buffer_,
  // which no read overwrites meanwhile (reading is stopped).
  const char* held_data_ = nullptr;
  size_t held_length_ = 0;
  bool holding_ = false;
  bool headers_done_ = false;
  bool message_done_ = false;
  bool finished_ = false;
};

}  // namespace shardis::stats
