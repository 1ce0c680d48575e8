#include "hash/hash_tag.h"

#include <gtest/gtest.h>

#include <string>

namespace shardis::hash {
namespace {

TEST(HashTag, NoneHashesTheWholeKey) {
  const HashTag tag = HashTag::none();
  EXPECT_EQ(tag.routingKey("user:{42}:name"), "user:{42}:name");
  EXPECT_EQ(tag.routingKey(""), "");
}

TEST(HashTag, TwemproxyTakesFirstOpenThenFirstCloseAfterIt) {
  const HashTag tag = HashTag::twemproxy("{}");
  EXPECT_EQ(tag.routingKey("user:{42}:name"), "42");
  EXPECT_EQ(tag.routingKey("{user1000}.following"), "user1000");
  EXPECT_EQ(tag.routingKey("a{b}{c}"), "b");
  EXPECT_EQ(tag.routingKey("a{b}c}"), "b");
  EXPECT_EQ(tag.routingKey("{{}}"), "{");  // the first '}' after the first '{'
}

TEST(HashTag, TwemproxyFallsBackToTheWholeKey) {
  const HashTag tag = HashTag::twemproxy("{}");
  EXPECT_EQ(tag.routingKey("{}"), "{}");      // empty tag
  EXPECT_EQ(tag.routingKey("x{}y"), "x{}y");  // empty tag
  EXPECT_EQ(tag.routingKey("a{"), "a{");      // no close
  EXPECT_EQ(tag.routingKey("}b{"), "}b{");    // close only before the open
  EXPECT_EQ(tag.routingKey("plain"), "plain");
  EXPECT_EQ(tag.routingKey(""), "");
}

TEST(HashTag, TwemproxyAcceptsAnyTwoCharacters) {
  EXPECT_EQ(HashTag::twemproxy("$$").routingKey("a$b$c$"), "b");
  EXPECT_EQ(HashTag::twemproxy("<>").routingKey("x<tag>y"), "tag");
  // Anything but two characters is no tag at all (config/ refuses it before we get here).
  EXPECT_EQ(HashTag::twemproxy("{").routingKey("a{b}"), "a{b}");
  EXPECT_EQ(HashTag::twemproxy("").kind(), HashTag::Kind::kNone);
}

TEST(HashTag, RedisShardTakesLastCloseAndLastOpenBeforeIt) {
  const HashTag tag = HashTag::redisShard();
  EXPECT_EQ(tag.routingKey("user:{42}:name"), "42");
  EXPECT_EQ(tag.routingKey("a{b}c}"), "b}c");
  EXPECT_EQ(tag.routingKey("{a}{b}{c}"), "c");
  EXPECT_EQ(tag.routingKey("a{b}c{d"), "b");
  EXPECT_EQ(tag.routingKey("{{a}"), "a");
  EXPECT_EQ(tag.routingKey("{a}x}y"), "a}x");
}

TEST(HashTag, RedisShardHashesAnEmptyTag) {
  const HashTag tag = HashTag::redisShard();
  EXPECT_EQ(tag.routingKey("{}"), "");
  EXPECT_EQ(tag.routingKey("x{}y"), "");
  EXPECT_EQ(tag.routingKey("a{}{}"), "");
  EXPECT_EQ(tag.routingKey("{{}}"), "}");  // last '}', then the last '{' before it
}

TEST(HashTag, RedisShardWithoutATagHashesTheWholeKey) {
  const HashTag tag = HashTag::redisShard();
  EXPECT_EQ(tag.routingKey("}{"), "}{");
  EXPECT_EQ(tag.routingKey("a}"), "a}");
  EXPECT_EQ(tag.routingKey("{"), "{");
  EXPECT_EQ(tag.routingKey(""), "");
}

TEST(HashTag, RedisShardLooksOnlyBeforeTheFirstNewline) {
  const HashTag tag = HashTag::redisShard();
  EXPECT_EQ(tag.routingKey("{x}\n{y}"), "x");
  EXPECT_EQ(tag.routingKey("ab\n{x}"), "ab\n{x}");
  EXPECT_EQ(tag.routingKey("{a\n}"), "{a\n}");
}

TEST(HashTag, ForPoolFollowsTheDistribution) {
  EXPECT_EQ(HashTag::forPool(Distribution::kKetama, "").kind(), HashTag::Kind::kNone);
  EXPECT_EQ(HashTag::forPool(Distribution::kModula, "{}").kind(), HashTag::Kind::kTwemproxy);
  EXPECT_EQ(HashTag::forPool(Distribution::kRandom, "{}").kind(), HashTag::Kind::kTwemproxy);
  EXPECT_EQ(HashTag::forPool(Distribution::kRedisShard, "{}").kind(), HashTag::Kind::kRedisShard);
  EXPECT_EQ(HashTag::forPool(Distribution::kRedisShard, "").kind(), HashTag::Kind::kNone);
  // The same key, two rules: twemproxy ignores the empty first tag, redis-shard uses it.
  EXPECT_EQ(HashTag::forPool(Distribution::kKetama, "{}").routingKey("a{}b{c}"), "a{}b{c}");
  EXPECT_EQ(HashTag::forPool(Distribution::kRedisShard, "{}").routingKey("a{}b{c}"), "c");
  EXPECT_EQ(HashTag::forPool(Distribution::kRedisShard, "<>").routingKey("a<b>c<d>e"), "d");
}

TEST(HashTag, PrefixRoutingKeyNeedsACompleteTwemproxyTag) {
  HashTag tag = HashTag::twemproxy("{}");
  EXPECT_EQ(tag.prefixRoutingKey("w{user1}_"), "user1");
  EXPECT_EQ(tag.prefixRoutingKey("w_"), "");       // what follows may open a tag
  EXPECT_EQ(tag.prefixRoutingKey("w{user1"), "");  // or close this one
  EXPECT_EQ(tag.prefixRoutingKey("{}_"), "");      // an empty tag hashes the whole key
  EXPECT_EQ(HashTag::none().prefixRoutingKey("{a}_"), "");
  // redis-shard's tag ends at the last '}', which what follows may move.
  EXPECT_EQ(HashTag::redisShard().prefixRoutingKey("{a}_"), "");
}

TEST(HashTag, RoutingKeyIsAViewIntoTheKey) {
  const std::string key = "user:{42}:name";
  const std::string_view routing = HashTag::twemproxy("{}").routingKey(key);
  EXPECT_EQ(routing.data(), key.data() + 6);
  EXPECT_EQ(HashTag::redisShard().routingKey(key).data(), key.data() + 6);
}

}  // namespace
}  // namespace shardis::hash
