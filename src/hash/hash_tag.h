// The hash tag rule of a pool: which bytes of a key are hashed to place it. Keys that share
// a tag land on the same server, so multi-key commands on them can run on one server.
// A HashTag is a small value copied into each pool; routingKey() runs on every request.
#pragma once

#include <string_view>

#include "hash/hash_kind.h"

namespace shardis::hash {

class HashTag {
 public:
  // No tag: the whole key is hashed.
  static HashTag none();
  // twemproxy's `hash_tag: "ab"`: from the first `a`, up to the first `b` after it; used only
  // when the text between them is non-empty. `two_chars` must be two bytes (config checks);
  // anything else gives none().
  static HashTag twemproxy(std::string_view two_chars);
  // redis-shard's rule (its regular expression `.*\{(.*)\}.*` matched from the start): only
  // the text before the first '\n' counts; the last '}' there and the last '{' before it
  // delimit the tag, which is used even when empty. The library knows only "{}"; other
  // delimiters apply the same rule with those two characters.
  static HashTag redisShard(std::string_view two_chars = "{}");

  // The rule a pool's `hash_tag` setting means under its distribution: for redis_shard,
  // the library's rule ("" turns it off); otherwise twemproxy's ("" = no tag).
  static HashTag forPool(Distribution distribution, std::string_view hash_tag);

  // The bytes that get hashed: a view into `key`, no allocation.
  [[nodiscard]] std::string_view routingKey(std::string_view key) const;
  // The routing key shared by every key that starts with `prefix`, when the prefix alone
  // decides it (a complete twemproxy tag); empty when what follows could change it (no tag
  // rule, an unclosed tag, or redis-shard's rule, which looks for the last closing byte).
  // SORT's BY/GET patterns use it: their keys are the prefix, then an element unknown here.
  [[nodiscard]] std::string_view prefixRoutingKey(std::string_view prefix) const;

  enum class Kind : unsigned char { kNone, kTwemproxy, kRedisShard };
  [[nodiscard]] Kind kind() const { return kind_; }
  // The two delimiters; '\0' for none().
  [[nodiscard]] char open() const { return open_; }
  [[nodiscard]] char close() const { return close_; }

 private:
  HashTag(Kind kind, char open, char close) : kind_(kind), open_(open), close_(close) {}

  [[nodiscard]] std::string_view twemproxyTag(std::string_view key) const;
  [[nodiscard]] std::string_view redisShardTag(std::string_view key) const;

  Kind kind_;
  char open_;
  char close_;
};

}  // namespace shardis::hash
