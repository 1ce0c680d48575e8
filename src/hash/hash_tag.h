// The hash tag rule of a pool: which bytes of a key are hashed to place it. Keys that share
// a tag land on the same server, so multi-key commands on them can run on one server.
// A HashTag is a small value copied into each pool; routingKey() runs on every request.
#pragma once

#include <string_view>

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
  // delimit the tag, which is used even when empty.
  static HashTag redisShard();

  // The bytes that get hashed: a view into `key`, no allocation.
  std::string_view routingKey(std::string_view key) const;

  enum class Kind : unsigned char { kNone, kTwemproxy, kRedisShard };
  Kind kind() const { return kind_; }
  // For twemproxy tags, the two delimiters; '\0' otherwise.
  char open() const { return open_; }
  char close() const { return close_; }

 private:
  HashTag(Kind kind, char open, char close) : kind_(kind), open_(open), close_(close) {}

  std::string_view twemproxyTag(std::string_view key) const;
  static std::string_view redisShardTag(std::string_view key);

  Kind kind_;
  char open_;
  char close_;
};

}  // namespace shardis::hash
