#include "stats/slow_log.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "resp/encoder.h"
#include "stats/redact.h"

namespace shardis::stats {

namespace {

int64_t systemSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string truncateArg(std::string_view arg) {
  if (arg.size() <= SlowLog::kMaxArgBytes) return std::string(arg);
  std::string kept(arg.substr(0, SlowLog::kMaxArgBytes));
  kept += "... (" + std::to_string(arg.size() - SlowLog::kMaxArgBytes) + " more bytes)";
  return kept;
}

// `lower` is lowercase ASCII; the client may write the subcommand in any case.
bool equalsNoCase(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
         });
}

void appendEntry(std::string& out, const SlowLogEntry& entry) {
  resp::appendArrayHeader(out, 7);
  resp::appendInteger(out, static_cast<int64_t>(entry.id));
  resp::appendInteger(out, entry.time_s);
  resp::appendInteger(out, static_cast<int64_t>(entry.duration_us));
  resp::appendArrayHeader(out, entry.argv.size());
  for (const std::string& arg : entry.argv) resp::appendBulk(out, arg);
  resp::appendBulk(out, entry.client_addr);
  resp::appendBulk(out, entry.client_name);
  resp::appendArrayHeader(out, entry.servers.size());
  for (const std::string& server : entry.servers) resp::appendBulk(out, server);
}

void appendGet(SlowLog& log, std::span<const std::string_view> argv, std::string& out) {
  size_t count = 10;  // Redis's default
  if (argv.size() == 3) {
    int64_t wanted = 0;
    std::string_view text = argv[2];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), wanted);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      resp::appendError(out, "ERR value is not an integer or out of range");
      return;
    }
    if (wanted < -1) {
      resp::appendError(out, "ERR count should be greater than or equal to -1");
      return;
    }
    count = wanted == -1 ? SIZE_MAX : static_cast<size_t>(wanted);
  }
  std::vector<SlowLogEntry> entries = log.newest(count);
  resp::appendArrayHeader(out, entries.size());
  for (const SlowLogEntry& entry : entries) appendEntry(out, entry);
}

void appendHelp(std::string& out) {
  constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]",
      "    Return the <count> newest entries (10 by default, -1 for all). Each entry has",
      "    id, unix time, duration (us), arguments, client address, client name and the",
      "    servers the command was sent to.",
      "LEN",
      "    Return the number of entries.",
      "RESET",
      "    Remove every entry.",
      "HELP",
      "    Print this help.",
  };
  resp::appendArrayHeader(out, std::size(kLines));
  for (std::string_view line : kLines) resp::appendStatus(out, line);
}

}  // namespace

SlowLog::SlowLog(int64_t log_slower_than_us, uint32_t max_len, Clock clock)
    : log_slower_than_us_(log_slower_than_us),
      max_len_(max_len),
      clock_(clock != nullptr ? clock : &systemSeconds) {}

std::vector<std::string> SlowLog::truncateArgv(std::span<const std::string_view> argv) {
  // Past kMaxArgc, the last kept slot says how many arguments were left out.
  size_t kept = std::min(argv.size(), kMaxArgc);
  std::vector<bool> secret = secretArguments(argv);
  std::vector<std::string> out;
  out.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (i == kMaxArgc - 1 && argv.size() > kMaxArgc) {
      out.push_back("... (" + std::to_string(argv.size() - kMaxArgc + 1) + " more arguments)");
    } else if (secret[i]) {
      out.emplace_back(kRedacted);
    } else {
      out.push_back(truncateArg(argv[i]));
    }
  }
  return out;
}

void SlowLog::push(uint64_t duration_us, std::span<const std::string_view> argv,
                   std::string_view client_addr, std::string_view client_name,
                   std::span<const std::string_view> servers) {
  // The entry is built before the lock, so other workers wait only for the list update.
  SlowLogEntry entry;
  entry.time_s = clock_();
  entry.duration_us = duration_us;
  entry.argv = truncateArgv(argv);
  entry.client_addr = client_addr;
  entry.client_name = client_name;
  entry.servers.assign(servers.begin(), servers.end());
  std::lock_guard lock(mutex_);
  entry.id = next_id_++;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len_) entries_.pop_back();
}

size_t SlowLog::length() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void SlowLog::reset() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::vector<SlowLogEntry> SlowLog::newest(size_t count) const {
  std::lock_guard lock(mutex_);
  size_t n = std::min(count, entries_.size());
  return {entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(n)};
}

void slowlogCommand(SlowLog& log, std::span<const std::string_view> argv, std::string& out) {
  if (argv.size() < 2) {
    resp::appendError(out, "ERR wrong number of arguments for 'slowlog' command");
    return;
  }
  std::string_view sub = argv[1];
  if (equalsNoCase(sub, "get") && argv.size() <= 3) return appendGet(log, argv, out);
  if (equalsNoCase(sub, "len") && argv.size() == 2) {
    return resp::appendInteger(out, static_cast<int64_t>(log.length()));
  }
  if (equalsNoCase(sub, "reset") && argv.size() == 2) {
    log.reset();
    return resp::appendStatus(out, "OK");
  }
  if (equalsNoCase(sub, "help") && argv.size() == 2) return appendHelp(out);
  std::string message = "ERR unknown subcommand or wrong number of arguments for '";
  message.append(sub.substr(0, 128)).append("'. Try SLOWLOG HELP.");
  resp::appendError(out, message);
}

}  // namespace shardis::stats
