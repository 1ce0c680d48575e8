// ServerConnection's per-request bounds and modes against a server this test plays by hand:
// a cancelled request's reply is dropped, each request has its own deadline (none for a
// blocking command), a reply with no request closes a shared connection, and a subscriber
// connection hands such replies (the server's pushes) to its sink instead.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "fake_server.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

using testing::FakeServer;
using testing::readWhileRunning;
using testing::RecordingHealth;
using testing::RecordingTarget;
using testing::runUntil;

constexpr std::string_view kGet = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
constexpr std::string_view kSubscribe = "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n";
constexpr std::string_view kSubscribed = "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
constexpr std::string_view kMessage = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";

void sendAll(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

struct RecordingSink final : PushSink {
  std::vector<std::string> pushes;
  std::vector<std::string> closed;
  void onPush(const resp::Reply& push) override { pushes.emplace_back(push.raw); }
  void onSubscriberClosed(std::string_view message) override { closed.emplace_back(message); }
};

class ConnectionModesTest : public ::testing::Test {
 protected:
  ConnectionModesTest() { settings_.timeout_ms = 300; }
  // A failed ASSERT leaves the test early: the connection is shut down here all the same.
  ~ConnectionModesTest() override {
    if (connection_) finish();
    for (int fd : fds_) ::close(fd);
  }
  ServerConnection& open() {
    connection_ = std::make_unique<ServerConnection>(loop_, server_.endpoint, settings_, health_);
    return *connection_;
  }
  // The server's end of the connection `connection` opened, once `bytes` arrived on it.
  int acceptAndRead(size_t bytes) {
    int fd = server_.accept(loop_);
    if (fd >= 0) {
      fds_.push_back(fd);
      EXPECT_EQ(readWhileRunning(loop_, fd, bytes).size(), bytes);
    }
    return fd;
  }
  void finish() {
    connection_->shutdown("ERR proxy shutting down");
    loop_.run();
    connection_.reset();
  }

  net::Loop loop_;
  FakeServer server_;
  ConnectionSettings settings_;
  RecordingHealth health_;
  std::vector<int> fds_;
  std::unique_ptr<ServerConnection> connection_;
};

TEST_F(ConnectionModesTest, CancelledRequestsReplyIsDroppedAndTheNextGetsItsOwn) {
  RecordingTarget first;
  RecordingTarget second;
  ServerConnection& connection = open();
  Ticket first_ticket;
  Ticket second_ticket;
  ASSERT_TRUE(connection.send(kGet, &first, 0, first_ticket, 300));
  ASSERT_TRUE(connection.send(kGet, &second, 0, second_ticket, 300));
  int fd = acceptAndRead(2 * kGet.size());
  ASSERT_GE(fd, 0);
  first_ticket.cancel();
  sendAll(fd, "$1\r\na\r\n$1\r\nb\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return second.done() == 1; }));
  EXPECT_EQ(first.done(), 0u);
  EXPECT_EQ(second.replies.at(0), "$1\r\nb\r\n");
  EXPECT_TRUE(health_.closes.empty());  // the dropped reply still kept the stream in step
  EXPECT_EQ(connection.inFlight(), 0u);
}

TEST_F(ConnectionModesTest, RequestWithoutDeadlineWaitsPastThePoolTimeout) {
  RecordingTarget blocked;
  ServerConnection& connection = open();
  Ticket ticket;
  ASSERT_TRUE(connection.send(kGet, &blocked, 0, ticket, 0));  // a blocking command
  int fd = acceptAndRead(kGet.size());
  ASSERT_GE(fd, 0);
  // Twice the connection's own timeout (300 ms), which bounds only its connect.
  EXPECT_FALSE(runUntil(
      loop_, [&] { return blocked.done() > 0; }, 600));
  sendAll(fd, "$1\r\nv\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return blocked.done() == 1; }));
  EXPECT_EQ(blocked.replies.at(0), "$1\r\nv\r\n");
  EXPECT_TRUE(health_.closes.empty());
}

TEST_F(ConnectionModesTest, EachRequestHasItsOwnDeadline) {
  RecordingTarget slow;
  RecordingTarget quick;
  ServerConnection& connection = open();
  Ticket ticket;
  ASSERT_TRUE(connection.send(kGet, &slow, 0, ticket, 1500));
  ASSERT_TRUE(connection.send(kGet, &quick, 0, ticket, 100));
  int fd = acceptAndRead(2 * kGet.size());
  ASSERT_GE(fd, 0);
  // The quick one is behind the slow one: it cannot time out before it does.
  EXPECT_FALSE(runUntil(
      loop_, [&] { return quick.done() > 0; }, 400));
  sendAll(fd, "$1\r\na\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return slow.done() == 1; }));
  EXPECT_EQ(slow.replies.at(0), "$1\r\na\r\n");
  // Now at the front: it times out when the one ahead of it would have (1500 ms).
  ASSERT_TRUE(runUntil(
      loop_, [&] { return quick.done() == 1; }, 3000));
  EXPECT_EQ(quick.failures.at(0), "ERR timeout waiting for server s1");
  EXPECT_EQ(health_.timed_out, 1);
  EXPECT_EQ(health_.downs, 0);
}

TEST_F(ConnectionModesTest, ReplyWithNoRequestClosesASharedConnection) {
  RecordingTarget first;
  RecordingTarget second;
  ServerConnection& connection = open();
  Ticket ticket;
  ASSERT_TRUE(connection.send(kGet, &first, 0, ticket, 300));
  int fd = acceptAndRead(kGet.size());
  ASSERT_GE(fd, 0);
  sendAll(fd, "$1\r\na\r\n");
  sendAll(fd, kMessage);  // out of step: nothing asked for it
  ASSERT_TRUE(runUntil(loop_, [&] { return !health_.closes.empty(); }));
  EXPECT_EQ(first.replies.at(0), "$1\r\na\r\n");
  EXPECT_EQ(health_.closes.at(0), CloseCause::kError);
  EXPECT_EQ(health_.failures, 0);  // the connection's fault, not the server's
  // The next request rides a new connection.
  ASSERT_TRUE(connection.send(kGet, &second, 0, ticket, 300));
  int again = acceptAndRead(kGet.size());
  ASSERT_GE(again, 0);
  sendAll(again, "$1\r\nb\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return second.done() == 1; }));
  EXPECT_EQ(second.replies.at(0), "$1\r\nb\r\n");
}

TEST_F(ConnectionModesTest, SubscriberConnectionHandsPushesToItsSink) {
  RecordingTarget subscribe;
  RecordingTarget get;
  RecordingSink sink;
  ServerConnection& connection = open();
  connection.setPushSink(&sink);
  Ticket ticket;
  ASSERT_TRUE(connection.send(kSubscribe, &subscribe, 0, ticket, 0));
  int fd = acceptAndRead(kSubscribe.size());
  ASSERT_GE(fd, 0);
  sendAll(fd, kSubscribed);
  ASSERT_TRUE(runUntil(loop_, [&] { return subscribe.done() == 1; }));
  EXPECT_EQ(subscribe.replies.at(0), kSubscribed);
  sendAll(fd, kMessage);
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.pushes.size() == 1; }));
  EXPECT_EQ(sink.pushes[0], kMessage);
  // A RESP3 push ahead of a reply is the sink's too; the reply still finds its request.
  ASSERT_TRUE(connection.send(kGet, &get, 0, ticket, 300));
  EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
  sendAll(fd, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nho\r\n$1\r\nv\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return get.done() == 1; }));
  EXPECT_EQ(get.replies.at(0), "$1\r\nv\r\n");
  ASSERT_EQ(sink.pushes.size(), 2u);
  EXPECT_EQ(sink.pushes[1], ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nho\r\n");
  EXPECT_TRUE(health_.closes.empty());
  EXPECT_TRUE(connection.connected());
  // Its subscriptions end with it: the sink is told.
  finish();
  ASSERT_EQ(sink.closed.size(), 1u);
  EXPECT_EQ(sink.closed[0], "ERR proxy shutting down");
}

}  // namespace
}  // namespace shardis::backend
