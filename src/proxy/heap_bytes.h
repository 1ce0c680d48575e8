// The heap memory a std::string owns, for the memory figures of CLIENT LIST (tot-mem): none
// while its bytes fit inline in the object (the small-string buffer), else its capacity and
// terminator.
#pragma once

#include <cstddef>
#include <string>

namespace shardis::proxy {

inline size_t stringHeapBytes(const std::string& text) {
  const auto* inside = reinterpret_cast<const char*>(&text);
  bool inline_bytes = text.data() >= inside && text.data() < inside + sizeof(std::string);
  return inline_bytes ? 0 : text.capacity() + 1;
}

}  // namespace shardis::proxy
