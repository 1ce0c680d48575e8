// ServerConnection's in_queue/out_queue deltas against a loopback listener that this test
// answers by hand: a request waits (in_queue) until the connect completes, is then sent
// (out_queue) until its reply, and a failure takes back whatever the connection still held.
#include <gtest/gtest.h>

#include <string_view>

#include "backend/server_connection.h"
#include "fake_server.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

using testing::FakeServer;
using testing::readWhileRunning;
using testing::RecordingHealth;
using testing::runUntil;

constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

struct Target final : ReplyTarget {
  int replies = 0;
  int failures = 0;
  void onReply(uint32_t /*part*/, const resp::Reply& /*reply*/) override { ++replies; }
  void onFailure(uint32_t /*part*/, std::string_view /*message*/) override { ++failures; }
};

class QueueGauges : public ::testing::Test {
 protected:
  FakeServer server_;
  const ServerEndpoint& endpoint_ = server_.endpoint;
  ConnectionSettings settings_;
};

TEST_F(QueueGauges, WaitingThenSentThenAnsweredThenFailed) {
  net::Loop loop;
  RecordingHealth health;
  Target target;
  {
    ServerConnection connection(loop, endpoint_, settings_, health);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket, 0));
    // Not connected yet: the request waits for the connection.
    EXPECT_EQ(health.sum.in_queue, 1);
    EXPECT_EQ(health.sum.in_queue_bytes, static_cast<int64_t>(kPing.size()));
    EXPECT_EQ(health.sum.out_queue, 0);

    ASSERT_TRUE(runUntil(loop, [&] { return health.sum.out_queue == 1; }));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.in_queue_bytes, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, static_cast<int64_t>(kPing.size()));

    int server = server_.accept(loop);
    ASSERT_GE(server, 0);
    EXPECT_EQ(readWhileRunning(loop, server, kPing.size()), kPing);
    ASSERT_EQ(::send(server, "+PONG\r\n", 7, 0), 7);
    ASSERT_TRUE(runUntil(loop, [&] { return target.replies == 1; }));
    EXPECT_EQ(health.sum.out_queue, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, 0);

    // Connected now: two requests go straight to out_queue; the server dies with both
    // unanswered and the failure takes both back.
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket, 0));
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket, 0));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.out_queue, 2);
    EXPECT_EQ(health.sum.out_queue_bytes, static_cast<int64_t>(2 * kPing.size()));
    EXPECT_EQ(readWhileRunning(loop, server, 2 * kPing.size()).size(), 2 * kPing.size());
    ::close(server);
    ASSERT_TRUE(runUntil(loop, [&] { return target.failures == 2; }));
    EXPECT_EQ(health.sum.out_queue, 0);
    EXPECT_EQ(health.sum.out_queue_bytes, 0);
    EXPECT_EQ(health.sum.in_queue, 0);

    // Down, the next request dials again: it waits for the new connection (in_queue), and
    // a refused connect takes it back without it ever counting as sent.
    server_.closeListener();
    ASSERT_TRUE(connection.send(kPing, &target, 0, ticket, 0));
    EXPECT_EQ(health.sum.in_queue, 1);
    EXPECT_EQ(health.sum.out_queue, 0);
    ASSERT_TRUE(runUntil(loop, [&] { return target.failures == 3; }));
    EXPECT_EQ(health.sum.in_queue, 0);
    EXPECT_EQ(health.sum.in_queue_bytes, 0);
    EXPECT_EQ(health.sum.out_queue, 0);
    connection.shutdown("ERR proxy shutting down");
    loop.run();
  }
}

}  // namespace
}  // namespace shardis::backend
