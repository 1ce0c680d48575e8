#pragma once

// Case folding for command names and keywords: ASCII only, as the server's strcasecmp.
// Internal to the command module.

#include <string_view>

namespace shardis::command {

// ASCII lowercase without a branch.
inline unsigned char foldCase(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return static_cast<unsigned char>(byte + ((static_cast<unsigned>(byte - 'A') < 26u) << 5));
}

// `lower` is lowercase and no longer than `text`; compares its length's worth of `text`.
inline bool prefixEqualsFolded(std::string_view lower, std::string_view text) {
  for (size_t i = 0; i < lower.size(); ++i) {
    if (foldCase(text[i]) != static_cast<unsigned char>(lower[i])) {
      return false;
    }
  }
  return true;
}

// True when the client's `text` is the keyword `lower`, in any case.
inline bool isKeyword(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() && prefixEqualsFolded(lower, text);
}

// Both sides from outside the proxy's own lowercase tables (a key spec's keyword is "STORE").
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (foldCase(a[i]) != foldCase(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace shardis::command
