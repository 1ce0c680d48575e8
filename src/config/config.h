// Plain structs that describe a loaded configuration file, and the loader that fills them.
// The loader (config/loader.cc) is the only code in shardis that throws: it validates the
// whole file before anything starts, and main() turns a config::Error into its message.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hash/hash_kind.h"

namespace shardis::config {

// A load or validation failure. what() is the full operator-facing message, always of the
// form "FILE:LINE:COLUMN: pool 'NAME': ..." where the position points at the offending value.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a pool listens: a TCP address (IPv4 or IPv6) or a unix socket path.
struct ListenAddress {
  enum class Kind : uint8_t { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;          // "127.0.0.1", "::1", "0.0.0.0" (kTcp)
  uint16_t port = 0;         // kTcp
  std::string path;          // kUnix
  uint32_t permissions = 0;  // kUnix: octal mode from "/path.sock 0666", 0 = leave as created
  std::string text;          // as written in the file, for logs and the stats output
};

// One backend redis server of a pool.
struct Server {
  std::string name;  // twemproxy's naming rule; unique within the pool
  std::string host;  // empty for a unix socket
  uint16_t port = 0;
  std::string unix_path;     // non-empty for a unix socket server
  uint32_t weight = 1;       // >= 1
  std::string address_text;  // "host:port" or the socket path, as written
  // Per-server settings a redis-shard URL or mapping may carry; unset means the pool's.
  std::optional<int> db;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<uint32_t> max_connections;
  // Read replicas of this server: `replicas: [host:port, ...]` in order, without Sentinel;
  // with one, those Sentinel calls healthy (the key is refused), sorted by address. Each
  // inherits the server's login and db.
  struct Replica {
    std::string host;
    uint16_t port = 0;
    std::string address_text;  // as written
    bool operator==(const Replica&) const = default;
  };
  std::vector<Replica> replicas;
  // In a pool with a sentinel: the Sentinel master name (master_prefix + name), whose address
  // Sentinel gives at start and after each failover; host, port and address_text stay empty
  // until then. Empty without a sentinel.
  std::string master_name;
};

// One Sentinel instance a pool asks for its masters' addresses.
struct SentinelHost {
  std::string host;
  uint16_t port = 0;
  bool operator==(const SentinelHost&) const = default;
};

// A pool's `sentinel:` section, in redis-shard's shape ({hosts, socket_timeout}) plus the
// credentials and master name prefix a shared Sentinel deployment needs.
struct Sentinel {
  std::vector<SentinelHost> hosts;  // asked in this order; at least one
  int64_t timeout_ms = 1000;        // socket_timeout: bounds each connect, send and reply
  std::optional<std::string> username;
  std::optional<std::string> password;  // AUTH [username] password before anything else
  std::string master_prefix;            // prepended to each server name
  bool operator==(const Sentinel&) const = default;
};

// Where a pool's read-only commands go (`read_from`).
enum class ReadFrom : uint8_t {
  kMaster,         // every command to the server itself (the default)
  kReplica,        // reads to the server's replicas
  kPreferReplica,  // reads to a replica that is up, else to the server itself
};

// One pool: a listen address in front of a ring of servers. Defaults are twemproxy's.
struct Pool {
  std::string name;
  ListenAddress listen;
  hash::HashKind hash = hash::HashKind::kFnv1a_64;
  // Two characters for twemproxy distributions ("" = no tag). For redis_shard: "{}" by
  // default (the library's rule), "" turns tags off.
  std::string hash_tag;
  hash::Distribution distribution = hash::Distribution::kKetama;
  int64_t timeout_ms = -1;  // per request; -1 = wait forever (twemproxy's default)
  int backlog = 512;
  bool preconnect = false;
  std::string redis_auth;  // empty = no password
  int redis_db = 0;
  uint32_t server_connections = 1;
  // Leased connections (transactions) one worker may hold to one server at once; sized so
  // that 10,000 clients (max_clients' default) can each hold one.
  uint32_t max_leased_connections = 10000;
  bool auto_eject_hosts = false;
  int64_t server_retry_timeout_ms = 30000;
  uint32_t server_failure_limit = 2;
  uint32_t client_connections = 0;  // 0 = unlimited (the process-wide maximum still holds)
  bool tcpkeepalive = false;
  bool reuseport = false;
  ReadFrom read_from = ReadFrom::kMaster;
  // Set: servers are names only and Sentinel gives their masters' addresses.
  std::optional<Sentinel> sentinel;
  // In ring order: sorted by name (shorter first, then bytes) for ketama, modula and random,
  // as twemproxy sorts them; in the listed order for redis_shard.
  std::vector<Server> servers;
};

// Limits of the RESP front end (DESIGN.md decision 2); Redis's own defaults.
struct ProtocolLimits {
  uint64_t max_bulk_len = 512ull << 20;
  uint32_t max_array_len = 1u << 20;
  uint32_t max_depth = 128;
  uint32_t max_inline_len = 64u << 10;
};

// Redis's client-output-buffer-limit for its normal class: a client that owes at least
// hard_bytes of replies is closed at once, one that owes at least soft_bytes for more than
// soft_seconds too; 0 turns either off. What counts is what the client owes beyond the one
// reply it may be reading (proxy/output_limit.h). The default, as Redis's, is no limit.
struct OutputBufferLimit {
  uint64_t hard_bytes = 0;
  uint64_t soft_bytes = 0;
  uint32_t soft_seconds = 0;
  bool operator==(const OutputBufferLimit&) const = default;
};

// The optional top-level `shardis:` section: process-wide settings.
struct Process {
  int threads = 0;  // 0 = one worker per usable CPU (app/cpus.h)
  std::string stats_addr = "127.0.0.1";
  int stats_port = 22222;
  std::string admin_listen;  // "host:port" of the HTTP admin port; empty = off
  std::string log_level = "info";
  std::string log_file;  // empty = stderr
  uint32_t max_clients = 10000;
  OutputBufferLimit client_output_buffer_limit;
  // Redis's `client-output-buffer-limit pubsub 32mb 8mb 60`: for clients in subscribed mode.
  OutputBufferLimit client_output_buffer_limit_pubsub{32ull << 20, 8ull << 20, 60};
  // Backpressure: bytes of requests read and not yet answered, per client and per server
  // connection, each request counted with what the proxy keeps for it. Over a limit the
  // clients concerned are not read until the queue is down to half of it. 0 = no limit.
  uint64_t client_queue_limit = 64ull << 20;
  uint64_t server_queue_limit = 64ull << 20;
  int64_t slowlog_log_slower_than_us = 10000;
  uint32_t slowlog_max_len = 128;
  bool hotkeys = false;
  ProtocolLimits limits;
};

struct Config {
  std::string file;  // path it was loaded from
  Process process;
  std::vector<Pool> pools;  // in file order
};

// Loads and validates a file. Throws config::Error.
Config loadFile(const std::string& path);
// Same, from text; `file_name` is used in messages.
Config loadString(std::string_view yaml, std::string_view file_name);

}  // namespace shardis::config
