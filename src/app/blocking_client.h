// BlockingClient: a small synchronous RESP client for the command-line tools (`shardis locate
// --diff --scan`), which talk to a few servers one at a time, outside any event loop. Every
// connect, send and receive is bounded by one timeout, so an unreachable or silent server
// costs the operator that long and no more. The proxy's own connections are backend/'s.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "resp/reply_decoder.h"

namespace shardis::app {

class BlockingClient {
 public:
  explicit BlockingClient(int timeout_ms) : timeout_ms_(timeout_ms) {}
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Connects to the server's TCP address or unix socket. False with `error` on failure.
  [[nodiscard]] bool connect(const config::Server& server, std::string& error);
  // Connects to host:port (a name or an IP literal).
  [[nodiscard]] bool connect(const std::string& host, uint16_t port, std::string& error);
  // Sends one command and reads its reply, whole, into `reply` (raw RESP bytes, valid until
  // the next call). An error reply is still true: the caller reads it. False with `error` when
  // the connection fails, times out or the bytes are not RESP; the client is then closed.
  [[nodiscard]] bool call(std::span<const std::string_view> argv, std::string_view& reply,
                          std::string& error);
  // The halves of call(), for a subscribed connection: send a command without waiting, and
  // read the next reply or message the server sends.
  [[nodiscard]] bool send(std::span<const std::string_view> argv, std::string& error);
  [[nodiscard]] bool receive(std::string_view& reply, std::string& error);
  // True when bytes beyond the reply last returned are already buffered.
  [[nodiscard]] bool buffered() const { return buffer_.size() > returned_; }
  // Every wait also ends, failing with "stopped", once `fd` is readable: a thread that talks
  // to servers stops promptly whatever the timeout (an eventfd its owner writes to).
  void setWakeFd(int fd) { wake_fd_ = fd; }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  void close();

 private:
  bool connectTo(const sockaddr* address, socklen_t length, std::string& error);
  bool sendAll(std::string_view bytes, std::string& error);
  bool readReply(std::string_view& reply, std::string& error);
  bool waitFor(short events, std::string_view what, std::string& error);

  int timeout_ms_;
  int wake_fd_ = -1;
  int fd_ = -1;
  std::string buffer_;   // received bytes; the reply last returned is at its front
  size_t returned_ = 0;  // bytes of the reply last returned, dropped by the next call
  resp::ReplyDecoder decoder_{resp::serverReplyLimits()};
};

}  // namespace shardis::app
