// INFO as the proxy answers it: its own sections (Server, Clients, Memory, Persistence, Stats,
// CPU, Shardis, Commandstats, Latencystats, Hotkeys) plus Keyspace summed over the pool's servers.
// A pool is a tenant of its own: Clients, Stats, Shardis and Hotkeys speak of the client's
// pool only, and no section names another pool or its servers (the admin port does).
// Commandstats and Latencystats are counted per command for the whole process.
// `redis_version` is the lowest version among the servers that answered, so that a client
// library that adapts to the server version never uses a command a backend lacks.
//
// When the sections asked for need the servers (Server, Keyspace), ClientSession sends
// kServerInfoRequest to every server and the InfoMerger builds the reply from their answers;
// a server that fails is left out (its state shows in # Shardis) rather than failing INFO,
// because client libraries run INFO as their ready check.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "proxy/pending_queue.h"
#include "resp/encoder.h"

namespace shardis::proxy {

struct PoolRuntime;

enum InfoSection : uint32_t {
  kInfoServer = 1u << 0,
  kInfoClients = 1u << 1,
  kInfoPersistence = 1u << 2,
  kInfoStats = 1u << 3,
  kInfoShardis = 1u << 4,
  kInfoCommandstats = 1u << 5,
  kInfoLatencystats = 1u << 6,
  kInfoHotkeys = 1u << 7,
  kInfoKeyspace = 1u << 8,
  kInfoMemory = 1u << 9,
  kInfoCpu = 1u << 10,
};

inline constexpr std::string_view kServerInfoRequest =
    "*3\r\n$4\r\nINFO\r\n$6\r\nserver\r\n$8\r\nkeyspace\r\n";
// What HELLO asks every server: its version.
inline constexpr std::string_view kServerVersionRequest = "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";

// The sections INFO's arguments name (argv[0] is INFO); none = Redis's "default" set.
uint32_t infoSections(std::span<const std::string_view> argv);
inline bool infoNeedsServers(uint32_t sections) {
  return (sections & (kInfoServer | kInfoKeyspace)) != 0;
}

// The reply without asking the servers (no section needs them), verbatim text in RESP3.
void appendInfo(PoolRuntime& pool, uint32_t sections, resp::Protocol protocol, std::string& out);
// Collects the servers' answers to kServerInfoRequest; `pool` outlives it.
std::unique_ptr<Merger> makeInfoMerger(PoolRuntime& pool, uint32_t sections,
                                       resp::Protocol protocol);
// HELLO's reply for client `id` from the servers' answers to kServerVersionRequest (a server
// that fails is left out, as for INFO); remembers the lowest in pool.servers_version.
std::unique_ptr<Merger> makeHelloMerger(PoolRuntime& pool, uint64_t id, resp::Protocol protocol);

}  // namespace shardis::proxy
