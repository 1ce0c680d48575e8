// ConnectionPool's leased mode against a server this test plays by hand: a lease that ended
// cleanly leaves its connection for the next lease (no new connection per transaction), and
// one whose client left mid-way (a reply still owed) is closed, so that nothing left on it
// can reach another client; one given back with server-side state (a WATCH, a MULTI) has the
// command that undoes it sent ahead of the next holder's requests; leases are bounded per
// server, and so is the idle list. Also the subscriber connection: one per server, pushes to
// a sink.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/connection_pool.h"
#include "fake_server.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

using testing::FakeServer;
using testing::kReplicaRole;
using testing::kRoleRequest;
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

// The fixture's pool allows this many leases to its server at once.
constexpr uint32_t kMaxLeased = 20;

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
  settings.max_leased_connections = kMaxLeased;
  return settings;
}

// What the pool tells its observer about leases: the last (in use, idle) per call.
struct LeaseObserver final : ServerObserver {
  std::vector<std::pair<size_t, size_t>> leases;
  uint32_t opened = 0;
  void onRequestSent(uint32_t /*server*/, size_t /*bytes*/) override {}
  void onReplyRead(uint32_t /*server*/, uint64_t /*us*/, size_t /*bytes*/) override {}
  void onConnectionOpen(uint32_t /*server*/, bool open) override { opened += open ? 1 : 0; }
  void onConnectionClosed(uint32_t /*server*/, CloseCause /*cause*/) override {}
  void onLeasesChanged(uint32_t /*server*/, size_t in_use, size_t idle) override {
    leases.emplace_back(in_use, idle);
  }
};

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
  Lease first = pool_.lease(0, resp::Protocol::kResp2);
  ASSERT_TRUE(first);
  ServerConnection* connection = &first.connection();
  int fd = answerGet(first.connection(), -1);
  ASSERT_GE(fd, 0);
  first.release(LeaseEnd::kClean);
  EXPECT_FALSE(first);
  EXPECT_EQ(pool_.idleLeases(0), 1u);

  Lease second = pool_.lease(0, resp::Protocol::kResp2);
  EXPECT_EQ(&second.connection(), connection);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_EQ(answerGet(second.connection(), fd), fd);  // no new connection was made
  second.release(LeaseEnd::kClean);
  EXPECT_FALSE(closedByProxy(loop_, fd, 50));
}

TEST_F(ServerPoolTest, LeaseLeftMidWayIsClosed) {
  RecordingTarget target;
  Lease lease = pool_.lease(0, resp::Protocol::kResp2);
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
  Lease lease = pool_.lease(0, resp::Protocol::kResp2);
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
    Lease lease = pool_.lease(0, resp::Protocol::kResp2);
    fd = answerGet(lease.connection(), -1);
  }
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  EXPECT_TRUE(closedByProxy(loop_, fd));
}

TEST_F(ServerPoolTest, LeasesPastTheLimitAreRefusedUntilOneIsGivenBack) {
  LeaseObserver observer;
  pool_.setObserver(&observer);
  std::vector<Lease> leases;
  for (uint32_t i = 0; i < kMaxLeased; ++i) {
    leases.push_back(pool_.lease(0, resp::Protocol::kResp2));
    ASSERT_TRUE(leases.back());
  }
  EXPECT_EQ(pool_.leasesInUse(0), kMaxLeased);
  Lease refused = pool_.lease(0, resp::Protocol::kResp2);
  EXPECT_FALSE(refused);
  refused.release(LeaseEnd::kClean);  // an empty lease gives nothing back
  EXPECT_EQ(pool_.leasesInUse(0), kMaxLeased);
  // Never connected, so closed rather than kept; the slot is free all the same.
  leases.back().release(LeaseEnd::kClean);
  EXPECT_EQ(pool_.leasesInUse(0), kMaxLeased - 1);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
  Lease again = pool_.lease(0, resp::Protocol::kResp2);
  EXPECT_TRUE(again);
  EXPECT_FALSE(pool_.lease(0, resp::Protocol::kResp2));
  leases.front().release(LeaseEnd::kAbandoned);
  EXPECT_TRUE(pool_.lease(
      0, resp::Protocol::kResp2));  // dropped at once: abandoned, but the count came back
  ASSERT_FALSE(observer.leases.empty());
  EXPECT_EQ(observer.leases.back(), std::make_pair(size_t{kMaxLeased - 1}, size_t{0}));
  leases.clear();
  again.release(LeaseEnd::kAbandoned);
  EXPECT_EQ(pool_.leasesInUse(0), 0u);
  EXPECT_EQ(observer.leases.back(), std::make_pair(size_t{0}, size_t{0}));
  pool_.setObserver(nullptr);
}

// The next holder's GET reaches the server after DISCARD and UNWATCH, whose replies (the
// error DISCARD gets without a MULTI among them) are dropped without closing the connection.
TEST_F(ServerPoolTest, DiscardEndResetsTheConnectionBeforeTheNextHolder) {
  Lease first = pool_.lease(0, resp::Protocol::kResp2);
  ServerConnection* connection = &first.connection();
  int fd = answerGet(first.connection(), -1);
  ASSERT_GE(fd, 0);
  first.release(LeaseEnd::kDiscard);
  EXPECT_EQ(pool_.idleLeases(0), 1u);

  Lease second = pool_.lease(0, resp::Protocol::kResp2);
  ASSERT_EQ(&second.connection(), connection);
  RecordingTarget target;
  Ticket ticket;
  ASSERT_TRUE(second.connection().send(kGet, &target, 0, ticket, 1000));
  const std::string expected =
      std::string("*1\r\n$7\r\nDISCARD\r\n*1\r\n$7\r\nUNWATCH\r\n") + std::string(kGet);
  EXPECT_EQ(readWhileRunning(loop_, fd, expected.size()), expected);
  sendAll(fd, "-ERR DISCARD without MULTI\r\n+OK\r\n$1\r\nv\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return target.done() == 1; }));
  EXPECT_EQ(target.replies.at(0), "$1\r\nv\r\n");
  EXPECT_TRUE(second.connection().connected());
  EXPECT_EQ(second.connection().inFlight(), 0u);
  second.release(LeaseEnd::kClean);
  EXPECT_EQ(pool_.idleLeases(0), 1u);
  EXPECT_FALSE(closedByProxy(loop_, fd, 50));
}

// A client that left with a reply still owed (its ticket cancelled) and a WATCH set: the
// owed reply and UNWATCH's are both dropped, and the next holder gets its own.
TEST_F(ServerPoolTest, UnwatchEndQueuesBehindARepliesStillOwed) {
  Lease first = pool_.lease(0, resp::Protocol::kResp2);
  int fd = answerGet(first.connection(), -1);
  ASSERT_GE(fd, 0);
  RecordingTarget gone;
  Ticket gone_ticket;
  ASSERT_TRUE(first.connection().send(kGet, &gone, 0, gone_ticket, 1000));
  gone_ticket.cancel();
  first.release(LeaseEnd::kUnwatch);
  ASSERT_EQ(pool_.idleLeases(0), 1u);

  Lease second = pool_.lease(0, resp::Protocol::kResp2);
  RecordingTarget target;
  Ticket ticket;
  ASSERT_TRUE(second.connection().send(kGet, &target, 0, ticket, 1000));
  const std::string expected = std::string(kGet) + "*1\r\n$7\r\nUNWATCH\r\n" + std::string(kGet);
  EXPECT_EQ(readWhileRunning(loop_, fd, expected.size()), expected);
  sendAll(fd, "$1\r\na\r\n+OK\r\n$1\r\nb\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return target.done() == 1; }));
  EXPECT_EQ(target.replies.at(0), "$1\r\nb\r\n");
  EXPECT_EQ(gone.done(), 0u);
  second.release(LeaseEnd::kClean);
  EXPECT_EQ(pool_.idleLeases(0), 1u);
}

TEST_F(ServerPoolTest, ResetEndOfAConnectionNeverMadeClosesIt) {
  Lease lease = pool_.lease(0, resp::Protocol::kResp2);
  lease.release(LeaseEnd::kDiscard);
  EXPECT_EQ(pool_.idleLeases(0), 0u);
}

// After a burst of kMaxLeased leases at once every connection is kept (the next burst needs
// them); after two windows of one lease at a time, only the floor is.
TEST_F(ServerPoolTest, IdleListShrinksToRecentUseAfterABurst) {
  std::vector<Lease> leases;
  std::vector<int> fds;
  for (uint32_t i = 0; i < kMaxLeased; ++i) {
    leases.push_back(pool_.lease(0, resp::Protocol::kResp2));
    leases.back().connection().connect();
  }
  // The fake server's backlog is short: accept while the connections complete.
  ASSERT_TRUE(runUntil(loop_, [&] {
    int fd = ::accept(server_.listenerFd(), nullptr, nullptr);
    if (fd >= 0) {
      fds.push_back(fd);
      fds_.push_back(fd);
    }
    for (Lease& lease : leases) {
      if (!lease.connection().connected()) return false;
    }
    return true;
  }));
  for (Lease& lease : leases) lease.release(LeaseEnd::kClean);
  EXPECT_EQ(pool_.idleLeases(0), kMaxLeased);
  for (uint32_t i = 0; i < 2 * ConnectionPool::kIdleWindow; ++i) {
    Lease lease = pool_.lease(0, resp::Protocol::kResp2);
    ASSERT_TRUE(lease.connection().connected());
    lease.release(LeaseEnd::kClean);
  }
  EXPECT_EQ(pool_.idleLeases(0), ConnectionPool::kIdleFloor);
  // Everything accepted so far is counted; the closed ones are the burst's excess.
  while (fds.size() < kMaxLeased) {
    int fd = accept();
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  size_t closed = 0;
  runUntil(loop_, [&] {
    closed = 0;
    for (int fd : fds) {
      char byte = 0;
      if (::recv(fd, &byte, 1, MSG_DONTWAIT) == 0) ++closed;
    }
    return closed == kMaxLeased - ConnectionPool::kIdleFloor;
  });
  EXPECT_EQ(closed, kMaxLeased - ConnectionPool::kIdleFloor);
}

struct CountingSink final : PushSink {
  std::vector<std::string> pushes;
  std::vector<std::string> closes;
  void onPush(const resp::Reply& push) override { pushes.emplace_back(push.raw); }
  void onSubscriberClosed(std::string_view message) override { closes.emplace_back(message); }
};

// A connection that finds a replica where a master was expected is told to the handler whether
// or not anybody counts (no observer here, as with --stats off): the proxy asks Sentinel again.
TEST_F(ServerPoolTest, WrongRoleIsToldWithoutAnObserver) {
  PoolSettings settings = settingsFor(server_);
  settings.servers[0].expect_master = true;
  ConnectionPool pool(loop_, settings);
  std::vector<uint32_t> told;
  pool.setWrongRoleHandler([&told](uint32_t server) { told.push_back(server); });
  RecordingTarget target;
  Ticket ticket;
  ASSERT_TRUE(
      pool.connectionFor(0, 1, resp::Protocol::kResp2).send(kGet, &target, 0, ticket, 1000));
  int fd = accept();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop_, fd, kRoleRequest.size()), kRoleRequest);
  sendAll(fd, kReplicaRole);
  ASSERT_TRUE(runUntil(loop_, [&] { return target.done() == 1; }));
  EXPECT_EQ(told, std::vector<uint32_t>{0});
  pool.shutdown();
  loop_.run();
}

// SUBSCRIBE and the rest are sent with no request waiting: the connection dials for them, and
// every frame the server answers with goes to the sink, confirmations too.
TEST_F(ServerPoolTest, SendPushedConnectsAndItsAnswersArePushes) {
  CountingSink sink;
  ServerConnection& subscriber = pool_.subscriber(0, sink);
  const std::string subscribe = "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n";
  ASSERT_TRUE(subscriber.sendPushed(subscribe));
  EXPECT_EQ(subscriber.inFlight(), 0u);
  int fd = accept();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop_, fd, subscribe.size()), subscribe);
  sendAll(fd, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  sendAll(fd, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.pushes.size() == 2; }));
  EXPECT_EQ(sink.pushes[0], "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  // The server going away is the sink's to hear, once.
  ::shutdown(fd, SHUT_RDWR);
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.closes.size() == 1; }));
  EXPECT_NE(sink.closes[0].find("server"), std::string::npos) << sink.closes[0];
  pool_.shutdown();
  loop_.run();
}

TEST_F(ServerPoolTest, OneSubscriberConnectionPerServer) {
  CountingSink sink;
  ServerConnection& subscriber = pool_.subscriber(0, sink);
  EXPECT_EQ(&pool_.subscriber(0, sink), &subscriber);
  EXPECT_NE(&subscriber, &pool_.connectionFor(0, 0, resp::Protocol::kResp2));
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
