#include "server_list.h"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace shardis::hash::testing {
namespace {

std::optional<uint32_t> parseNumber(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::optional<RingMember> parseTwemproxyServer(std::string_view text) {
  std::string_view name;
  if (const size_t space = text.find(' '); space != std::string_view::npos) {
    name = text.substr(space + 1);
    text = text.substr(0, space);
  }
  const size_t weight_colon = text.rfind(':');
  if (weight_colon == std::string_view::npos) return std::nullopt;
  const auto weight = parseNumber(text.substr(weight_colon + 1));
  if (!weight || *weight == 0) return std::nullopt;
  const std::string_view address = text.substr(0, weight_colon);
  RingMember member{std::string(name), *weight};
  if (!member.name.empty()) return member;
  if (address.starts_with('/')) {
    member.name = std::string(address) + ":";  // twemproxy appends the (empty) port
    return member;
  }
  const size_t port_colon = address.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  const auto port = parseNumber(address.substr(port_colon + 1));
  if (!port) return std::nullopt;
  member.name = std::string(*port == 11211 ? address.substr(0, port_colon) : address);
  return member;
}

void sortTwemproxy(std::vector<RingMember>& members) {
  std::sort(members.begin(), members.end(), [](const RingMember& a, const RingMember& b) {
    if (a.name.size() != b.name.size()) return a.name.size() < b.name.size();
    return std::lexicographical_compare(
        a.name.begin(), a.name.end(), b.name.begin(), b.name.end(), [](char x, char y) {
          return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
        });
  });
}

std::optional<std::vector<RingMember>> parseTwemproxyServerList(std::string_view column) {
  // Each list carries a label ("named3:", "weighted4:") before its first ':'.
  const size_t colon = column.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::vector<RingMember> members;
  for (const std::string& entry : split(column.substr(colon + 1), '|')) {
    auto member = parseTwemproxyServer(entry);
    if (!member) return std::nullopt;
    members.push_back(std::move(*member));
  }
  sortTwemproxy(members);
  return members;
}

std::vector<RingMember> parseRedisShardServerList(std::string_view column) {
  std::vector<RingMember> members;
  for (std::string& name : split(column, ',')) members.push_back(RingMember{std::move(name), 1});
  return members;
}

std::string unescapeKey(std::string_view text) {
  std::string key;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 't') {
      key.push_back('\t');
      ++i;
    } else {
      key.push_back(text[i]);
    }
  }
  return key;
}

std::optional<TsvFile> readTsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  TsvFile file;
  std::string line;
  bool have_header = false;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!have_header) {
      file.header = split(line, '\t');
      have_header = true;
    } else {
      file.rows.push_back(split(line, '\t'));
    }
  }
  if (!have_header) return std::nullopt;
  return file;
}

}  // namespace shardis::hash::testing
