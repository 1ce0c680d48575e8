#include "stats/hub.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "command/command_table.h"
#include "net/loop.h"
#include "net/timer.h"
#include "stats_fixture.h"

namespace shardis::stats {
namespace {

using testing::makeConfig;

TEST(CommandIndex, NamesFollowRedisCommandstats) {
  CommandId get = commandId(command::lookup("get"));
  EXPECT_EQ(commandName(get), "get");
  CommandId setname = commandId(command::lookup("client|setname"));
  EXPECT_EQ(commandName(setname), "client|setname");
  EXPECT_NE(get, setname);
  EXPECT_EQ(commandId(nullptr), unknownCommandId());
  EXPECT_EQ(commandName(unknownCommandId()), "unknown");
  std::set<std::string_view> names;
  for (size_t id = 0; id < commandCount(); ++id) {
    names.insert(commandName(static_cast<CommandId>(id)));
  }
  EXPECT_EQ(names.size(), commandCount());
}

TEST(CommandIndex, ResolvedSubcommandsHaveTheirOwnId) {
  std::vector<std::string_view> argv = {"CLIENT", "SETNAME", "x"};
  EXPECT_EQ(commandName(commandId(command::resolve(argv))), "client|setname");
}

TEST(WorkerStats, RejectedCallsCountOnlyAsRejected) {
  config::Config config = makeConfig({"alpha"}, 1);
  WorkerStats stats(config);
  CommandId get = commandId(command::lookup("get"));
  stats.recordCommand(get, 100, CommandOutcome::kOk);
  stats.recordCommand(get, 300, CommandOutcome::kFailed);
  stats.recordCommand(get, 999, CommandOutcome::kRejected);
  const CommandCounters& counters = stats.command(get);
  EXPECT_EQ(counters.calls, 2u);
  EXPECT_EQ(counters.failed_calls, 1u);
  EXPECT_EQ(counters.rejected_calls, 1u);
  EXPECT_EQ(counters.usec, 400u);
  EXPECT_EQ(counters.latency.count(), 2u);
}

// Applies a random sequence of the request path's updates to `stats`, and the same to
// `expected`'s plain sums.
void simulate(WorkerStats& stats, std::mt19937_64& random, WorkerStats& expected) {
  for (int i = 0; i < 2000; ++i) {
    size_t pool = random() % 2;
    size_t server = random() % 3;
    auto id = static_cast<CommandId>(random() % commandCount());
    uint64_t latency = random() % 100000;
    for (WorkerStats* target : {&stats, &expected}) {
      PoolCounters& counters = target->pool(pool);
      ++counters.requests;
      ++counters.replies;
      counters.countError(static_cast<ProxyError>(i % kProxyErrorKinds));
      ++target->server(pool, server).requests;
      target->server(pool, server).request_bytes += 10;
      target->recordServerReply(pool, server, latency / 2, 7);
      target->recordCommand(id, latency, static_cast<CommandOutcome>(i % 3));
      target->recordKey(pool, "key:" + std::to_string(random() % 4));
    }
  }
  ++stats.pool(0).client_connections;
  ++expected.pool(0).client_connections;
}

// Transactions are counted per worker and the lease gauges are each worker's own: a snapshot
// holds their sums.
TEST(WorkerStatsMerge, TransactionAndLeaseCountersAreSummed) {
  config::Config config = makeConfig({"alpha"}, 1);
  WorkerStats total(config);
  for (uint64_t worker = 1; worker <= 2; ++worker) {
    WorkerStats stats(config);
    PoolCounters& pool = stats.pool(0);
    pool.transactions_started = 10 * worker;
    pool.transactions_committed = 5 * worker;
    pool.transactions_aborted = worker;
    pool.transactions_discarded = 2 * worker;
    pool.transactions_cross_server = 3 * worker;
    ServerCounters& server = stats.server(0, 0);
    server.server_connections_total = 7 * worker;
    server.leases_in_use = worker;
    server.leases_idle = 4 * worker;
    total.merge(stats);
  }
  const PoolCounters& pool = total.pool(0);
  EXPECT_EQ(pool.transactions_started, 30u);
  EXPECT_EQ(pool.transactions_committed, 15u);
  EXPECT_EQ(pool.transactions_aborted, 3u);
  EXPECT_EQ(pool.transactions_discarded, 6u);
  EXPECT_EQ(pool.transactions_cross_server, 9u);
  const ServerCounters& server = total.server(0, 0);
  EXPECT_EQ(server.server_connections_total, 21u);
  EXPECT_EQ(server.leases_in_use, 3u);
  EXPECT_EQ(server.leases_idle, 12u);
}

// Blocking commands are counted per worker, and blocked_clients is each worker's own gauge
// (++ on block, -- on unblock): the hub's snapshot holds their sums.
TEST(WorkerStatsMerge, BlockingCountersAndGaugeAreSummed) {
  config::Config config = makeConfig({"alpha"}, 1);
  StatsHub hub(config, 3, Identity{});
  for (uint64_t worker = 1; worker <= 3; ++worker) {
    WorkerStats stats(config);
    PoolCounters& pool = stats.pool(0);
    pool.blocked_clients = worker;
    pool.blocking_one_server = 10 * worker;
    pool.blocking_cross_server = 2 * worker;
    pool.blocking_put_back = worker + 1;
    hub.publish(worker - 1, stats);
  }
  Snapshot snapshot = hub.snapshot();
  const PoolCounters& pool = snapshot.totals.pools()[0].counters;
  EXPECT_EQ(pool.blocked_clients, 6u);
  EXPECT_EQ(pool.blocking_one_server, 60u);
  EXPECT_EQ(pool.blocking_cross_server, 12u);
  EXPECT_EQ(pool.blocking_put_back, 9u);
}

TEST(StatsHub, SnapshotOfNWorkersIsTheirSum) {
  config::Config config = makeConfig({"alpha", "beta"}, 3, /*hotkeys=*/true);
  constexpr size_t kWorkers = 4;
  StatsHub hub(config, kWorkers, Identity{});
  std::mt19937_64 random(3);
  WorkerStats expected(config);
  for (size_t w = 0; w < kWorkers; ++w) {
    WorkerStats worker(config);
    WorkerStats alone(config);
    simulate(worker, random, alone);
    hub.publish(w, worker);
    expected.merge(alone);
  }
  Snapshot snapshot = hub.snapshot();
  ASSERT_EQ(snapshot.totals.pools().size(), 2u);
  for (size_t p = 0; p < 2; ++p) {
    const PoolCounters& got = snapshot.totals.pools()[p].counters;
    const PoolCounters& want = expected.pools()[p].counters;
    EXPECT_EQ(got.requests, want.requests);
    EXPECT_EQ(got.errors, want.errors);
    for (size_t s = 0; s < 3; ++s) {
      const ServerCounters& a = snapshot.totals.pools()[p].servers[s];
      const ServerCounters& b = expected.pools()[p].servers[s];
      EXPECT_EQ(a.requests, b.requests);
      EXPECT_EQ(a.request_bytes, b.request_bytes);
      EXPECT_EQ(a.responses, b.responses);
      EXPECT_EQ(a.round_trip.count(), b.round_trip.count());
      EXPECT_EQ(a.round_trip.sumUs(), b.round_trip.sumUs());
    }
    EXPECT_EQ(snapshot.totals.pools()[p].hot_keys->total(), expected.pools()[p].hot_keys->total());
  }
  uint64_t calls = 0;
  for (size_t id = 0; id < commandCount(); ++id) {
    const CommandCounters& a = snapshot.totals.commands()[id];
    const CommandCounters& b = expected.commands()[id];
    ASSERT_EQ(a.calls, b.calls);
    ASSERT_EQ(a.failed_calls, b.failed_calls);
    ASSERT_EQ(a.rejected_calls, b.rejected_calls);
    ASSERT_EQ(a.usec, b.usec);
    ASSERT_EQ(a.latency.percentile(99), b.latency.percentile(99));
    calls += a.calls + a.rejected_calls;
  }
  EXPECT_EQ(calls, kWorkers * 2000);
  EXPECT_EQ(snapshot.currConnections(), kWorkers);
}

TEST(StatsHub, PublishReplacesTheWorkersSlot) {
  config::Config config = makeConfig({"alpha"}, 1);
  StatsHub hub(config, 2, Identity{"shardis", "h", "1"});
  WorkerStats worker(config);
  worker.pool(0).requests = 5;
  hub.publish(0, worker);
  worker.pool(0).requests = 7;
  hub.publish(0, worker);
  EXPECT_EQ(hub.snapshot().totals.pools()[0].counters.requests, 7u);
  EXPECT_EQ(hub.snapshot().identity.source, "h");
  EXPECT_EQ((*hub.layout())[0].servers[0], "alpha-0:6379");
}

TEST(StatsHub, ServerStateIsTheWorstAnyWorkerSees) {
  config::Config config = makeConfig({"alpha"}, 2);
  StatsHub hub(config, 3, Identity{});
  WorkerStats up(config);
  WorkerStats down(config);
  down.server(0, 0).state = ServerState::kDown;
  down.server(0, 1).state = ServerState::kEjected;
  down.server(0, 1).server_ejected_at_us = 123;
  hub.publish(0, up);
  hub.publish(1, down);
  Snapshot snapshot = hub.snapshot();
  EXPECT_EQ(snapshot.totals.pools()[0].servers[0].state, ServerState::kDown);
  EXPECT_EQ(snapshot.totals.pools()[0].servers[1].state, ServerState::kEjected);
  EXPECT_EQ(snapshot.totals.pools()[0].servers[1].server_ejected_at_us, 123);
}

// Workers publish while a reader takes snapshots (run under TSan too): every snapshot is a
// sum of whole publishes, never a torn one.
TEST(StatsHub, PublishAndSnapshotFromManyThreads) {
  config::Config config = makeConfig({"alpha"}, 2);
  constexpr size_t kWorkers = 3;
  constexpr uint64_t kRounds = 300;
  StatsHub hub(config, kWorkers, Identity{});
  std::vector<std::thread> workers;
  for (size_t w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&hub, &config, w] {
      WorkerStats stats(config);
      for (uint64_t round = 1; round <= kRounds; ++round) {
        stats.pool(0).requests = round;
        stats.pool(0).replies = round;
        hub.publish(w, stats);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    Snapshot snapshot = hub.snapshot();
    const PoolCounters& pool = snapshot.totals.pools()[0].counters;
    ASSERT_EQ(pool.requests, pool.replies);
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(hub.snapshot().totals.pools()[0].counters.requests, kWorkers * kRounds);
}

TEST(StatsPublisher, PublishesFromTheWorkersLoop) {
  config::Config config = makeConfig({"alpha"}, 1);
  StatsHub hub(config, 1, Identity{});
  WorkerStats stats(config);
  net::Loop loop;
  StatsPublisher publisher(loop, hub, 0, stats, /*interval_ms=*/5);
  int ticks = 0;
  net::TimerPtr work = net::Timer::create(loop, [&] {
    ++stats.pool(0).requests;
    if (++ticks == 10) {
      publisher.close();
      work.reset();  // last: this destroys the closure that is running
    }
  });
  work->start(2, 2);
  loop.run();
  // The last increments may come after the last publish; at least one publish happened.
  uint64_t published = hub.snapshot().totals.pools()[0].counters.requests;
  EXPECT_GT(published, 0u);
  EXPECT_LE(published, 10u);
  publisher.publishNow();
  EXPECT_EQ(hub.snapshot().totals.pools()[0].counters.requests, 10u);
}

}  // namespace
}  // namespace shardis::stats
