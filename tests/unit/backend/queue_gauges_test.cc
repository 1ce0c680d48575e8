// ServerConnection's in_queue/out_queue deltas against a loopback listener that this test
// answers by hand: a request waits (in_queue) until the connect completes, is then sent
// (out_queue) until its reply, and a failure takes back whatever the connection still held.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "backend/server_connection.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

struct Gauges final : ServerHealth {
  QueueDelta sum;
  void onQueueChanged(uint32_t /*server*/, const QueueDelta& delta) override {
    sum.in_queue += delta.in_queue;
    sum.in_queue_bytes += delta.in_queue_bytes;
    sum.out_queue += delta.out_queue;
    sum.out_queue_bytes += delta.out_queue_bytes;
  }
  void onServerFailure(uint32_t /*server*/, std::string_view /*cause*/) override {}
  void onServerAnswered(uint32_t /*server*/) override {}
  void onRequestSent(uint32_t /*server*/, size_t /*bytes*/) override {}
  void onReplyRead(uint32_t /*server*/, uint64_t /*us*/, size_t /*bytes*/) override {}
  void onConnectionOpen(uint32_t /*server*/, bool /*open*/) override {}
  void onConnectionClosed(uint32_t /*server*/, CloseCause /*cause*/) override {}
};

struct Target final : ReplyTarget {
  int replies = 0;
  int failures = 0;
  void onReply(uint32_t /*part*/, const resp::Reply& /*reply*/) override { ++replies; }
  void onFailure(uint32_t /*part*/, std::string_view /*message*/) override { ++failures; }
};

// Turns the loop without blocking until `done` holds (bounded: about two seconds).
bool runUntil(net::Loop& loop, const std::function<bool()>& done) {
  for (int i = 0; i < 2000 && !done(); ++i) {
    uv_run(loop.raw(), UV_RUN_NOWAIT);
    if (!done()) ::usleep(1000);
  }
  return done();
}

// Reads exactly `size` bytes from `fd` while turning the loop (which flushes the request).
std::string readWhileRunning(net::Loop& loop, int fd, size_t size) {
  std::string bytes;
  runUntil(loop, [&] {
    char buffer[256];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) bytes.append(buffer, static_cast<size_t>(n));
    return bytes.size() >= size;
  });
  return bytes;
}

class QueueGauges : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener_, 4), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    endpoint_.name = "s1";
    std::memcpy(&endpoint_.address, &address, sizeof address);
  }
  void TearDown() override {
    if (listener_ >= 0) ::close(listener_);
  }

  int listener_ = -1;
  ServerEndpoint endpoint_;
  ConnectionSettings settings_;
};

TEST_F(QueueGauges, WaitingThenSentThenAnsweredThenFailed) {
  net::Loop loop;
  Gauges health;
  Target target;
  {
    ServerConnection connection(loop, endpoint_, settings_, health);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket));
    // Not connected yet: the request waits for the connection.
    EXPECT_EQ(health.sum.in_queue, 1);
    EXPECT_EQ(health.sum.in_queue_bytes, static_cast<int64_t>(kPing.size()));
    EXPECT_EQ(health.sum.out_queue, 0);

    ASSERT_TRUE(runUntil(loop, [&] { return health.sum.out_queue == 1; }));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.in_queue_bytes, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, static_cast<int64_t>(kPing.size()));

    int server = ::accept(listener_, nullptr, nullptr);
    ASSERT_GE(server, 0);
    EXPECT_EQ(readWhileRunning(loop, server, kPing.size()), kPing);
    ASSERT_EQ(::send(server, "+PONG\r\n", 7, 0), 7);
    ASSERT_TRUE(runUntil(loop, [&] { return target.replies == 1; }));
    EXPECT_EQ(health.sum.out_queue, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, 0);

    // Connected now: two requests go straight to out_queue; the server dies with both
    // unanswered and the failure takes both back.
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket));
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.out_queue, 2);
    EXPECT_EQ(health.sum.out_queue_bytes, static_cast<int64_t>(2 * kPing.size()));
    EXPECT_EQ(readWhileRunning(loop, server, 2 * kPing.size()).size(), 2 * kPing.size());
    ::close(server);
    ASSERT_TRUE(runUntil(loop, [&] { return target.failures == 2; }));
    EXPECT_EQ(health.sum.out_queue, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, 0);
    EXPECT_EQ(health.sum.in_queue, 0);

    // Down: refused at once, nothing queued.
    EXPECT_FALSE(connection.send(kPing, &target, 0, ticket));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.out_queue, 0);
    connection.shutdown("ERR proxy shutting down");
    loop.run();
  }
}

}  // namespace
}  // namespace shardis::backend
