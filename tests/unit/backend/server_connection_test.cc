// ServerConnection against a server this test plays by hand: what a timeout, a refused
// connect and a protocol error do to the connection, to its requests and to the server's
// standing (DESIGN.md decision 12: a timeout fails the request and its connection, not the
// server).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backend/server_connection.h"
#include "fake_server.h"
#include "net/loop.h"

namespace shardis::backend {
namespace {

using testing::FakeServer;
using testing::kReplicaRole;
using testing::kRoleRequest;
using testing::readWhileRunning;
using testing::RecordingHealth;
using testing::RecordingTarget;
using testing::runUntil;

constexpr std::string_view kGet = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
// The request timeout the tests give (as a pool with `timeout: 300` does).
constexpr uint64_t kTimeoutMs = 300;

uint64_t elapsedMs(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - since)
                                   .count());
}

void sendAll(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

class ServerConnectionTest : public ::testing::Test {
 protected:
  ServerConnectionTest() { settings_.timeout_ms = 300; }
  net::Loop loop_;
  FakeServer server_;
  ConnectionSettings settings_;
  RecordingHealth health_;
};

TEST_F(ServerConnectionTest, TimeoutFailsTheConnectionNotTheServer) {
  RecordingTarget first;
  RecordingTarget second;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kGet, &first, 0, ticket, kTimeoutMs));
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
    ASSERT_TRUE(runUntil(loop_, [&] { return first.done() == 1; }));
    ASSERT_EQ(first.failures.size(), 1u);
    EXPECT_EQ(first.failures[0], "ERR timeout waiting for server s1");
    EXPECT_EQ(health_.timed_out, 1);
    EXPECT_EQ(health_.failures, 1);  // toward server_failure_limit
    EXPECT_EQ(health_.downs, 0);     // but the server is not down
    ASSERT_EQ(health_.closes.size(), 1u);
    EXPECT_EQ(health_.closes[0], CloseCause::kTimeout);

    // The next request is not refused: it connects again at once and is answered.
    ASSERT_TRUE(connection.send(kGet, &second, 0, ticket, kTimeoutMs));
    int again = server_.accept(loop_);
    ASSERT_GE(again, 0);
    EXPECT_EQ(readWhileRunning(loop_, again, kGet.size()), kGet);
    // A late reply on the old connection reaches nobody (the proxy closed it).
    (void)::send(fd, "$4\r\nlate\r\n", 10, MSG_NOSIGNAL);
    sendAll(again, "$5\r\nfresh\r\n");
    ASSERT_TRUE(runUntil(loop_, [&] { return second.done() == 1; }));
    ASSERT_EQ(second.replies.size(), 1u);
    EXPECT_EQ(second.replies[0], "$5\r\nfresh\r\n");
    EXPECT_EQ(first.done(), 1u);
    ::close(fd);
    ::close(again);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

TEST_F(ServerConnectionTest, TimeoutBoundsTheWholeStreamedReply) {
  RecordingTarget big;
  big.stream = true;
  RecordingTarget behind;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(connection.send(kGet, &big, 0, ticket, kTimeoutMs));
    ASSERT_TRUE(connection.send(kGet, &behind, 0, ticket, kTimeoutMs));
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(readWhileRunning(loop_, fd, 2 * kGet.size()).size(), 2 * kGet.size());
    // A 4 MB bulk that trickles in, 64 kB every 100 ms: each piece well within the 300 ms
    // timeout, the whole far beyond it (bounded: 20 pieces, 2 s).
    sendAll(fd, "$4194304\r\n");
    const std::string piece(size_t{64} * 1024, 'x');
    for (int i = 0; i < 20 && behind.done() == 0; ++i) {
      sendAll(fd, piece);
      runUntil(
          loop_, [&] { return behind.done() == 1; }, 100);
    }
    ASSERT_EQ(behind.failures.size(), 1u);
    EXPECT_EQ(behind.failures[0], "ERR timeout waiting for server s1");
    EXPECT_LT(elapsedMs(started), 1000u);
    EXPECT_FALSE(big.streamed.empty());
    ASSERT_EQ(big.failures.size(), 1u);  // cut: its client is told after the first pieces
    EXPECT_FALSE(big.stream_done);
    ::close(fd);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

TEST_F(ServerConnectionTest, RefusedConnectTellsRequestsTheyWereNotSent) {
  server_.closeListener();
  RecordingTarget first;
  RecordingTarget second;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kGet, &first, 0, ticket, kTimeoutMs));
    ASSERT_TRUE(runUntil(loop_, [&] { return first.done() == 1; }));
    ASSERT_EQ(first.failures.size(), 1u);
    EXPECT_EQ(first.failures[0], "ERR server s1: not connected (retrying)");
    EXPECT_EQ(connection.lastError(), "ERR server s1: not connected (retrying)");
    EXPECT_EQ(health_.downs, 1);
    EXPECT_EQ(health_.failures, 1);
    EXPECT_EQ(health_.not_connected, 1);
    EXPECT_EQ(health_.sent, 0);  // never reached the server
    EXPECT_EQ(health_.sum.in_queue, 0);

    // Down, and the backoff has not run out: a request still dials for itself.
    ASSERT_TRUE(connection.send(kGet, &second, 0, ticket, kTimeoutMs));
    ASSERT_TRUE(runUntil(loop_, [&] { return second.done() == 1; }));
    EXPECT_EQ(second.failures.at(0), "ERR server s1: not connected (retrying)");
    EXPECT_GE(health_.downs, 2);  // the pool logs the first only
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

TEST_F(ServerConnectionTest, ProtocolErrorFromTheServerStaysOnItsConnection) {
  RecordingTarget first;
  RecordingTarget second;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kGet, &first, 0, ticket, kTimeoutMs));
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
    sendAll(fd, "?garbage\r\n");
    ASSERT_TRUE(runUntil(loop_, [&] { return first.done() == 1; }));
    EXPECT_EQ(first.failures.at(0), "ERR server s1: Protocol error: invalid reply type byte '?'");
    EXPECT_EQ(health_.failures, 0);
    EXPECT_EQ(health_.downs, 0);
    ASSERT_EQ(health_.closes.size(), 1u);
    EXPECT_EQ(health_.closes[0], CloseCause::kError);

    ASSERT_TRUE(connection.send(kGet, &second, 0, ticket, kTimeoutMs));
    int again = server_.accept(loop_);
    ASSERT_GE(again, 0);
    EXPECT_EQ(readWhileRunning(loop_, again, kGet.size()), kGet);
    sendAll(again, "$-1\r\n");
    ASSERT_TRUE(runUntil(loop_, [&] { return second.done() == 1; }));
    EXPECT_EQ(second.replies.at(0), "$-1\r\n");
    ::close(fd);
    ::close(again);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

// A server that must be a master (Sentinel's) is asked ROLE before any request: a replica
// fails the connection, and the request queued behind is never written to it.
TEST_F(ServerConnectionTest, RoleCheckKeepsRequestsOffAReplica) {
  settings_.expect_master = true;
  RecordingTarget refused;
  RecordingTarget served;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kGet, &refused, 0, ticket, kTimeoutMs));
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    // Only ROLE comes; it is answered as a replica would.
    EXPECT_EQ(readWhileRunning(loop_, fd, kRoleRequest.size()), kRoleRequest);
    sendAll(fd, kReplicaRole);
    ASSERT_TRUE(runUntil(loop_, [&] { return refused.done() == 1; }));
    EXPECT_EQ(refused.failures.at(0), "ERR server s1: ROLE says slave, not master");
    EXPECT_EQ(health_.wrong_roles, 1);
    EXPECT_EQ(health_.open, 0);  // never ready
    char byte = 0;               // and the GET never reached the replica
    EXPECT_LE(::recv(fd, &byte, 1, MSG_DONTWAIT), 0);

    // A master: the request is sent after ROLE's answer.
    ASSERT_TRUE(connection.send(kGet, &served, 0, ticket, kTimeoutMs));
    int again = server_.accept(loop_);
    ASSERT_GE(again, 0);
    EXPECT_EQ(readWhileRunning(loop_, again, kRoleRequest.size()), kRoleRequest);
    sendAll(again, "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    EXPECT_EQ(readWhileRunning(loop_, again, kGet.size()), kGet);
    sendAll(again, "$1\r\nv\r\n");
    ASSERT_TRUE(runUntil(loop_, [&] { return served.done() == 1; }));
    EXPECT_EQ(served.replies.at(0), "$1\r\nv\r\n");
    EXPECT_EQ(health_.wrong_roles, 1);
    ::close(fd);
    ::close(again);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

TEST_F(ServerConnectionTest, RepliesBeyondTheClientLimitsAreNotProtocolErrors) {
  // The pool decodes replies with serverReplyLimits(); a client's array limit is 2^20.
  settings_.limits = resp::serverReplyLimits();
  settings_.timeout_ms = -1;  // however slowly this machine moves 4 MB
  RecordingTarget target;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket ticket;
    ASSERT_TRUE(connection.send(kGet, &target, 0, ticket, 0));
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(readWhileRunning(loop_, fd, kGet.size()), kGet);
    constexpr size_t kElements = (1u << 20) + 1;
    std::string reply = "*" + std::to_string(kElements) + "\r\n";
    for (size_t i = 0; i < kElements; ++i) reply += ":1\r\n";
    // More than the socket buffers hold: written from a thread while the loop reads.
    std::thread writer([&] { sendAll(fd, reply); });
    bool done = runUntil(
        loop_, [&] { return target.done() == 1; }, 5000);
    writer.join();
    ASSERT_TRUE(done);
    ASSERT_EQ(target.replies.size(), 1u);
    EXPECT_EQ(target.replies[0].size(), reply.size());
    EXPECT_EQ(health_.closes.size(), 0u);
    ::close(fd);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

// A target whose failure cancels another request, as a client session does when one failed
// part makes it give up the rest: the cancelled request must hear nothing more.
struct CancellingTarget final : ReplyTarget {
  Ticket* other = nullptr;
  std::vector<std::string> failures;
  void onReply(uint32_t /*part*/, const resp::Reply& /*reply*/) override {}
  void onFailure(uint32_t /*part*/, std::string_view message) override {
    failures.emplace_back(message);
    if (other != nullptr) other->cancel();
  }
};

TEST_F(ServerConnectionTest, CancelMadeWhileFailingIsKept) {
  CancellingTarget first;
  RecordingTarget second;
  {
    ServerConnection connection(loop_, server_.endpoint, settings_, health_);
    Ticket first_ticket;
    Ticket second_ticket;
    ASSERT_TRUE(connection.send(kGet, &first, 0, first_ticket, kTimeoutMs));
    ASSERT_TRUE(connection.send(kGet, &second, 0, second_ticket, kTimeoutMs));
    first.other = &second_ticket;
    int fd = server_.accept(loop_);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(readWhileRunning(loop_, fd, 2 * kGet.size()).size(), 2 * kGet.size());
    ::close(fd);  // the server goes away with both requests on the connection
    ASSERT_TRUE(runUntil(loop_, [&] { return first.failures.size() == 1; }));
    runUntil(
        loop_, [&] { return second.done() > 0; }, 50);
    EXPECT_EQ(second.done(), 0u) << "a request cancelled by an earlier failure was still failed";
    EXPECT_EQ(connection.inFlight(), 0u);
    connection.shutdown("ERR proxy shutting down");
    loop_.run();
  }
}

}  // namespace
}  // namespace shardis::backend
