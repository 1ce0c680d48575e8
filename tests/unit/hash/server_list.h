// Test helpers that read the recorded placement vectors (tests/data/*.tsv): twemproxy's
// server strings with its naming and ordering rules, and the escaped key column.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hash/ring.h"

namespace shardis::hash::testing {

// "host:port:weight [name]" or "/path.sock:weight [name]" -> a ring member named as twemproxy
// names it: the explicit name, else "host:port" as written (the host alone for port 11211),
// and "/path.sock:" for an unnamed unix socket. nullopt if the text is malformed.
std::optional<RingMember> parseTwemproxyServer(std::string_view text);

// twemproxy's server order: shorter names first, then byte order.
void sortTwemproxy(std::vector<RingMember>& members);

// A vectors "servers" column: "label:entry|entry|...", sorted as twemproxy sorts them.
std::optional<std::vector<RingMember>> parseTwemproxyServerList(std::string_view column);

// A redis-shard vectors "servers" column: names joined by ',' in ring insertion order.
std::vector<RingMember> parseRedisShardServerList(std::string_view column);

// The key column of twemproxy.tsv: the two characters "\t" stand for one TAB byte.
std::string unescapeKey(std::string_view text);

// One TSV file without its '#' comment lines: rows of tab-separated fields, the header first.
struct TsvFile {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
std::optional<TsvFile> readTsv(const std::string& path);

}  // namespace shardis::hash::testing
