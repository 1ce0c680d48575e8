// The stats port and the admin HTTP port over real loopback sockets.
#include "stats/stats_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "stats/render.h"
#include "stats_fixture.h"

namespace shardis::stats {
namespace {

using testing::makeConfig;

// Connects to 127.0.0.1:port, sends `request`, reads until the server closes (5 s limit).
std::string roundTrip(uint16_t port, const std::string& request, bool shut_write = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (shut_write) ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

std::string get(uint16_t port, const std::string& path) {
  return roundTrip(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

std::string bodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

size_t countOf(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

class StatsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = makeConfig({"alpha", "beta"}, 2);
    hub_ = std::make_unique<StatsHub>(config_, 2, Identity{"shardis", "test-host", "0.1.0"});
    WorkerStats worker(config_);
    worker.pool(0).requests = 11;
    worker.pool(0).client_connections = 1;
    hub_->publish(0, worker);
    config_.process.stats_addr = "127.0.0.1";
    config_.process.stats_port = 0;
    config_.process.admin_listen = "127.0.0.1:0";
    std::string error;
    server_ = StatsServer::start(config_.process, *hub_, error);
    ASSERT_NE(server_, nullptr) << error;
    ASSERT_NE(server_->statsPort(), 0);
    ASSERT_NE(server_->adminPort(), 0);
  }

  config::Config config_;
  std::unique_ptr<StatsHub> hub_;
  std::unique_ptr<StatsServer> server_;
};

TEST_F(StatsServerTest, StatsPortWritesTheJsonThenCloses) {
  std::string json = roundTrip(server_->statsPort(), "");
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.rfind(R"({"service":"shardis", "source":"test-host", "version":"0.1.0", )", 0), 0u)
      << json;
  EXPECT_NE(json.find(R"("curr_connections":1, "config_reloads":0, "config_reload_failures":0, )"
                      R"("alpha": {"client_eof":0)"),
            std::string::npos);
  EXPECT_TRUE(json.ends_with("}\n"));
}

TEST_F(StatsServerTest, MetricsStatsAndHealthz) {
  std::string metrics = get(server_->adminPort(), "/metrics");
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
  EXPECT_NE(metrics.find("shardis_requests_total{pool=\"alpha\"} 11\n"), std::string::npos);
  size_t length_at = metrics.find("Content-Length: ");
  ASSERT_NE(length_at, std::string::npos);
  EXPECT_EQ(std::stoul(metrics.substr(length_at + 16)), bodyOf(metrics).size());

  std::string stats = get(server_->adminPort(), "/stats?x=1");
  EXPECT_EQ(stats.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(bodyOf(stats).rfind("{\"service\":\"shardis\"", 0), 0u);

  std::string health = get(server_->adminPort(), "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << health;
  EXPECT_EQ(bodyOf(health).rfind("{\"status\":\"ok\"", 0), 0u);

  // Every server of beta down in one worker: 503, naming beta.
  WorkerStats worker(config_);
  worker.server(1, 0).state = ServerState::kDown;
  worker.server(1, 1).state = ServerState::kEjected;
  hub_->publish(1, worker);
  health = get(server_->adminPort(), "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << health;
  EXPECT_NE(bodyOf(health).find(R"("pools_without_live_servers":["beta"])"), std::string::npos);

  // Back up.
  hub_->publish(1, WorkerStats(config_));
  health = get(server_->adminPort(), "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << health;
}

TEST_F(StatsServerTest, BadRequestsGet4xx) {
  std::string garbage = roundTrip(server_->adminPort(), "\x16\x03\x01 this is not http\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << garbage;
  EXPECT_NE(garbage.find("Connection: close\r\n"), std::string::npos);

  std::string missing = get(server_->adminPort(), "/nope");
  EXPECT_EQ(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << missing;

  std::string post = roundTrip(server_->adminPort(),
                               "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n"
                               "Connection: close\r\n\r\nhi");
  EXPECT_EQ(post.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << post;

  // Just over the limit, so that the server has read every byte when it answers (unread
  // bytes would make the close a reset that can swallow the answer).
  std::string huge = "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(8960, 'a') + "\r\n\r\n";
  std::string too_big = roundTrip(server_->adminPort(), huge);
  EXPECT_EQ(too_big.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u)
      << too_big.substr(0, 100);

  // A request cut short by the client: no answer, no crash.
  EXPECT_EQ(roundTrip(server_->adminPort(), "GET /metr", /*shut_write=*/true), "");
  // The server still answers.
  EXPECT_EQ(get(server_->adminPort(), "/healthz").rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(StatsServerTest, KeepAliveAnswersPipelinedRequestsInOrder) {
  std::string replies = roundTrip(server_->adminPort(),
                                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(countOf(replies, "HTTP/1.1 "), 3u) << replies;
  size_t first = replies.find("HTTP/1.1 200 OK");
  size_t second = replies.find("HTTP/1.1 200 OK", first + 1);
  size_t third = replies.find("HTTP/1.1 404 Not Found");
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  // HEAD: headers only.
  EXPECT_EQ(replies.find("# HELP"), std::string::npos);
}

TEST(StatsServer, OffWhenNotConfiguredAndBindErrorsReported) {
  config::Config config = makeConfig({"alpha"}, 1);
  StatsHub hub(config, 1, Identity{});
  config.process.stats_port = -1;
  config.process.admin_listen = "";
  std::string error;
  auto server = StatsServer::start(config.process, hub, error);
  ASSERT_NE(server, nullptr) << error;
  EXPECT_EQ(server->statsPort(), 0);
  EXPECT_EQ(server->adminPort(), 0);
  server->stop();
  server->stop();  // twice is fine

  config.process.admin_listen = "not-an-address";
  EXPECT_EQ(StatsServer::start(config.process, hub, error), nullptr);
  EXPECT_NE(error.find("admin"), std::string::npos);
  config.process.admin_listen = "256.1.1.1:0";
  EXPECT_EQ(StatsServer::start(config.process, hub, error), nullptr);
}

TEST(StatsServer, StopsWithConnectionsOpen) {
  config::Config config = makeConfig({"alpha"}, 1);
  StatsHub hub(config, 1, Identity{});
  config.process.stats_port = -1;
  config.process.admin_listen = "127.0.0.1:0";
  std::string error;
  auto server = StatsServer::start(config.process, hub, error);
  ASSERT_NE(server, nullptr) << error;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server->adminPort());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::send(fd, "GET /hea", 8, MSG_NOSIGNAL);
  usleep(50000);
  server->stop();  // must not wait for the idle client
  server.reset();
  ::close(fd);
}

}  // namespace
}  // namespace shardis::stats
