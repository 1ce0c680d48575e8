#pragma once

// Internal helpers shared by the decoders: finding the end of a CRLF-terminated line without
// scanning a byte twice, and parsing the lengths that RESP headers carry.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace shardis::resp::detail {

// Parses a signed decimal the way Redis's string2ll does: an optional '-', then digits with no
// leading zero (a lone "0" excepted) and no '+' or spaces; nullopt on anything else, including
// overflow of int64_t. Lengths on the wire are short, so this stays a simple loop.
inline std::optional<int64_t> parseInteger(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  const char* p = text.data();
  const char* end = p + text.size();
  const bool negative = *p == '-';
  if (negative && ++p == end) return std::nullopt;
  if (*p == '0') {
    // "0" is fine; "01", "-0" and "00" are not numbers Redis would write.
    if (p + 1 == end && !negative) return 0;
    return std::nullopt;
  }
  uint64_t magnitude = 0;
  for (; p != end; ++p) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
    if (digit > 9) return std::nullopt;
    if (magnitude > (UINT64_MAX - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
  }
  constexpr auto kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMaxPositive + 1) return std::nullopt;
    // -(2^63) cannot be negated in int64_t, so subtract from -1 instead.
    return magnitude == 0 ? 0 : -static_cast<int64_t>(magnitude - 1) - 1;
  }
  if (magnitude > kMaxPositive) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

enum class LineScan : uint8_t { kFound, kNeedMore, kTooLong, kBadTerminator };

// Looks for the "\r\n" that ends the line starting at `line_start` in `pending`. `scan_from`
// is where the previous call stopped looking; it advances so that resumption never rescans.
// A line whose content would exceed `max_len` bytes is kTooLong whether or not its CRLF has
// arrived, so the answer does not depend on how the bytes were split. On kFound, `line_end`
// is the offset of the '\r'.
inline LineScan findLineEnd(std::string_view pending, size_t line_start, size_t& scan_from,
                            uint64_t max_len, size_t& line_end) {
  if (scan_from < line_start) scan_from = line_start;
  const auto limit_end =
      static_cast<uint64_t>(line_start) + max_len;  // the '\r' may sit at most here
  size_t search_end = pending.size();
  if (search_end > limit_end + 1) search_end = static_cast<size_t>(limit_end + 1);
  if (scan_from < search_end) {
    const void* cr = std::memchr(pending.data() + scan_from, '\r', search_end - scan_from);
    if (cr != nullptr) {
      const auto at = static_cast<size_t>(static_cast<const char*>(cr) - pending.data());
      scan_from = at;
      if (at + 1 >= pending.size()) return LineScan::kNeedMore;
      if (pending[at + 1] != '\n') return LineScan::kBadTerminator;
      line_end = at;
      return LineScan::kFound;
    }
    scan_from = search_end;
  }
  if (pending.size() > limit_end) return LineScan::kTooLong;
  return LineScan::kNeedMore;
}

}  // namespace shardis::resp::detail
