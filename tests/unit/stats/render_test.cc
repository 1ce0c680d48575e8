#include "stats/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "command/command_table.h"
#include "stats_fixture.h"

namespace shardis::stats {
namespace {

using testing::makeConfig;
using testing::makeSnapshot;

CommandId idOf(std::string_view name) { return commandId(command::lookup(name)); }

// alpha: two servers (the second ejected), beta: one; GET and CLIENT SETNAME called.
Snapshot busySnapshot(bool hotkeys = false) {
  config::Config config = makeConfig({"alpha", "beta"}, 2, hotkeys);
  config.pools[1].servers.pop_back();
  WorkerStats stats(config);
  PoolCounters& alpha = stats.pool(0);
  alpha.client_eof = 1;
  alpha.client_err = 2;
  alpha.client_connections = 3;
  alpha.client_connections_total = 9;
  alpha.server_ejects = 4;
  alpha.countError(ProxyError::kBackendDown);
  alpha.countError(ProxyError::kCrossSlot);
  alpha.split_commands = 5;
  alpha.fragments = 6;
  alpha.requests = 100;
  alpha.replies = 99;
  alpha.error_replies = 2;
  alpha.transactions_started = 11;
  alpha.transactions_committed = 7;
  alpha.transactions_aborted = 1;
  alpha.transactions_discarded = 2;
  alpha.transactions_cross_server = 3;
  alpha.blocked_clients = 4;
  alpha.blocking_one_server = 12;
  alpha.blocking_cross_server = 5;
  alpha.blocking_put_back = 2;
  alpha.pubsub_clients = 3;
  alpha.pubsub_messages_in = 20;
  alpha.pubsub_messages_delivered = 50;
  alpha.pubsub_slow_closes = 1;
  alpha.pubsub_resubscribes = 2;
  ServerCounters& first = stats.server(0, 0);
  first.server_connections = 1;
  first.server_connections_total = 4;
  first.leases_in_use = 2;
  first.leases_idle = 5;
  first.pubsub_channels = 7;
  first.pubsub_patterns = 2;
  first.pubsub_shard_channels = 1;
  first.requests = 60;
  first.request_bytes = 600;
  first.in_queue = 2;
  first.in_queue_bytes = 20;
  first.out_queue = 3;
  first.out_queue_bytes = 30;
  stats.recordServerReply(0, 0, 100, 10);
  stats.recordServerReply(0, 0, 300, 12);
  ServerCounters& second = stats.server(0, 1);
  second.state = ServerState::kEjected;
  second.server_ejected_at_us = 1699999999000000;
  second.server_eof = 7;
  second.server_err = 8;
  second.server_timedout = 9;
  second.server_connections_total = 6;
  second.leases_idle = 1;
  stats.pool(1).client_connections_total = 1;
  stats.recordCommand(idOf("get"), 10, CommandOutcome::kOk);
  stats.recordCommand(idOf("get"), 20, CommandOutcome::kFailed);
  stats.recordCommand(idOf("get"), 0, CommandOutcome::kRejected);
  stats.recordCommand(idOf("client|setname"), 1000, CommandOutcome::kOk);
  for (int i = 0; i < 3; ++i) stats.recordKey(0, "hot:1");
  stats.recordKey(0, std::string("bin\n\"%", 6));
  return makeSnapshot(config, std::move(stats));
}

std::string readGolden(const std::string& name) {
  std::ifstream in(std::string(SHARDIS_STATS_GOLDEN) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TwemproxyJson, GoldenLayout) {
  EXPECT_EQ(
      renderTwemproxyJson(busySnapshot()),
      R"({"service":"shardis", "source":"host-1", "version":"0.1.0", "uptime":42, )"
      R"("timestamp":1700000000, "total_connections":10, "curr_connections":3, )"
      R"("config_reloads":0, "config_reload_failures":0, )"
      R"("alpha": {"client_eof":1, "client_err":2, "client_connections":3, "server_ejects":4, )"
      R"("forward_error":1, "fragments":6, )"
      R"("alpha-0:6379": {"server_eof":0, "server_err":0, "server_timedout":0, )"
      R"("server_connections":1, "server_ejected_at":0, "requests":60, "request_bytes":600, )"
      R"("responses":2, "response_bytes":22, "in_queue":2, "in_queue_bytes":20, "out_queue":3, )"
      R"("out_queue_bytes":30, "server_up":1, "server_connections_total":4, "leases_in_use":2, )"
      R"("leases_idle":5, "pubsub_channels":7, "pubsub_patterns":2, "pubsub_shard_channels":1, )"
      R"("round_trip_p50_us":104, "round_trip_p99_us":300},)"
      R"("alpha-1:6379": {"server_eof":7, "server_err":8, "server_timedout":9, )"
      R"("server_connections":0, "server_ejected_at":1699999999000000, "requests":0, )"
      R"("request_bytes":0, "responses":0, "response_bytes":0, "in_queue":0, )"
      R"("in_queue_bytes":0, "out_queue":0, "out_queue_bytes":0, "server_up":0, )"
      R"("server_connections_total":6, "leases_in_use":0, "leases_idle":1, )"
      R"("pubsub_channels":0, "pubsub_patterns":0, "pubsub_shard_channels":0, )"
      R"("round_trip_p50_us":0, "round_trip_p99_us":0},)"
      R"("client_connections_total":9, "requests":100, "replies":99, "split_commands":5, )"
      R"("transactions_started":11, "transactions_committed":7, "transactions_aborted":1, )"
      R"("transactions_discarded":2, "transactions_cross_server":3, )"
      R"("blocked_clients":4, "blocking_one_server":12, "blocking_cross_server":5, )"
      R"("blocking_put_back":2, "pubsub_clients":3, "pubsub_messages_in":20, )"
      R"("pubsub_messages_delivered":50, "pubsub_slow_closes":1, "pubsub_resubscribes":2, )"
      R"("error_crossslot":1, "error_unsupported":0, "error_auth":0, "error_timeout":0, )"
      R"("error_backend_down":1, "error_protocol":0},)"
      R"("beta": {"client_eof":0, "client_err":0, "client_connections":0, "server_ejects":0, )"
      R"("forward_error":0, "fragments":0, )"
      R"("beta-0:6379": {"server_eof":0, "server_err":0, "server_timedout":0, )"
      R"("server_connections":0, "server_ejected_at":0, "requests":0, "request_bytes":0, )"
      R"("responses":0, "response_bytes":0, "in_queue":0, "in_queue_bytes":0, "out_queue":0, )"
      R"("out_queue_bytes":0, "server_up":1, "server_connections_total":0, "leases_in_use":0, )"
      R"("leases_idle":0, "pubsub_channels":0, "pubsub_patterns":0, "pubsub_shard_channels":0, )"
      R"("round_trip_p50_us":0, "round_trip_p99_us":0},)"
      R"("client_connections_total":1, "requests":0, "replies":0, "split_commands":0, )"
      R"("transactions_started":0, "transactions_committed":0, "transactions_aborted":0, )"
      R"("transactions_discarded":0, "transactions_cross_server":0, )"
      R"("blocked_clients":0, "blocking_one_server":0, "blocking_cross_server":0, )"
      R"("blocking_put_back":0, "pubsub_clients":0, "pubsub_messages_in":0, )"
      R"("pubsub_messages_delivered":0, "pubsub_slow_closes":0, "pubsub_resubscribes":0, )"
      R"("error_crossslot":0, "error_unsupported":0, "error_auth":0, "error_timeout":0, )"
      R"("error_backend_down":0, "error_protocol":0}})"
      "\n");
}

TEST(TwemproxyJson, NamesAreEscaped) {
  config::Config config = makeConfig({"a\"b\\c\n"}, 0);
  std::string json = renderTwemproxyJson(makeSnapshot(config, WorkerStats(config)));
  EXPECT_NE(json.find(R"("a\"b\\c\u000a": {"client_eof":0)"), std::string::npos) << json;
}

// SHARDIS_UPDATE_GOLDEN=1 rewrites the file: review the diff before committing it.
TEST(Prometheus, Golden) {
  std::string text = renderPrometheus(busySnapshot(/*hotkeys=*/true));
  if (std::getenv("SHARDIS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(std::string(SHARDIS_STATS_GOLDEN) + "/metrics.prom", std::ios::binary) << text;
  }
  EXPECT_EQ(text, readGolden("metrics.prom"));
}

TEST(Prometheus, LabelValuesAreEscaped) {
  config::Config config = makeConfig({"p\"o\\o\nl"}, 1);
  std::string text = renderPrometheus(makeSnapshot(config, WorkerStats(config)));
  EXPECT_NE(text.find("shardis_requests_total{pool=\"p\\\"o\\\\o\\nl\"} 0\n"), std::string::npos)
      << text;
}

TEST(Prometheus, HistogramBucketsAreCumulativeInSeconds) {
  std::string text = renderPrometheus(busySnapshot());
  const char* lines[] = {
      "shardis_command_duration_seconds_bucket{command=\"get\",le=\"0.000016\"} 1\n",
      "shardis_command_duration_seconds_bucket{command=\"get\",le=\"0.000032\"} 2\n",
      "shardis_command_duration_seconds_bucket{command=\"get\",le=\"+Inf\"} 2\n",
      "shardis_command_duration_seconds_sum{command=\"get\"} 0.000030\n",
      "shardis_command_duration_seconds_count{command=\"get\"} 2\n",
      "shardis_server_round_trip_seconds_bucket{pool=\"alpha\",server=\"alpha-0:6379\","
      "le=\"0.000064\"} 0\n",
      "shardis_server_round_trip_seconds_bucket{pool=\"alpha\",server=\"alpha-0:6379\","
      "le=\"0.000128\"} 1\n",
      "shardis_server_round_trip_seconds_bucket{pool=\"alpha\",server=\"alpha-0:6379\","
      "le=\"0.000512\"} 2\n",
      "shardis_command_rejected_calls_total{command=\"get\"} 1\n",
  };
  for (const char* line : lines) EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Prometheus, TransactionAndLeaseFamilies) {
  std::string text = renderPrometheus(busySnapshot());
  const char* lines[] = {
      "# TYPE shardis_transactions_started_total counter\n",
      "shardis_transactions_started_total{pool=\"alpha\"} 11\n",
      "shardis_transactions_committed_total{pool=\"alpha\"} 7\n",
      "shardis_transactions_aborted_total{pool=\"alpha\"} 1\n",
      "shardis_transactions_discarded_total{pool=\"alpha\"} 2\n",
      "shardis_transactions_cross_server_total{pool=\"alpha\"} 3\n",
      "# TYPE shardis_server_connections_opened_total counter\n",
      "shardis_server_connections_opened_total{pool=\"alpha\",server=\"alpha-1:6379\"} 6\n",
      "# TYPE shardis_server_leases_in_use gauge\n",
      "shardis_server_leases_in_use{pool=\"alpha\",server=\"alpha-0:6379\"} 2\n",
      "# TYPE shardis_server_leases_idle gauge\n",
      "shardis_server_leases_idle{pool=\"alpha\",server=\"alpha-0:6379\"} 5\n",
  };
  for (const char* line : lines) EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Prometheus, BlockingFamilies) {
  std::string text = renderPrometheus(busySnapshot());
  const char* lines[] = {
      "# TYPE shardis_blocked_clients gauge\n",
      "shardis_blocked_clients{pool=\"alpha\"} 4\n",
      "shardis_blocked_clients{pool=\"beta\"} 0\n",
      "# TYPE shardis_blocking_one_server_total counter\n",
      "shardis_blocking_one_server_total{pool=\"alpha\"} 12\n",
      "# TYPE shardis_blocking_cross_server_total counter\n",
      "shardis_blocking_cross_server_total{pool=\"alpha\"} 5\n",
      "# TYPE shardis_blocking_put_back_total counter\n",
      "shardis_blocking_put_back_total{pool=\"alpha\"} 2\n",
  };
  for (const char* line : lines) EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Prometheus, PubSubFamilies) {
  std::string text = renderPrometheus(busySnapshot());
  const char* lines[] = {
      "# TYPE shardis_pubsub_clients gauge\n",
      "shardis_pubsub_clients{pool=\"alpha\"} 3\n",
      "shardis_pubsub_messages_in_total{pool=\"alpha\"} 20\n",
      "shardis_pubsub_messages_delivered_total{pool=\"alpha\"} 50\n",
      "shardis_pubsub_slow_closes_total{pool=\"alpha\"} 1\n",
      "shardis_pubsub_resubscribes_total{pool=\"alpha\"} 2\n",
      "# TYPE shardis_server_pubsub_channels gauge\n",
      "shardis_server_pubsub_channels{pool=\"alpha\",server=\"alpha-0:6379\"} 7\n",
      "shardis_server_pubsub_patterns{pool=\"alpha\",server=\"alpha-0:6379\"} 2\n",
      "shardis_server_pubsub_shard_channels{pool=\"alpha\",server=\"alpha-0:6379\"} 1\n",
  };
  for (const char* line : lines) EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Info, StatsSection) {
  std::string out;
  appendStatsSection(out, busySnapshot(), 0);
  EXPECT_EQ(out,
            "# Stats\r\n"
            "total_connections_received:9\r\n"  // alpha's own, without beta's one
            "total_commands_processed:100\r\n"
            "total_error_replies:2\r\n"
            "total_replies:99\r\n"
            "client_eof:1\r\n"
            "client_err:2\r\n"
            "split_commands:5\r\n"
            "fragments:6\r\n"
            "server_ejects:4\r\n"
            "transactions_started:11\r\n"
            "transactions_committed:7\r\n"
            "transactions_aborted:1\r\n"
            "transactions_discarded:2\r\n"
            "transactions_cross_server:3\r\n"
            "blocking_one_server:12\r\n"
            "blocking_cross_server:5\r\n"
            "blocking_put_back:2\r\n"
            "pubsub_clients:3\r\n"
            "pubsub_messages_in:20\r\n"
            "pubsub_messages_delivered:50\r\n"
            "pubsub_slow_closes:1\r\n"
            "pubsub_resubscribes:2\r\n"
            "server_connections_total:10\r\n"  // alpha's two servers summed
            "leases_in_use:2\r\n"
            "leases_idle:6\r\n"
            "proxy_errors_crossslot:1\r\n"
            "proxy_errors_unsupported:0\r\n"
            "proxy_errors_auth:0\r\n"
            "proxy_errors_timeout:0\r\n"
            "proxy_errors_backend_down:1\r\n"
            "proxy_errors_protocol:0\r\n");
}

// The gauge for INFO's # Clients section (Redis's blocked_clients), per pool.
TEST(Info, BlockedClientsOfThePool) {
  Snapshot snapshot = busySnapshot();
  EXPECT_EQ(blockedClients(snapshot, 0), 4u);
  EXPECT_EQ(blockedClients(snapshot, 1), 0u);
  EXPECT_EQ(blockedClients(snapshot, 2), 0u);  // no such pool
}

TEST(Info, CommandstatsInRedis7Format) {
  std::string out;
  appendCommandStats(out, busySnapshot());
  EXPECT_EQ(out,
            "# Commandstats\r\n"
            "cmdstat_client|setname:calls=1,usec=1000,usec_per_call=1000.00,rejected_calls=0,"
            "failed_calls=0\r\n"
            "cmdstat_get:calls=2,usec=30,usec_per_call=15.00,rejected_calls=1,failed_calls=1\r\n");
}

TEST(Info, LatencystatsInRedis7Format) {
  std::string out;
  appendLatencyStats(out, busySnapshot());
  EXPECT_EQ(out,
            "# Latencystats\r\n"
            "latency_percentiles_usec_client|setname:p50=1000.000,p99=1000.000,"
            "p99.9=1000.000\r\n"
            "latency_percentiles_usec_get:p50=10.000,p99=20.000,p99.9=20.000\r\n");
}

TEST(Info, HotKeys) {
  std::string out;
  appendHotKeys(out, busySnapshot(/*hotkeys=*/true), 0);
  EXPECT_EQ(out,
            "# Hotkeys\r\n"
            "hotkeys_enabled:1\r\n"
            "hotkey_alpha_1:count=3,key=hot:1\r\n"
            "hotkey_alpha_2:count=1,key=bin%0A%22%25\r\n");
  out.clear();
  appendHotKeys(out, busySnapshot(), 0);
  EXPECT_EQ(out, "# Hotkeys\r\nhotkeys_enabled:0\r\n");
}

// A pool's INFO speaks of that pool only: beta's client sees neither alpha's counters nor
// alpha's hot keys.
TEST(Info, SectionsOfAnotherPool) {
  std::string out;
  appendStatsSection(out, busySnapshot(), 1);
  EXPECT_NE(out.find("total_connections_received:1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("total_commands_processed:0\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("total_error_replies:0\r\n"), std::string::npos) << out;
  out.clear();
  appendHotKeys(out, busySnapshot(/*hotkeys=*/true), 1);
  EXPECT_EQ(out, "# Hotkeys\r\nhotkeys_enabled:1\r\n");
}

TEST(Health, EveryPoolNeedsALiveServer) {
  Snapshot snapshot = busySnapshot();
  std::string body;
  EXPECT_TRUE(renderHealth(snapshot, body));
  EXPECT_EQ(body, R"({"status":"ok","pools_without_live_servers":[],"pools":[)"
                  R"({"pool":"alpha","live_servers":1,"servers":2},)"
                  R"({"pool":"beta","live_servers":1,"servers":1}]})"
                  "\n");
  config::Config config = makeConfig({"alpha", "beta"}, 2);
  config.pools[1].servers.pop_back();
  WorkerStats stats = snapshot.totals;
  stats.server(1, 0).state = ServerState::kDown;
  EXPECT_FALSE(renderHealth(makeSnapshot(config, std::move(stats)), body));
  EXPECT_EQ(body, R"({"status":"unavailable","pools_without_live_servers":["beta"],"pools":[)"
                  R"({"pool":"alpha","live_servers":1,"servers":2},)"
                  R"({"pool":"beta","live_servers":0,"servers":1}]})"
                  "\n");
}

}  // namespace
}  // namespace shardis::stats
