#include "proxy/glob_match.h"

#include <cstddef>

namespace shardis::proxy {

namespace {

// Whether `c` is in the set that opens at pattern[at] ('['), and where the set ends. An
// unterminated set runs to the end of the pattern, as in Redis.
bool inSet(std::string_view pattern, size_t& at, unsigned char c) {
  size_t i = at + 1;
  bool negate = i < pattern.size() && pattern[i] == '^';
  if (negate) ++i;
  bool found = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      found |= static_cast<unsigned char>(pattern[i + 1]) == c;
      i += 2;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      auto low = static_cast<unsigned char>(pattern[i]);
      auto high = static_cast<unsigned char>(pattern[i + 2]);
      if (low > high) std::swap(low, high);
      found |= c >= low && c <= high;
      i += 3;
    } else {
      found |= static_cast<unsigned char>(pattern[i]) == c;
      ++i;
    }
  }
  at = i < pattern.size() ? i + 1 : i;
  return found != negate;
}

// Whether the one-byte token at pattern[at] (not '*') matches `c`; `at` moves past it.
bool matchToken(std::string_view pattern, size_t& at, unsigned char c) {
  switch (pattern[at]) {
    case '?':
      ++at;
      return true;
    case '[':
      return inSet(pattern, at, c);
    case '\\':
      if (at + 1 < pattern.size()) {
        at += 2;
        return static_cast<unsigned char>(pattern[at - 1]) == c;
      }
      break;
    default:
      break;
  }
  return static_cast<unsigned char>(pattern[at++]) == c;
}

}  // namespace

// One pass with backtracking to the last '*' only: a later '*' can always absorb what an
// earlier one would, so no pattern costs more than pattern × text steps.
bool globMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;  // the pattern just after the last '*'
  size_t star_text = 0;                  // where the text stood when that '*' was met
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      star = p;
      star_text = t;
      continue;
    }
    size_t next = p;
    if (p < pattern.size() && matchToken(pattern, next, static_cast<unsigned char>(text[t]))) {
      p = next;
      ++t;
      continue;
    }
    if (star == std::string_view::npos) return false;
    p = star;
    t = ++star_text;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace shardis::proxy
