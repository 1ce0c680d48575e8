// Test seams for ServerConnection: a loopback listener that the test answers by hand, a
// ServerHealth that records what the connection reports, and a ReplyTarget that records what
// its request got.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "net/loop.h"

namespace shardis::backend::testing {

// ROLE as a connection that expects a master asks it, and a replica's answer.
inline constexpr std::string_view kRoleRequest = "*1\r\n$4\r\nROLE\r\n";
inline constexpr std::string_view kReplicaRole =
    "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:1\r\n";

// Turns the loop without blocking until `done` holds (bounded: about `ms` milliseconds).
inline bool runUntil(net::Loop& loop, const std::function<bool()>& done, int ms = 2000) {
  for (int i = 0; i < ms && !done(); ++i) {
    uv_run(loop.raw(), UV_RUN_NOWAIT);
    if (!done()) ::usleep(1000);
  }
  return done();
}

// Reads exactly `size` bytes from `fd` while turning the loop (which flushes the request).
inline std::string readWhileRunning(net::Loop& loop, int fd, size_t size) {
  std::string bytes;
  runUntil(loop, [&] {
    char buffer[256];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) bytes.append(buffer, static_cast<size_t>(n));
    return bytes.size() >= size;
  });
  return bytes;
}

// A listening socket on 127.0.0.1 and an endpoint naming it "s1".
class FakeServer {
 public:
  FakeServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 64);  // room for a burst of leases (server_pool_test)
    // accept() below polls; the accepted sockets are blocking (Linux does not inherit the flag).
    ::fcntl(listener_, F_SETFL, O_NONBLOCK);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    endpoint.name = "s1";
    std::memcpy(&endpoint.address, &address, sizeof address);
  }
  ~FakeServer() { closeListener(); }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  bool listening() const { return listener_ >= 0; }
  // The non-blocking listening socket, for a test that accepts while it waits for more.
  int listenerFd() const { return listener_; }
  // The next connection the proxy made, once it is there (turning the loop meanwhile); -1 if
  // none came within about two seconds.
  int accept(net::Loop& loop) {
    int fd = -1;
    runUntil(loop, [&] {
      if (fd < 0) fd = ::accept(listener_, nullptr, nullptr);
      return fd >= 0;
    });
    return fd;
  }
  // Stops listening: the port now refuses connections.
  void closeListener() {
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
  }

  ServerEndpoint endpoint;

 private:
  int listener_ = -1;
};

struct RecordingHealth final : ServerHealth {
  QueueDelta sum;
  int downs = 0;
  int failures = 0;
  int answered = 0;
  int sent = 0;
  int open = 0;
  int not_connected = 0;
  int timed_out = 0;
  int wrong_roles = 0;
  std::vector<CloseCause> closes;

  void onServerDown(uint32_t /*server*/, std::string_view /*cause*/) override { ++downs; }
  void onServerFailure(uint32_t /*server*/, std::string_view /*cause*/) override { ++failures; }
  void onServerAnswered(uint32_t /*server*/) override { ++answered; }
  void onRequestSent(uint32_t /*server*/, size_t /*bytes*/) override { ++sent; }
  void onReplyRead(uint32_t /*server*/, uint64_t /*us*/, size_t /*bytes*/) override {}
  void onConnectionOpen(uint32_t /*server*/, bool is_open) override { open += is_open ? 1 : -1; }
  void onConnectionClosed(uint32_t /*server*/, CloseCause cause) override {
    closes.push_back(cause);
  }
  void onRequestFailed(uint32_t /*server*/, RequestFailure why) override {
    ++(why == RequestFailure::kTimeout ? timed_out : not_connected);
  }
  void onWrongRole(uint32_t /*server*/) override { ++wrong_roles; }
  void onQueueChanged(uint32_t /*server*/, const QueueDelta& delta) override {
    sum.in_queue += delta.in_queue;
    sum.in_queue_bytes += delta.in_queue_bytes;
    sum.out_queue += delta.out_queue;
    sum.out_queue_bytes += delta.out_queue_bytes;
  }
};

struct RecordingTarget final : ReplyTarget {
  std::vector<std::string> replies;
  std::vector<std::string> failures;
  std::string streamed;
  bool stream = false;  // what canStream() answers
  bool stream_done = false;

  void onReply(uint32_t /*part*/, const resp::Reply& reply) override {
    replies.emplace_back(reply.raw);
  }
  void onFailure(uint32_t /*part*/, std::string_view message) override {
    failures.emplace_back(message);
  }
  bool canStream(uint32_t /*part*/) override { return stream; }
  void onReplyChunk(uint32_t /*part*/, std::string_view bytes, bool last) override {
    streamed.append(bytes);
    stream_done = last;
  }
  size_t done() const { return replies.size() + failures.size() + (stream_done ? 1 : 0); }
};

}  // namespace shardis::backend::testing
