// PoolRing's ejection rule against a fake backend pool (the ServerPool seam): a server that
// fails server_failure_limit times in a row leaves the ring, is probed meanwhile, and returns
// once server_retry_timeout has passed and it answered since its last failure.
#include "proxy/pool_ring.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hash/ring.h"
#include "net/loop.h"

namespace shardis::proxy {
namespace {

// Knows its servers' names and counts probes; the ring never asks it for a connection.
class FakePool final : public backend::ServerPool {
 public:
  explicit FakePool(const config::Pool& pool) : probes(pool.servers.size()) {
    for (const auto& server : pool.servers) names_.push_back(server.name);
  }
  size_t serverCount() const override { return names_.size(); }
  const std::string& serverName(uint32_t server) const override { return names_[server]; }
  backend::ServerConnection& connectionFor(uint32_t /*server*/, uint64_t /*client*/,
                                           resp::Protocol /*protocol*/) override {
    ADD_FAILURE() << "the ring asked for a connection";
    std::abort();
  }
  backend::Lease lease(uint32_t /*server*/, resp::Protocol /*protocol*/) override { return {}; }
  void giveBack(uint32_t /*server*/, std::unique_ptr<backend::ServerConnection> /*connection*/,
                backend::LeaseEnd /*end*/) override {}
  backend::ServerConnection& subscriber(uint32_t server, backend::PushSink& /*sink*/) override {
    return connectionFor(server, 0, resp::Protocol::kResp2);
  }
  void probe(uint32_t server) override { ++probes[server]; }
  void preconnect() override {}
  size_t inFlight() const override { return 0; }
  void shutdown() override {}

  std::vector<int> probes;

 private:
  std::vector<std::string> names_;
};

struct RecordingEjections final : EjectionObserver {
  std::vector<std::pair<uint32_t, bool>> events;
  int decided_here = 0;
  void onEjected(uint32_t server, bool ejected, bool here) override {
    events.emplace_back(server, ejected);
    decided_here += here ? 1 : 0;
  }
};

bool runUntil(net::Loop& loop, const std::function<bool()>& done, int ms) {
  for (int i = 0; i < ms && !done(); ++i) {
    uv_run(loop.raw(), UV_RUN_NOWAIT);
    if (!done()) ::usleep(1000);
  }
  return done();
}

config::Pool makePool() {
  config::Pool pool;
  pool.name = "alpha";
  pool.auto_eject_hosts = true;
  pool.server_failure_limit = 2;
  pool.server_retry_timeout_ms = 150;
  for (const char* name : {"s1", "s2", "s3"}) {
    config::Server server;
    server.name = name;
    pool.servers.push_back(server);
  }
  return pool;
}

class PoolRingTest : public ::testing::Test {
 protected:
  PoolRingTest() { ring_.setObserver(&ejections_); }
  ~PoolRingTest() override {
    ring_.shutdown();
    loop_.run();
  }
  static std::shared_ptr<const PoolTopology> topologyOf(const config::Pool& pool) {
    config::Config config;
    config.pools.push_back(pool);
    return TopologyOwner(config).current()[0];
  }
  // How many of 1000 keys the ring places on `server`.
  int keysOn(uint32_t server) const {
    int count = 0;
    for (int i = 0; i < 1000; ++i) count += ring_.locate("key:" + std::to_string(i)) == server;
    return count;
  }

  net::Loop loop_;
  config::Pool pool_ = makePool();
  FakePool servers_{pool_};
  PoolRing ring_{loop_, topologyOf(pool_), servers_};
  RecordingEjections ejections_;
};

TEST_F(PoolRingTest, EjectedAfterTheFailureLimitAndReturnedWhenItAnswersAfterTheRetryTime) {
  ASSERT_GT(keysOn(1), 0);
  ring_.onServerFailure(1, "Connection refused", 1);
  EXPECT_GT(keysOn(1), 0);  // one failure is not enough
  ring_.onServerFailure(1, "Connection refused", 2);
  EXPECT_EQ(keysOn(1), 0);
  ASSERT_EQ(ejections_.events.size(), 1u);
  EXPECT_EQ(ejections_.events[0], std::make_pair(1u, true));
  // It answers at once, but stays out until server_retry_timeout has passed.
  ring_.onServerRecovered(1);
  EXPECT_EQ(keysOn(1), 0);
  ASSERT_TRUE(runUntil(
      loop_, [&] { return ejections_.events.size() == 2; }, 2000));
  EXPECT_EQ(ejections_.events[1], std::make_pair(1u, false));
  EXPECT_GT(keysOn(1), 0);
}

TEST_F(PoolRingTest, ServerThatDoesNotAnswerStaysOutAndIsProbed) {
  ring_.onServerFailure(2, "Connection refused", 2);
  ASSERT_EQ(keysOn(2), 0);
  // Three times server_retry_timeout without an answer: still out, probed all along.
  runUntil(
      loop_, [] { return false; }, 450);
  EXPECT_EQ(keysOn(2), 0);
  EXPECT_GE(servers_.probes[2], 2);
  EXPECT_EQ(servers_.probes[0], 0);
  ring_.onServerFailure(2, "Connection refused", 3);  // a probe failed: no effect while out
  ring_.onServerRecovered(2);                         // past the retry time: back at once
  EXPECT_GT(keysOn(2), 0);
  ASSERT_EQ(ejections_.events.size(), 2u);
}

TEST_F(PoolRingTest, NothingIsEjectedWithoutAutoEjectHosts) {
  pool_.auto_eject_hosts = false;
  ring_.apply(topologyOf(pool_));
  ring_.onServerFailure(0, "Connection refused", 10);
  EXPECT_GT(keysOn(0), 0);
  EXPECT_TRUE(ejections_.events.empty());
}

// Two workers share the pool's board: one's ejection takes the server out of the other's
// ring too (counted once, by the one that decided), and one's return brings it back to both.
TEST_F(PoolRingTest, EjectionIsOneDecisionForEveryWorker) {
  EjectionBoard board;
  FakePool other_servers{pool_};
  PoolRing first{loop_, topologyOf(pool_), servers_, &board};
  PoolRing second{loop_, topologyOf(pool_), other_servers, &board};
  RecordingEjections first_events;
  RecordingEjections second_events;
  first.setObserver(&first_events);
  second.setObserver(&second_events);
  auto keysOnIn = [](PoolRing& ring, uint32_t server) {
    ring.refresh();
    int count = 0;
    for (int i = 0; i < 1000; ++i) count += ring.locate("key:" + std::to_string(i)) == server;
    return count;
  };
  ASSERT_GT(keysOnIn(second, 1), 0);
  first.onServerFailure(1, "Connection refused", 2);
  EXPECT_EQ(keysOnIn(first, 1), 0);
  EXPECT_EQ(keysOnIn(second, 1), 0);  // without a failure of its own
  EXPECT_EQ(first_events.decided_here, 1);
  EXPECT_EQ(second_events.decided_here, 0);
  ASSERT_EQ(second_events.events.size(), 1u);
  // The second worker's probe is answered after the retry time: back for both.
  ASSERT_TRUE(runUntil(
      loop_, [&] { return other_servers.probes[1] > 0; }, 2000));
  ::usleep(200 * 1000);  // past server_retry_timeout (150 ms)
  uv_run(loop_.raw(), UV_RUN_NOWAIT);
  second.onServerRecovered(1);
  EXPECT_GT(keysOnIn(second, 1), 0);
  EXPECT_GT(keysOnIn(first, 1), 0);
  first.shutdown();
  second.shutdown();
}

}  // namespace
}  // namespace shardis::proxy
