// The merge-path helpers declared in reply_decoder.h. They walk a reply that ReplyDecoder has
// already accepted, so they favour simplicity over speed, but stay safe on any input.

#include <cstring>

#include "resp/line_parser.h"
#include "resp/reply_decoder.h"

namespace shardis::resp {
namespace {

struct Header {
  char kind;
  std::string_view line;  // between the type byte and the CRLF
  size_t next;            // offset just past the CRLF
};

std::optional<Header> readHeader(std::string_view raw, size_t pos) {
  if (pos + 1 > raw.size()) return std::nullopt;
  const void* cr = std::memchr(raw.data() + pos, '\r', raw.size() - pos);
  if (cr == nullptr) return std::nullopt;
  const auto at = static_cast<size_t>(static_cast<const char*>(cr) - raw.data());
  if (at + 1 >= raw.size() || raw[at + 1] != '\n') return std::nullopt;
  return Header{raw[pos], raw.substr(pos + 1, at - pos - 1), at + 2};
}

bool isBlob(char kind) { return kind == '$' || kind == '=' || kind == '!'; }
bool isAggregate(char kind) {
  return kind == '*' || kind == '%' || kind == '~' || kind == '>' || kind == '|';
}

// Offset just past the one complete reply (attributes included) that starts at `pos`. Rather
// than recurse, it counts how many elements are still owed, so nesting costs no stack.
std::optional<size_t> skipReply(std::string_view raw, size_t pos) {
  uint64_t owed = 1;
  while (owed > 0) {
    const auto header = readHeader(raw, pos);
    if (!header) return std::nullopt;
    --owed;
    pos = header->next;
    if (!isBlob(header->kind) && !isAggregate(header->kind)) continue;
    const auto count = detail::parseInteger(header->line);
    if (!count || *count < -1) return std::nullopt;
    if (*count == -1) continue;
    const auto n = static_cast<uint64_t>(*count);
    if (isBlob(header->kind)) {
      if (raw.size() - pos < n + 2) return std::nullopt;
      pos += static_cast<size_t>(n) + 2;
      continue;
    }
    const bool paired = header->kind == '%' || header->kind == '|';
    // An attribute is followed by the value it annotates, which is still owed.
    const uint64_t more = n * (paired ? 2 : 1) + (header->kind == '|' ? 1 : 0);
    // Every element takes at least three bytes, so a larger count cannot be honest.
    if (more > raw.size() || owed + more > raw.size()) return std::nullopt;
    owed += more;
  }
  return pos;
}

// Offset of the reply proper, past any leading attributes.
std::optional<size_t> skipAttributes(std::string_view raw) {
  size_t pos = 0;
  while (pos < raw.size() && raw[pos] == '|') {
    const auto header = readHeader(raw, pos);
    if (!header) return std::nullopt;
    const auto pairs = detail::parseInteger(header->line);
    if (!pairs || *pairs < 0 || static_cast<uint64_t>(*pairs) > raw.size()) return std::nullopt;
    pos = header->next;
    for (int64_t i = 0; i < *pairs * 2; ++i) {
      const auto next = skipReply(raw, pos);
      if (!next) return std::nullopt;
      pos = *next;
    }
  }
  return pos;
}

std::optional<Header> replyHeader(std::string_view raw) {
  const auto start = skipAttributes(raw);
  if (!start) return std::nullopt;
  return readHeader(raw, *start);
}

}  // namespace

bool isError(const Reply& reply) {
  return reply.type == ReplyType::kError || reply.type == ReplyType::kBlobError;
}

std::optional<int64_t> integerValue(std::string_view raw_reply) {
  const auto header = replyHeader(raw_reply);
  if (!header || header->kind != ':') return std::nullopt;
  return detail::parseInteger(header->line);
}

std::optional<std::string_view> stringValue(std::string_view raw_reply) {
  const auto header = replyHeader(raw_reply);
  if (!header) return std::nullopt;
  if (header->kind == '+') return header->line;
  if (header->kind != '$' && header->kind != '=') return std::nullopt;
  const auto length = detail::parseInteger(header->line);
  if (!length || *length < 0) return std::nullopt;
  const auto n = static_cast<uint64_t>(*length);
  if (raw_reply.size() - header->next < n) return std::nullopt;
  std::string_view payload = raw_reply.substr(header->next, static_cast<size_t>(n));
  if (header->kind == '=') {
    if (payload.size() < 4 || payload[3] != ':') return std::nullopt;
    payload.remove_prefix(4);
  }
  return payload;
}

bool arrayElements(std::string_view raw_reply, std::vector<std::string_view>& elements) {
  elements.clear();
  const auto start = skipAttributes(raw_reply);
  if (!start) return false;
  const auto header = readHeader(raw_reply, *start);
  if (!header ||
      (header->kind != '*' && header->kind != '~' && header->kind != '>' && header->kind != '%')) {
    return false;
  }
  auto count = detail::parseInteger(header->line);
  if (!count || *count < 0 || static_cast<uint64_t>(*count) > raw_reply.size()) return false;
  if (header->kind == '%') *count *= 2;
  size_t pos = header->next;
  for (int64_t i = 0; i < *count; ++i) {
    const auto next = skipReply(raw_reply, pos);
    if (!next) {
      elements.clear();
      return false;
    }
    elements.push_back(raw_reply.substr(pos, *next - pos));
    pos = *next;
  }
  return true;
}

}  // namespace shardis::resp
