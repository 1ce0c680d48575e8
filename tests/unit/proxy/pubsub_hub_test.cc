// PubSubHub across a topology change (topology.h's TopologyStep), against two servers this
// test plays by hand: a channel first subscribed between prepare() and the switch is
// subscribed on its home before the change and on its home after it, so that a publisher on
// a worker that has switched and one on a worker that has not both reach it; the old home is
// left only at finishMoves(), and what it pushed until then is delivered.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../backend/fake_server.h"
#include "backend/connection_pool.h"
#include "config/config.h"
#include "net/loop.h"
#include "proxy/pubsub_hub.h"
#include "proxy/pubsub_registry.h"
#include "resp/encoder.h"
#include "stats/counters.h"

namespace shardis::proxy {
namespace {

using backend::testing::FakeServer;
using backend::testing::readWhileRunning;
using backend::testing::runUntil;

struct RecordingSubscriber final : Subscriber {
  std::vector<std::string> frames;
  void deliver(std::string_view frame) override { frames.emplace_back(frame); }
};

std::string command(std::string_view verb, std::string_view name) {
  std::string out;
  const std::array<std::string_view, 2> argv{verb, name};
  resp::appendCommand(out, argv);
  return out;
}

void sendAll(int fd, std::string_view bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

class PubSubHubTest : public ::testing::Test {
 protected:
  PubSubHubTest() {
    backend::PoolSettings settings;
    settings.connect_timeout_ms = 1000;
    for (size_t i = 0; i < servers_.size(); ++i) {
      sockaddr_in address{};
      std::memcpy(&address, &servers_[i].endpoint.address, sizeof address);
      backend::ServerSpec spec;
      spec.name = "s" + std::to_string(i + 1);
      spec.host = "127.0.0.1";
      spec.port = ntohs(address.sin_port);
      settings.servers.push_back(spec);
    }
    pool_ = std::make_unique<backend::ConnectionPool>(loop_, settings);
    config::Config config;
    config.pools.emplace_back().servers.resize(servers_.size());
    stats_ = stats::WorkerStats(config);
    hub_ = std::make_unique<PubSubHub>(
        loop_, [this]() -> backend::ServerPool& { return *pool_; }, servers_.size(), registry_,
        stats_, 0);
  }
  ~PubSubHubTest() override {
    hub_.reset();
    pool_->shutdown();
    loop_.run();
    for (int fd : fds_) ::close(fd);
  }
  int accept(size_t server) {
    const int fd = servers_[server].accept(loop_);
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }

  net::Loop loop_;
  std::array<FakeServer, 2> servers_;
  std::unique_ptr<backend::ConnectionPool> pool_;
  PubSubRegistry registry_;
  stats::WorkerStats stats_;
  std::unique_ptr<PubSubHub> hub_;
  std::vector<int> fds_;
};

TEST_F(PubSubHubTest, AChannelSubscribedDuringAChangeIsOnBothHomesUntilItFinishes) {
  const std::array<uint32_t, 2> live{0, 1};
  auto after = [](std::string_view /*channel*/) { return uint32_t{1}; };
  bool prepared = false;
  hub_->prepare(live, after, [&prepared] { prepared = true; });
  EXPECT_TRUE(prepared);  // no channel yet: nothing to confirm

  // Its home is server 0 until the switch, server 1 after it: SUBSCRIBE goes to both now.
  RecordingSubscriber client;
  hub_->subscribe(SubKind::kChannel, "ch", 0, client);
  const std::string subscribe = command("subscribe", "ch");
  const int before_fd = accept(0);
  const int after_fd = accept(1);
  ASSERT_GE(before_fd, 0);
  ASSERT_GE(after_fd, 0) << "the home after the change got no SUBSCRIBE before the switch";
  EXPECT_EQ(readWhileRunning(loop_, before_fd, subscribe.size()), subscribe);
  EXPECT_EQ(readWhileRunning(loop_, after_fd, subscribe.size()), subscribe);
  sendAll(before_fd, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  sendAll(after_fd, "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  ASSERT_TRUE(runUntil(loop_, [&] { return !hub_->confirming(SubKind::kChannel, "ch"); }));

  // The switch sends nothing more; the old home still delivers what it pushes.
  hub_->setLive(live, after);
  const std::string message = "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";
  sendAll(before_fd, message);
  ASSERT_TRUE(runUntil(loop_, [&] { return client.frames.size() == 1; }));
  EXPECT_EQ(client.frames[0], message);

  // Every worker has switched: the old home is left, the new one kept.
  hub_->finishMoves();
  const std::string unsubscribe = command("unsubscribe", "ch");
  EXPECT_EQ(readWhileRunning(loop_, before_fd, unsubscribe.size()), unsubscribe);
  char byte = 0;
  EXPECT_LE(::recv(after_fd, &byte, 1, MSG_DONTWAIT), 0);
}

}  // namespace
}  // namespace shardis::proxy
