#include "config/redact_url.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace shardis::config::detail {

namespace {

constexpr std::string_view kRedacted = "(redacted)";

// [begin, end) offsets of the passwords in `text`, in order, not overlapping.
using Spans = std::vector<std::pair<size_t, size_t>>;

void addQueryPasswords(std::string_view text, size_t from, Spans& spans) {
  constexpr std::string_view kKey = "password=";
  for (size_t at = text.find('?', from); at != std::string_view::npos;
       at = text.find('&', at + 1)) {
    if (text.substr(at + 1, kKey.size()) != kKey) continue;
    size_t begin = at + 1 + kKey.size();
    size_t end = std::min(text.find('&', begin), text.size());
    spans.emplace_back(begin, end);
  }
}

Spans secretSpans(std::string_view text) {
  Spans spans;
  const size_t scheme = text.find("://");
  if (scheme == std::string_view::npos) return spans;
  const size_t start = scheme + 3;
  const size_t at = text.rfind('@');
  size_t query_from = start;
  if (at != std::string_view::npos && at > start) {
    const size_t colon = text.find(':', start);
    if (colon < at) spans.emplace_back(colon + 1, at);
    query_from = at;
  }
  addQueryPasswords(text, query_from, spans);
  return spans;
}

bool overlaps(size_t begin, size_t end, const Spans& spans) {
  return std::any_of(spans.begin(), spans.end(),
                     [&](const auto& span) { return begin < span.second && span.first < end; });
}

// Whether a '...' quote in `reason` is a piece of `text` that overlaps a password.
bool quotesSecret(std::string_view text, std::string_view reason, const Spans& spans) {
  for (size_t open = reason.find('\''); open != std::string_view::npos;) {
    const size_t close = reason.find('\'', open + 1);
    if (close == std::string_view::npos) return false;
    std::string_view quoted = reason.substr(open + 1, close - open - 1);
    for (size_t at = text.find(quoted); !quoted.empty() && at != std::string_view::npos;
         at = text.find(quoted, at + 1)) {
      if (overlaps(at, at + quoted.size(), spans)) return true;
    }
    open = reason.find('\'', close + 1);
  }
  return false;
}

}  // namespace

std::string redactUrl(std::string_view text) {
  std::string out;
  size_t copied = 0;
  for (const auto& [begin, end] : secretSpans(text)) {
    out.append(text.substr(copied, begin - copied)).append(kRedacted);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

std::string redactUrlReason(std::string_view text, std::string_view reason) {
  const Spans spans = secretSpans(text);
  if (!quotesSecret(text, reason, spans)) return std::string(reason);
  const bool cut = std::any_of(spans.begin(), spans.end(), [&](const auto& span) {
    return text.substr(span.first, span.second - span.first).find_first_of("/?") !=
           std::string_view::npos;
  });
  if (!cut) return "is not a valid redis:// URL";
  return "has a '/' or '?' in its password, which cuts the URL short; write them as %2F and "
         "%3F";
}

}  // namespace shardis::config::detail
