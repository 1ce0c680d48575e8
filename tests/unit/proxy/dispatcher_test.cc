// The Dispatcher and its ClientSession against a fake backend pool (the ServerPool seam,
// PoolRuntime::replaceServerPool): real ServerConnections to loopback servers that the test
// answers by hand, one per server, and a client on a socketpair (as fuzz/session_fuzz.cc makes
// a session without a listener). What is checked is what each server receives and what the
// client gets back: where a request goes, how a split one is cut and merged, and that a
// refused or local command reaches no server.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../backend/fake_server.h"
#include "backend/server_connection.h"
#include "backend/server_pool.h"
#include "config/config.h"
#include "hash/ring.h"
#include "proxy/client_session.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace shardis::proxy {
namespace {

using backend::testing::FakeServer;
using backend::testing::readWhileRunning;
using backend::testing::RecordingHealth;
using backend::testing::runUntil;

// The config's addresses are never dialled: every request goes to the fake pool.
constexpr std::string_view kConfig = R"(pool:
  listen: 127.0.0.1:6399
  hash: fnv1a_64
  distribution: ketama
  timeout: 2000
  servers:
    - 127.0.0.1:1:1 s1
    - 127.0.0.1:2:1 s2
)";

// One loopback FakeServer per server of the config, and one shared ServerConnection to each,
// made on the first connectionFor(). Counts what the dispatcher asks of it.
class FakeServerPool final : public backend::ServerPool {
 public:
  FakeServerPool(net::Loop& loop, const config::Pool& pool) : loop_(loop) {
    for (uint32_t s = 0; s < pool.servers.size(); ++s) {
      servers_.push_back(std::make_unique<FakeServer>());
      servers_.back()->endpoint.name = pool.servers[s].name;
      servers_.back()->endpoint.index = s;
      connections_.emplace_back();
      asked.push_back(0);
      leased.push_back(0);
    }
    settings_.timeout_ms = 2000;
  }
  ~FakeServerPool() override { shutdown(); }
  FakeServerPool(const FakeServerPool&) = delete;
  FakeServerPool& operator=(const FakeServerPool&) = delete;

  FakeServer& server(uint32_t s) { return *servers_[s]; }

  [[nodiscard]] size_t serverCount() const override { return servers_.size(); }
  [[nodiscard]] const std::string& serverName(uint32_t server) const override {
    return servers_[server]->endpoint.name;
  }
  // The fake servers speak RESP2 only: the protocol is not looked at.
  backend::ServerConnection& connectionFor(uint32_t server, uint64_t /*client_id*/,
                                           resp::Protocol /*protocol*/) override {
    ++asked[server];
    auto& connection = connections_[server];
    if (!connection) {
      connection = std::make_unique<backend::ServerConnection>(loop_, servers_[server]->endpoint,
                                                               settings_, health_);
    }
    return *connection;
  }
  // A new connection per lease, kept (not reused) once given back, so a test sees each.
  backend::Lease lease(uint32_t server, resp::Protocol /*protocol*/) override {
    ++leased[server];
    return backend::Lease(*this, server,
                          std::make_unique<backend::ServerConnection>(
                              loop_, servers_[server]->endpoint, settings_, health_));
  }
  void giveBack(uint32_t /*server*/, std::unique_ptr<backend::ServerConnection> connection,
                backend::LeaseEnd end) override {
    given_back.push_back(end);
    returned_.push_back(std::move(connection));
  }
  backend::ServerConnection& subscriber(uint32_t server, backend::PushSink& /*sink*/) override {
    ADD_FAILURE() << "subscriber(" << server << ") asked";
    return connectionFor(server, 0, resp::Protocol::kResp2);
  }
  void probe(uint32_t /*server*/) override {}
  void preconnect() override {}
  [[nodiscard]] size_t inFlight() const override {
    size_t total = 0;
    for (const auto& connection : connections_) total += connection ? connection->inFlight() : 0;
    return total;
  }
  void shutdown() override {
    for (auto& connection : connections_) {
      if (connection) connection->shutdown("ERR proxy shutting down");
    }
    for (auto& connection : returned_) connection->shutdown("ERR proxy shutting down");
  }

  std::vector<int> asked;   // connectionFor() calls per server
  std::vector<int> leased;  // lease() calls per server
  std::vector<backend::LeaseEnd> given_back;

 private:
  net::Loop& loop_;
  backend::ConnectionSettings settings_;
  RecordingHealth health_;
  std::vector<std::unique_ptr<FakeServer>> servers_;
  std::vector<std::unique_ptr<backend::ServerConnection>> connections_;
  std::vector<std::unique_ptr<backend::ServerConnection>> returned_;
};

// Takes a retired session out of the registry, as the Worker does; the test frees it.
class Owner final : public SessionOwner {
 public:
  explicit Owner(SharedState& shared) : shared_(shared) {}
  void retire(ClientSession& session) override { shared_.registry.remove(session.id()); }

 private:
  SharedState& shared_;
};

std::string multibulk(const std::vector<std::string_view>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (std::string_view arg : argv) {
    out += "$" + std::to_string(arg.size()) + "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    runtime_.replaceServerPool(fake_);
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends_), 0);
    session_ = std::make_unique<ClientSession>(loop(), net::Stream::Kind::kUnix, 1, runtime_,
                                               shared_, owner_);
    EXPECT_EQ(session_->stream().open(ends_[0]), 0);
    session_->start();
  }
  ~DispatcherTest() override {
    session_->close();
    session_.reset();
    ::close(ends_[1]);
    for (int fd : accepted_) ::close(fd);
    fake_.shutdown();
    for (int i = 0; i < 5; ++i) uv_run(loop().raw(), UV_RUN_NOWAIT);
  }

  net::Loop& loop() { return worker_.loop(); }

  // A key that the ring places on `server`.
  std::string keyOn(uint32_t server) {
    for (int i = 0; i < 1000; ++i) {
      std::string key = "key:" + std::to_string(i);
      if (runtime_.locate(key) != server || std::ranges::find(used_, key) != used_.end()) {
        continue;
      }
      used_.push_back(key);
      return key;
    }
    ADD_FAILURE() << "no key on server " << server;
    return {};
  }

  void clientSends(std::string_view bytes) {
    ASSERT_EQ(::send(ends_[1], bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // What the client reads, once it has `size` bytes (or about two seconds passed).
  std::string clientReads(size_t size) { return readWhileRunning(loop(), ends_[1], size); }

  // The connection the proxy made to `server` (accepted once), -1 if none came.
  int serverSide(uint32_t server) {
    int fd = fake_.server(server).accept(loop());
    if (fd >= 0) accepted_.push_back(fd);
    return fd;
  }
  static void serverReplies(int fd, std::string_view bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  config::Config config_ = config::loadString(kConfig, "dispatcher_test.yml");
  SharedState shared_{config_};
  Worker worker_{0, shared_, TopologyOwner(config_).current(), nullptr};
  PoolRuntime& runtime_ = worker_.pool(0);
  FakeServerPool fake_{worker_.loop(), config_.pools[0]};
  Owner owner_{shared_};
  int ends_[2] = {-1, -1};  // [0]: the session's (libuv closes it), [1]: the client's
  std::unique_ptr<ClientSession> session_;
  std::vector<int> accepted_;
  std::vector<std::string> used_;  // keyOn() gives a different key each call
};

TEST_F(DispatcherTest, SingleKeyCommandGoesAsItsOriginalBytesToTheServerTheRingPicks) {
  for (uint32_t server : {0u, 1u}) {
    std::string key = keyOn(server);
    // Lower case, as the client wrote it: the server gets the very bytes.
    std::string get = multibulk({"get", key});
    clientSends(get);
    int fd = serverSide(server);
    ASSERT_GE(fd, 0) << "no connection to server " << server;
    EXPECT_EQ(readWhileRunning(loop(), fd, get.size()), get);
    serverReplies(fd, "$5\r\nvalue\r\n");
    EXPECT_EQ(clientReads(11), "$5\r\nvalue\r\n");
    EXPECT_EQ(fake_.asked[server], 1);
    EXPECT_EQ(fake_.asked[1 - server], server == 0 ? 0 : 1);
  }
}

TEST_F(DispatcherTest, MgetOverTwoServersIsOneSubCommandPerServerMergedInKeyOrder) {
  std::string a = keyOn(0);
  std::string b = keyOn(1);
  std::string c = keyOn(0);
  clientSends(multibulk({"MGET", a, b, c}));
  int first = serverSide(0);
  int second = serverSide(1);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  std::string to_first = multibulk({"MGET", a, c});
  std::string to_second = multibulk({"MGET", b});
  EXPECT_EQ(readWhileRunning(loop(), first, to_first.size()), to_first);
  EXPECT_EQ(readWhileRunning(loop(), second, to_second.size()), to_second);
  // The second server answers first; the client still gets a, b, c in its order.
  serverReplies(second, "*1\r\n$2\r\nvb\r\n");
  serverReplies(first, "*2\r\n$2\r\nva\r\n$-1\r\n");
  const std::string merged = "*3\r\n$2\r\nva\r\n$2\r\nvb\r\n$-1\r\n";
  EXPECT_EQ(clientReads(merged.size()), merged);
  EXPECT_EQ(fake_.asked[0], 1);
  EXPECT_EQ(fake_.asked[1], 1);
}

TEST_F(DispatcherTest, RefusedCommandReachesNoServerAndGetsTheError) {
  std::string key = keyOn(0);
  clientSends("*1\r\n$7\r\nMONITOR\r\n");
  const std::string refused = "-ERR 'monitor' is not supported by this proxy\r\n";
  EXPECT_EQ(clientReads(refused.size()), refused);
  clientSends("*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n");
  // Redis's own wording for an unknown command.
  const std::string unknown = "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n";
  EXPECT_EQ(clientReads(unknown.size()), unknown);
  EXPECT_EQ(fake_.asked[0] + fake_.asked[1], 0);
  // The first thing the server ever receives is the GET sent after them.
  std::string get = multibulk({"GET", key});
  clientSends(get);
  int fd = serverSide(0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop(), fd, get.size()), get);
  serverReplies(fd, "$-1\r\n");
  EXPECT_EQ(clientReads(5), "$-1\r\n");
  EXPECT_EQ(fake_.asked[0], 1);
  EXPECT_EQ(fake_.asked[1], 0);
}

TEST_F(DispatcherTest, LocalCommandIsAnsweredWithoutAnyServer) {
  clientSends("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
  EXPECT_EQ(clientReads(15), "+PONG\r\n$2\r\nhi\r\n");
  EXPECT_EQ(fake_.asked[0] + fake_.asked[1], 0);
  EXPECT_EQ(fake_.inFlight(), 0u);
}

TEST_F(DispatcherTest, ServerThatCannotBeReachedGivesTheClientNotConnected) {
  fake_.server(1).closeListener();  // its port now refuses connections
  std::string key = keyOn(1);
  clientSends(multibulk({"GET", key}));
  const std::string error = "-ERR server s2: not connected (retrying)\r\n";
  EXPECT_EQ(clientReads(error.size()), error);
  EXPECT_EQ(fake_.asked[1], 1);
  EXPECT_EQ(fake_.inFlight(), 0u);
}

TEST_F(DispatcherTest, SplitCommandWithOneServerDownGetsThatServersError) {
  fake_.server(1).closeListener();
  std::string a = keyOn(0);
  std::string b = keyOn(1);
  clientSends(multibulk({"MGET", a, b}));
  int fd = serverSide(0);
  ASSERT_GE(fd, 0);
  std::string part = multibulk({"MGET", a});
  EXPECT_EQ(readWhileRunning(loop(), fd, part.size()), part);
  serverReplies(fd, "*1\r\n$2\r\nva\r\n");
  const std::string error = "-ERR server s2: not connected (retrying)\r\n";
  EXPECT_EQ(clientReads(error.size()), error);
  ASSERT_TRUE(runUntil(loop(), [&] { return fake_.inFlight() == 0; }));
}

}  // namespace
}  // namespace shardis::proxy

namespace shardis::proxy {
namespace {

// What arrives on `fd` while the loop turns for `ms` milliseconds (to show nothing does).
std::string arrivesWithin(net::Loop& loop, int fd, int ms) {
  std::string bytes;
  runUntil(
      loop,
      [&] {
        char buffer[256];
        ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) bytes.append(buffer, static_cast<size_t>(n));
        return false;
      },
      ms);
  return bytes;
}

// EXEC runs on a leased connection, which has no order with the client's shared ones: it goes
// out only once the client's earlier reply is in, and the request after it only once EXEC's
// reply is, as one Redis connection orders them.
TEST_F(DispatcherTest, ExecWaitsForEarlierRepliesAndHoldsLaterRequests) {
  std::string a = keyOn(0);
  std::string b = keyOn(1);
  std::string get_a = multibulk({"GET", a});
  std::string set_a = multibulk({"SET", a, "v"});
  std::string get_b = multibulk({"GET", b});
  clientSends(get_a + multibulk({"MULTI"}) + set_a + multibulk({"EXEC"}) + get_b);
  int shared = serverSide(0);
  ASSERT_GE(shared, 0);
  EXPECT_EQ(readWhileRunning(loop(), shared, get_a.size()), get_a);
  EXPECT_EQ(arrivesWithin(loop(), ends_[1], 200), "");  // nothing before GET's reply
  EXPECT_EQ(fake_.leased[0], 0);
  serverReplies(shared, "$-1\r\n");
  EXPECT_EQ(clientReads(5 + 5 + 9), "$-1\r\n+OK\r\n+QUEUED\r\n");
  int leased = serverSide(0);
  ASSERT_GE(leased, 0);
  const std::string to_lease = multibulk({"MULTI"}) + set_a + multibulk({"EXEC"});
  EXPECT_EQ(readWhileRunning(loop(), leased, to_lease.size()), to_lease);
  EXPECT_EQ(fake_.asked[1], 0);  // GET b waits for EXEC's reply
  serverReplies(leased, "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
  EXPECT_EQ(clientReads(9), "*1\r\n+OK\r\n");
  int other = serverSide(1);
  ASSERT_GE(other, 0);
  EXPECT_EQ(readWhileRunning(loop(), other, get_b.size()), get_b);
  ASSERT_EQ(fake_.given_back.size(), 1u);
  EXPECT_EQ(fake_.given_back[0], backend::LeaseEnd::kClean);
}

// Across servers EXEC is sent only once every server has queued its part, and the client's
// array follows its command order whichever server answers first.
TEST_F(DispatcherTest, CrossServerExecQueuesEverywhereFirstThenExecsInCommandOrder) {
  std::string a = keyOn(0);
  std::string b = keyOn(1);
  std::string get_b = multibulk({"GET", b});
  std::string incr_a = multibulk({"INCR", a});
  clientSends(multibulk({"MULTI"}) + get_b + incr_a + multibulk({"EXEC"}));
  EXPECT_EQ(clientReads(5 + 9 + 9), "+OK\r\n+QUEUED\r\n+QUEUED\r\n");
  int first = serverSide(1);  // GET b was queued first: server 1 is leased first
  int second = serverSide(0);
  ASSERT_GE(first, 0);
  ASSERT_GE(second, 0);
  const std::string multi = multibulk({"MULTI"});
  EXPECT_EQ(readWhileRunning(loop(), first, multi.size() + get_b.size()), multi + get_b);
  EXPECT_EQ(readWhileRunning(loop(), second, multi.size() + incr_a.size()), multi + incr_a);
  serverReplies(second, "+OK\r\n+QUEUED\r\n");
  const std::string exec = multibulk({"EXEC"});
  EXPECT_EQ(arrivesWithin(loop(), second, 200), "");  // the other server has not queued
  serverReplies(first, "+OK\r\n+QUEUED\r\n");
  EXPECT_EQ(readWhileRunning(loop(), first, exec.size()), exec);
  EXPECT_EQ(readWhileRunning(loop(), second, exec.size()), exec);
  serverReplies(second, "*1\r\n:7\r\n");
  serverReplies(first, "*1\r\n$2\r\nvb\r\n");
  const std::string reply = "*2\r\n$2\r\nvb\r\n:7\r\n";
  EXPECT_EQ(clientReads(reply.size()), reply);
  EXPECT_EQ(fake_.given_back.size(), 2u);
}

// A topology switch is reported done only once the PUBLISHes routed before it are answered
// (publish_fence.h): the next step leaves the channels' old homes, which such a PUBLISH may
// not have reached yet. One sent after the switch belongs to the next change.
TEST_F(DispatcherTest, SwitchIsDrainedOnceThePublishesRoutedBeforeItAreAnswered) {
  const std::string before = multibulk({"PUBLISH", "news", "before"});
  const std::string after = multibulk({"PUBLISH", "news", "after"});
  clientSends(before);
  int fd = serverSide(runtime_.ring.home("news"));
  ASSERT_GE(fd, 0);
  EXPECT_EQ(readWhileRunning(loop(), fd, before.size()), before);
  auto topology = [this] { return TopologyOwner(config_).current()[0]; };
  bool first_drained = false;
  runtime_.apply(topology(), [&first_drained] { first_drained = true; });
  EXPECT_FALSE(first_drained);
  clientSends(after);
  EXPECT_EQ(readWhileRunning(loop(), fd, after.size()), after);
  serverReplies(fd, ":0\r\n");
  EXPECT_EQ(clientReads(4), ":0\r\n");
  EXPECT_TRUE(first_drained);  // the PUBLISH sent after the switch does not hold it
  bool second_drained = false;
  runtime_.apply(topology(), [&second_drained] { second_drained = true; });
  EXPECT_FALSE(second_drained);
  serverReplies(fd, ":0\r\n");
  EXPECT_EQ(clientReads(4), ":0\r\n");
  EXPECT_TRUE(second_drained);
  bool idle_drained = false;
  runtime_.apply(topology(), [&idle_drained] { idle_drained = true; });
  EXPECT_TRUE(idle_drained);  // nothing in flight: at once
}

}  // namespace
}  // namespace shardis::proxy
