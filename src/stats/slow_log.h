// SlowLog: the last slowlog_max_len commands that took at least slowlog_log_slower_than µs
// (proxy receive to reply written), with Redis's SLOWLOG GET/LEN/RESET on top. Entries keep
// no secret: passwords are replaced with "(redacted)" as Redis replaces them (redact.h).
//
// Each pool has one SlowLog, shared by all workers, behind a mutex. The threshold test
// (slower()) is a lock-free comparison against a constant, so a fast command costs one
// branch; only a slow one builds an entry and takes the lock. A shared log keeps Redis's
// behaviour: one id sequence, SLOWLOG GET sees a slow command at once on any connection of
// the pool, and SLOWLOG RESET empties it for all of them. (Per-worker logs would need
// merging and could only be read once a second.) With slowlog_log_slower_than 0 every command
// is logged and the lock is taken on every reply: that setting is for debugging, as it is in
// Redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardis::stats {

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t time_s = 0;  // unix seconds when logged
  uint64_t duration_us = 0;
  std::vector<std::string> argv;  // truncated as Redis truncates it
  std::string client_addr;        // "ip:port"
  std::string client_name;
  std::vector<std::string> servers;  // the server(s) the command went to, if any
};

class SlowLog {
 public:
  // Redis's limits on what an entry keeps of a command.
  static constexpr size_t kMaxArgc = 32;
  static constexpr size_t kMaxArgBytes = 128;

  using Clock = int64_t (*)();  // unix seconds; replaceable for tests

  SlowLog(int64_t log_slower_than_us, uint32_t max_len, Clock clock = nullptr);
  SlowLog(const SlowLog&) = delete;
  SlowLog& operator=(const SlowLog&) = delete;

  // Negative threshold: off; 0: every command, as Redis.
  [[nodiscard]] bool slower(uint64_t duration_us) const {
    return log_slower_than_us_ >= 0 && duration_us >= static_cast<uint64_t>(log_slower_than_us_);
  }

  // On every reply written: logs the command if slower(duration_us). Any thread.
  void record(uint64_t duration_us, std::span<const std::string_view> argv,
              std::string_view client_addr, std::string_view client_name,
              std::span<const std::string_view> servers) {
    if (slower(duration_us)) push(duration_us, argv, client_addr, client_name, servers);
  }

  void push(uint64_t duration_us, std::span<const std::string_view> argv,
            std::string_view client_addr, std::string_view client_name,
            std::span<const std::string_view> servers);

  [[nodiscard]] size_t length() const;
  void reset();
  // The newest `count` entries, newest first.
  [[nodiscard]] std::vector<SlowLogEntry> newest(size_t count) const;

  // argv as Redis keeps it in an entry: secrets redacted (redact.h), then cut to kMaxArgc
  // arguments of kMaxArgBytes.
  [[nodiscard]] static std::vector<std::string> truncateArgv(
      std::span<const std::string_view> argv);

 private:
  const int64_t log_slower_than_us_;
  const size_t max_len_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::deque<SlowLogEntry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

// SLOWLOG GET [count] / LEN / RESET / HELP: appends the reply (RESP2 shape, as redis-server
// sends it) to `out`. argv[0] is "SLOWLOG". Each GET entry is Redis 7's six fields (id, unix
// time, µs, argv, client addr:port, client name) plus a seventh of ours: the array of server
// names the command went to.
void slowlogCommand(SlowLog& log, std::span<const std::string_view> argv, std::string& out);

}  // namespace shardis::stats
