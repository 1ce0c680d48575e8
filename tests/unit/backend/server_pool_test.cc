// ConnectionPool's leased mode against a server this test plays by hand: a lease that ended
// cleanly leaves its connection for the next lease (no new connection per transaction), and
// one whose client left mid-way (a reply still owed) is closed, so that nothing left on it
// can reach another client. Also the subscriber connection: one per server, pushes to a sink.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "backend/connection_pool.h"
#include "fake_server.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

using testing::FakeServer;
using testing::readWhileRunning;
using testing::RecordingTarget;
using testing::runUntil;

constexpr std::string_view kGet = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

void sendAll(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

// Whether the proxy closed its end of `fd` (turning the loop meanwhile, about `ms` ms).
bool closedByProxy(net::Loop& loop, int fd, int ms = 2000) {
  return runUntil(
      loop,
      [&] {
        char byte = 0;
        return ::recv(fd, &byte, 1, MSG_DONTWAIT) == 0;
      },
      ms);
}

PoolSettings settingsFor(const FakeServer& server) {
  sockaddr_in address{};
  std::memcpy(&address, &server.endpoint.address, sizeof address);
  ServerSpec spec;
  spec.name = "s1";
  spec.host = "127.0.0.1";
  spec.port = ntohs(address.sin_port);
  PoolSettings settings;
  settings.servers.push_back(spec);
  settings.connect_timeout_ms = 1000;
  return settings;
}

class ServerPoolTest : public ::testing::Test {
 protected:
  ~ServerPoolTest() override {
    pool_.shutdown();
    loop_.run();
    for (int fd : fds_) ::close(fd);
  }
  int accept() {
    int fd = server_.accept(loop_);
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }
  // Sends GET on `connection`, plays the server's side on `fd` (accepting it first if -1) and
  // returns the server's end.
  int answerGet(ServerConnection& connection, int fd) {
    RecordingTarget target;
    Ticket ticket;
    EXPECT_TRUE(connection.send(kGet, &target, 0, ticket, 1000));
    if (fd < 0) fd = accept();
    if (fd < 0) return fd;
    EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
    sendAll(fd, "$1\r\nv\r\n");
    EXPECT_TRUE(runUntil(loop_, [&] { return target.done() == 1; }));
    EXPECT_EQ(target.replies.at(0), "$1\r\nv\r\n");
    return fd;
  }

  net::Loop loop_;
  FakeServer server_;
  ConnectionPool pool_{loop_, settingsFor(server_)};
  std::vector<int> fds_;
};

TEST_F(ServerPoolTest, CleanlyEndedLeaseServesTheNextOneOnTheSameConnection) {
  Lease first = pool_.lease(0);
  ASSERT_TRUE(first);
  ServerConnection* connection = &first.connection();
  int fd = answerGet(first.connection(), -1);
  ASSERT_GE(fd, 0);
  first.release(LeaseEnd::kClean);
  EXPECT_FALSE(first);
  EXPECT_EQ(pool_.idleLeases(0), 1u);

  Lease second = pool_.lease(0);
  EXPECT_EQ(&second.connection(), connection);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_EQ(answerGet(second.connection(), fd), fd);  // no new connection was made
  second.release(LeaseEnd::kClean);
  EXPECT_FALSE(closedByProxy(loop_, fd, 50));
}

TEST_F(ServerPoolTest, LeaseLeftMidWayIsClosed) {
  RecordingTarget target;
  Lease lease = pool_.lease(0);
  Ticket ticket;
  ASSERT_TRUE(lease.connection().send(kGet, &target, 0, ticket, 1000));
  int fd = accept();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
  ticket.cancel();  // the client went away before its reply
  lease.release(LeaseEnd::kAbandoned);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_TRUE(closedByProxy(loop_, fd));
  EXPECT_EQ(target.done(), 0u);
}

TEST_F(ServerPoolTest, CleanEndWithAReplyStillOwedClosesTheConnection) {
  RecordingTarget target;
  Lease lease = pool_.lease(0);
  Ticket ticket;
  ASSERT_TRUE(lease.connection().send(kGet, &target, 0, ticket, 1000));
  int fd = accept();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
  ticket.cancel();
  lease.release(LeaseEnd::kClean);  // the holder thought so, but the reply is still to come
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_TRUE(closedByProxy(loop_, fd));
}

TEST_F(ServerPoolTest, DroppedLeaseIsAbandoned) {
  int fd = -1;
  {
    Lease lease = pool_.lease(0);
    fd = answerGet(lease.connection(), -1);
  }
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_TRUE(closedByProxy(loop_, fd));
}

struct CountingSink final : PushSink {
  std::vector<std::string> pushes;
  void onPush(const resp::Reply& push) override { pushes.emplace_back(push.raw); }
  void onSubscriberClosed(std::string_view /*message*/) override {}
};

TEST_F(ServerPoolTest, OneSubscriberConnectionPerServer) {
  CountingSink sink;
  ServerConnection& subscriber = pool_.subscriber(0, sink);
  EXPECT_EQ(&pool_.subscriber(0, sink), &subscriber);
  EXPECT_NE(&subscriber, &pool_.connectionFor(0, 0));
  int fd = answerGet(subscriber, -1);
  ASSERT_GE(fd, 0);
  sendAll(fd, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.pushes.size() == 1; }));
  EXPECT_TRUE(subscriber.connected());
  pool_.shutdown();  // while the sink, which hears of it, is still there
  loop_.run();
}

}  // namespace
}  // namespace shardis::backend
