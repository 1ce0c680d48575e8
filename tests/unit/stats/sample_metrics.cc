// Writes the Prometheus text of a busy snapshot (every family, awkward label values, hot
// keys) to stdout, for promtool_check.sh.
#include <cstdio>
#include <string>

#include "command/command_table.h"
#include "stats/render.h"
#include "stats_fixture.h"

int main() {
  using namespace shardis::stats;
  shardis::config::Config config = testing::makeConfig({"alpha", "we\"ird\\pool\n"}, 3, true);
  WorkerStats stats(config);
  uint64_t latency = 7;
  for (std::string_view name : {"get", "set", "mget", "client|setname", "slowlog|get"}) {
    CommandId id = commandId(shardis::command::lookup(name));
    for (int i = 0; i < 50; ++i) {
      latency = latency * 3 % 20'000'011;
      stats.recordCommand(id, latency, static_cast<CommandOutcome>(i % 3));
    }
  }
  for (size_t pool = 0; pool < 2; ++pool) {
    stats.pool(pool).countError(ProxyError::kTimeout);
    for (size_t server = 0; server < 3; ++server) {
      stats.recordServerReply(pool, server, 100 * (server + 1), 10);
    }
    stats.server(pool, 1).state = ServerState::kDown;
    stats.recordKey(pool, "user:1");
    stats.recordKey(pool, std::string("bin\0\xff\"key", 9));
  }
  std::string text = renderPrometheus(testing::makeSnapshot(config, std::move(stats)));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}
