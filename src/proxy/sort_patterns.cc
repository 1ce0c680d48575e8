#include "proxy/sort_patterns.h"

#include "command/ascii.h"

namespace shardis::proxy {

namespace {

using command::isKeyword;

// Empty when the pattern's keys all live on `server`.
std::string checkPattern(std::string_view option, std::string_view pattern,
                         const hash::HashTag& tag, ServerLocator& locator, uint32_t server) {
  if (pattern == "#") return {};
  // Redis substitutes the first '*' only; with none the pattern reads no key (BY: no sort,
  // GET: a nil per element). What follows the '*' (a "->field" too) cannot move a key
  // whose tag is complete before it.
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return {};
  std::string_view routing_key = tag.prefixRoutingKey(pattern.substr(0, star));
  if (routing_key.empty()) {
    // Redis Cluster's own words: no tag can make this pattern's keys land in one place.
    return "ERR " + std::string(option) + " option of SORT denied in Cluster mode.";
  }
  if (locator.locate(routing_key) != server) return crossSlotError();
  return {};
}

}  // namespace

std::string checkSortPatterns(std::span<const std::string_view> argv, const hash::HashTag& tag,
                              ServerLocator& locator, uint32_t server) {
  for (size_t j = 2; j < argv.size(); ++j) {
    size_t left = argv.size() - j - 1;
    std::string_view arg = argv[j];
    if (isKeyword(arg, "asc") || isKeyword(arg, "desc") || isKeyword(arg, "alpha")) continue;
    if (isKeyword(arg, "limit") && left >= 2) {
      j += 2;
    } else if (isKeyword(arg, "store") && left >= 1) {
      ++j;  // a key of the request: the router placed it already
    } else if ((isKeyword(arg, "by") || isKeyword(arg, "get")) && left >= 1) {
      std::string error =
          checkPattern(isKeyword(arg, "by") ? "BY" : "GET", argv[j + 1], tag, locator, server);
      if (!error.empty()) return error;
      ++j;
    } else {
      return {};  // a syntax error: the server's to answer
    }
  }
  return {};
}

}  // namespace shardis::proxy
