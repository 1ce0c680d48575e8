#include "hash/hash_tag.h"

namespace shardis::hash {

HashTag HashTag::none() { return {Kind::kNone, '\0', '\0'}; }

HashTag HashTag::twemproxy(std::string_view two_chars) {
  if (two_chars.size() != 2) return none();
  return {Kind::kTwemproxy, two_chars[0], two_chars[1]};
}

HashTag HashTag::redisShard(std::string_view two_chars) {
  if (two_chars.size() != 2) return none();
  return {Kind::kRedisShard, two_chars[0], two_chars[1]};
}

HashTag HashTag::forPool(Distribution distribution, std::string_view hash_tag) {
  if (hash_tag.empty()) return none();
  return distribution == Distribution::kRedisShard ? redisShard(hash_tag) : twemproxy(hash_tag);
}

std::string_view HashTag::routingKey(std::string_view key) const {
  switch (kind_) {
    case Kind::kNone:
      return key;
    case Kind::kTwemproxy:
      return twemproxyTag(key);
    case Kind::kRedisShard:
      return redisShardTag(key);
  }
  return key;
}

std::string_view HashTag::prefixRoutingKey(std::string_view prefix) const {
  if (kind_ != Kind::kTwemproxy) return {};
  std::string_view tag = twemproxyTag(prefix);
  // twemproxyTag gives back the whole input when it found no tag.
  return tag.data() == prefix.data() && tag.size() == prefix.size() ? std::string_view{} : tag;
}

std::string_view HashTag::twemproxyTag(std::string_view key) const {
  const size_t start = key.find(open_);
  if (start == std::string_view::npos) return key;
  const size_t end = key.find(close_, start + 1);
  // An empty tag ("{}") is ignored and the whole key is hashed, as twemproxy does.
  if (end == std::string_view::npos || end == start + 1) return key;
  return key.substr(start + 1, end - start - 1);
}

std::string_view HashTag::redisShardTag(std::string_view key) const {
  // Python's '.' stops at '\n' and re.match anchors only the start, so the regex sees just
  // the first line. Its greedy groups settle on the last '}' and the last '{' before it.
  const std::string_view line = key.substr(0, key.find('\n'));
  const size_t end = line.rfind(close_);
  if (end == std::string_view::npos || end == 0) return key;
  const size_t start = line.rfind(open_, end - 1);
  if (start == std::string_view::npos) return key;
  return line.substr(start + 1, end - start - 1);
}

}  // namespace shardis::hash
