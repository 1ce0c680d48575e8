#include "proxy/info.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>

#include "command/ascii.h"
#include "proxy/info_process.h"
#include "proxy/local_commands.h"
#include "proxy/worker.h"
#include "resp/encoder.h"
#include "stats/render.h"

namespace shardis::proxy {

namespace {

using Version = std::array<int64_t, 3>;

struct Keyspace {
  int64_t keys = 0;
  int64_t expires = 0;
  int64_t ttl_sum = 0;  // avg_ttl × expires, to weigh each server's average
};

// What the servers said: the lowest version and the summed keyspace.
struct ServersInfo {
  std::optional<Version> lowest;
  std::string lowest_text;
  std::map<int64_t, Keyspace> databases;
};

std::optional<Version> parseVersion(std::string_view text) {
  Version version{};
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (size_t i = 0; i < version.size(); ++i) {
    auto [next, ec] = std::from_chars(at, end, version[i]);
    if (ec != std::errc()) return std::nullopt;
    at = next;
    if (i + 1 < version.size()) {
      if (at == end || *at != '.') return std::nullopt;
      ++at;
    }
  }
  return version;
}

int64_t fieldValue(std::string_view fields, std::string_view name) {
  size_t at = fields.find(name);
  if (at == std::string_view::npos) return 0;
  int64_t value = 0;
  at += name.size();
  std::from_chars(fields.data() + at, fields.data() + fields.size(), value);
  return value;
}

// One line of a server's INFO: redis_version, or a "db0:keys=..,expires=..,avg_ttl=.." line.
void readLine(std::string_view line, ServersInfo& info) {
  if (line.starts_with("redis_version:")) {
    std::string_view text = line.substr(14);
    std::optional<Version> version = parseVersion(text);
    if (version && (!info.lowest || *version < *info.lowest)) {
      info.lowest = version;
      info.lowest_text = text;
    }
    return;
  }
  if (!line.starts_with("db")) return;
  size_t colon = line.find(':');
  int64_t db = 0;
  auto [end, ec] = std::from_chars(line.data() + 2, line.data() + line.size(), db);
  if (ec != std::errc() || colon == std::string_view::npos || end != line.data() + colon) return;
  std::string_view fields = line.substr(colon + 1);
  Keyspace& space = info.databases[db];
  int64_t expires = fieldValue(fields, "expires=");
  space.keys += fieldValue(fields, "keys=");
  space.expires += expires;
  space.ttl_sum += fieldValue(fields, "avg_ttl=") * expires;
}

void readServerInfo(std::string_view text, ServersInfo& info) {
  while (!text.empty()) {
    size_t end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    readLine(line, info);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
}

void line(std::string& out, std::string_view field, std::string_view value) {
  out.append(field).append(":").append(value).append("\r\n");
}

void line(std::string& out, std::string_view field, uint64_t value) {
  line(out, field, std::to_string(value));
}

void serverSection(PoolRuntime& pool, const ServersInfo* servers,
                   const std::optional<stats::Snapshot>& snapshot, std::string& out) {
  out += "# Server\r\n";
  bool known = servers != nullptr && servers->lowest;
  line(out, "redis_version", known ? std::string_view(servers->lowest_text) : kRedisVersion);
  if (snapshot) line(out, "shardis_version", snapshot->identity.version);
  line(out, "redis_mode", "standalone");
  line(out, "arch_bits", sizeof(void*) * 8);
  line(out, "process_id", static_cast<uint64_t>(::getpid()));
  line(out, "tcp_port", pool.config().listen.port);
  if (snapshot) {
    line(out, "uptime_in_seconds", static_cast<uint64_t>(snapshot->uptime_s));
    line(out, "uptime_in_days", static_cast<uint64_t>(snapshot->uptime_s / 86400));
  }
}

void clientsSection(PoolRuntime& pool, const std::optional<stats::Snapshot>& snapshot,
                    std::string& out) {
  const SharedState& shared = pool.worker.shared();
  out += "# Clients\r\n";
  line(out, "connected_clients", shared.pool_clients[pool.index].load(std::memory_order_relaxed));
  line(out, "maxclients", shared.config.process.max_clients);
  line(out, "blocked_clients", snapshot ? stats::blockedClients(*snapshot, pool.index) : 0);
  line(out, "rejected_connections", shared.rejected_clients.load(std::memory_order_relaxed));
}

// Redis's figures: the channels, patterns and shard channels this pool's clients subscribe
// to, each counted once, whichever worker and server carry it.
void pubsubLines(PoolRuntime& pool, std::string& out) {
  PubSubRegistry& registry = pool.worker.shared().pubsub(pool.index);
  line(out, "pubsub_channels", registry.active(SubKind::kChannel));
  line(out, "pubsub_patterns", registry.active(SubKind::kPattern));
  line(out, "pubsubshard_channels", registry.active(SubKind::kShard));
}

// The client's pool and its servers, with each server's state as this worker sees it. Other
// pools are other tenants: their names and servers are on the admin port only.
void shardisSection(PoolRuntime& pool, std::string& out) {
  const config::Pool& config = pool.config();
  out += "# Shardis\r\n";
  line(out, "client_pool", config.name);
  line(out, "pool_servers", config.servers.size());
  for (size_t s = 0; s < config.servers.size(); ++s) {
    stats::ServerState state = pool.worker.stats().server(pool.index, pool.every_server[s]).state;
    line(out, "pool_server" + std::to_string(s),
         "name=" + config.servers[s].name + ",addr=" + config.servers[s].address_text +
             ",state=" + std::string(stats::serverStateName(state)));
  }
}

void keyspaceSection(const ServersInfo* servers, std::string& out) {
  out += "# Keyspace\r\n";
  if (servers == nullptr) return;
  for (const auto& [db, space] : servers->databases) {
    int64_t avg_ttl = space.expires == 0 ? 0 : space.ttl_sum / space.expires;
    line(out, "db" + std::to_string(db),
         "keys=" + std::to_string(space.keys) + ",expires=" + std::to_string(space.expires) +
             ",avg_ttl=" + std::to_string(avg_ttl));
  }
}

void buildInfo(PoolRuntime& pool, uint32_t sections, const ServersInfo* servers,
               resp::Protocol protocol, std::string& out) {
  std::optional<stats::Snapshot> snapshot;
  if (pool.worker.hub() != nullptr) snapshot = pool.worker.hub()->snapshot();
  std::string text;
  auto section = [&](uint32_t bit, auto&& append) {
    if ((sections & bit) == 0) return;
    if (!text.empty()) text += "\r\n";
    append();
  };
  section(kInfoServer, [&] { serverSection(pool, servers, snapshot, text); });
  section(kInfoClients, [&] { clientsSection(pool, snapshot, text); });
  section(kInfoMemory, [&] { appendMemorySection(text); });
  section(kInfoPersistence, [&] { text += "# Persistence\r\nloading:0\r\nasync_loading:0\r\n"; });
  if (snapshot) {
    section(kInfoStats, [&] {
      stats::appendStatsSection(text, *snapshot, pool.index);
      pubsubLines(pool, text);
    });
  }
  section(kInfoCpu, [&] { appendCpuSection(text); });
  section(kInfoShardis, [&] { shardisSection(pool, text); });
  if (snapshot) {
    section(kInfoCommandstats, [&] { stats::appendCommandStats(text, *snapshot); });
    section(kInfoLatencystats, [&] { stats::appendLatencyStats(text, *snapshot); });
    section(kInfoHotkeys, [&] { stats::appendHotKeys(text, *snapshot, pool.index); });
  }
  section(kInfoKeyspace, [&] { keyspaceSection(servers, text); });
  resp::appendVerbatim(out, "txt", text, protocol);
}

// What INFO and HELLO gather from every server's INFO. A server that cannot answer is left
// out (# Shardis shows its state): a client library's ready check or HELLO must not fail
// because one server is down. The lowest version is remembered for a HELLO run by EXEC.
class ServersInfoMerger : public Merger {
 public:
  ServersInfoMerger(PoolRuntime& pool, resp::Protocol protocol)
      : pool_(pool), protocol_(protocol) {}

  void onPartReply(uint32_t /*part*/, const resp::Reply& reply) final {
    if (std::optional<std::string_view> text = resp::stringValue(reply.raw)) {
      readServerInfo(*text, servers_);
    }
  }
  void onPartFailure(uint32_t /*part*/, std::string_view /*message*/) final {}
  void finish(std::string& reply) final {
    reply.clear();
    if (servers_.lowest) pool_.servers_version = servers_.lowest_text;
    build(reply);
  }

 protected:
  virtual void build(std::string& reply) = 0;

  PoolRuntime& pool_;
  resp::Protocol protocol_;
  ServersInfo servers_;
};

class InfoMerger final : public ServersInfoMerger {
 public:
  InfoMerger(PoolRuntime& pool, uint32_t sections, resp::Protocol protocol)
      : ServersInfoMerger(pool, protocol), sections_(sections) {}

 private:
  void build(std::string& reply) override {
    buildInfo(pool_, sections_, &servers_, protocol_, reply);
  }
  uint32_t sections_;
};

class HelloMerger final : public ServersInfoMerger {
 public:
  HelloMerger(PoolRuntime& pool, uint64_t id, resp::Protocol protocol)
      : ServersInfoMerger(pool, protocol), id_(id) {}

 private:
  void build(std::string& reply) override {
    appendHelloReply(servers_.lowest ? std::string_view(servers_.lowest_text) : kRedisVersion, id_,
                     protocol_, reply);
  }
  uint64_t id_;
};

}  // namespace

uint32_t infoSections(std::span<const std::string_view> argv) {
  constexpr uint32_t kDefault = kInfoServer | kInfoClients | kInfoMemory | kInfoPersistence |
                                kInfoStats | kInfoCpu | kInfoShardis | kInfoKeyspace;
  constexpr uint32_t kAll = kDefault | kInfoCommandstats | kInfoLatencystats | kInfoHotkeys;
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"server", kInfoServer},
      {"clients", kInfoClients},
      {"memory", kInfoMemory},
      {"cpu", kInfoCpu},
      {"persistence", kInfoPersistence},
      {"stats", kInfoStats},
      {"shardis", kInfoShardis},
      {"commandstats", kInfoCommandstats},
      {"latencystats", kInfoLatencystats},
      {"hotkeys", kInfoHotkeys},
      {"keyspace", kInfoKeyspace},
      {"default", kDefault},
      {"all", kAll},
      {"everything", kAll},
  };
  if (argv.size() < 2) return kDefault;
  uint32_t sections = 0;
  for (std::string_view name : argv.subspan(1)) {
    for (const auto& [known, bits] : kNames) {
      if (command::isKeyword(name, known)) sections |= bits;
    }
  }
  return sections;
}

void appendInfo(PoolRuntime& pool, uint32_t sections, resp::Protocol protocol, std::string& out) {
  buildInfo(pool, sections, nullptr, protocol, out);
}

std::unique_ptr<Merger> makeInfoMerger(PoolRuntime& pool, uint32_t sections,
                                       resp::Protocol protocol) {
  return std::make_unique<InfoMerger>(pool, sections, protocol);
}

std::unique_ptr<Merger> makeHelloMerger(PoolRuntime& pool, uint64_t id, resp::Protocol protocol) {
  return std::make_unique<HelloMerger>(pool, id, protocol);
}

}  // namespace shardis::proxy
