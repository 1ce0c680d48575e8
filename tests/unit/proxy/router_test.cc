#include "proxy/router.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "hash/ring.h"

namespace shardis::proxy {
namespace {

using Argv = std::vector<std::string_view>;

// The ring a three-server ketama pool builds, without any socket.
class RingLocator final : public ServerLocator {
 public:
  explicit RingLocator(const config::Pool& pool) {
    std::vector<hash::RingMember> members;
    for (const auto& server : pool.servers) members.push_back({server.name, server.weight});
    ring_ = hash::Ring::build(pool.distribution, pool.hash, members);
  }
  uint32_t locate(std::string_view routing_key) override {
    if (none_live) return kNoServer;
    return ring_->locate(routing_key);
  }
  bool none_live = false;

 private:
  std::shared_ptr<const hash::Ring> ring_;
};

config::Pool makePool() {
  config::Pool pool;
  pool.name = "alpha";
  pool.hash_tag = "{}";
  for (const char* name : {"s1", "s2", "s3"}) {
    config::Server server;
    server.name = name;
    server.host = "127.0.0.1";
    pool.servers.push_back(server);
  }
  return pool;
}

class RouterTest : public ::testing::Test {
 protected:
  Route route(const Argv& argv) {
    const command::CommandSpec* spec = command::resolve(argv);
    EXPECT_NE(spec, nullptr);
    return router.route(*spec, command::routingOf(*spec, argv), argv, locator);
  }
  // Two keys that the ring puts on different servers.
  std::array<std::string, 2> keysOnTwoServers() {
    for (int i = 1; i < 1000; ++i) {
      std::string other = "key" + std::to_string(i);
      if (locator.locate("key0") != locator.locate(other)) return {"key0", other};
    }
    ADD_FAILURE() << "every key on one server";
    return {"", ""};
  }

  config::Pool pool = makePool();
  RingLocator locator{pool};
  Router router{pool};
};

TEST_F(RouterTest, ASingleKeyGoesToTheServerItsKeyHashesTo) {
  Route got = route({"GET", "user:1"});
  ASSERT_EQ(got.kind, Route::Kind::kServer);
  EXPECT_EQ(got.server, locator.locate("user:1"));
}

TEST_F(RouterTest, TheHashTagDecidesTheServer) {
  Route got = route({"SET", "{user:1}:name", "x"});
  ASSERT_EQ(got.kind, Route::Kind::kServer);
  EXPECT_EQ(got.server, locator.locate("user:1"));
}

TEST_F(RouterTest, KeysOnSeveralServersGetCrossslot) {
  auto keys = keysOnTwoServers();
  Route got = route({"SUNION", keys[0], keys[1]});
  ASSERT_EQ(got.kind, Route::Kind::kError);
  EXPECT_EQ(got.error, "CROSSSLOT Keys in request don't hash to the same server");
}

TEST_F(RouterTest, TaggedKeysOnOneServerAreForwarded) {
  Route got = route({"SUNION", "{t}a", "{t}b", "{t}c"});
  ASSERT_EQ(got.kind, Route::Kind::kServer);
  EXPECT_EQ(got.server, locator.locate("t"));
}

TEST_F(RouterTest, ASplitCommandOverSeveralServersIsMarkedForFanout) {
  auto keys = keysOnTwoServers();
  Route got = route({"MGET", keys[0], keys[1], keys[0]});
  ASSERT_EQ(got.kind, Route::Kind::kSeveralServers);
  ASSERT_EQ(router.keyServers().size(), 3u);
  EXPECT_EQ(router.keyServers()[0], router.keyServers()[2]);
  EXPECT_NE(router.keyServers()[0], router.keyServers()[1]);
  EXPECT_EQ(router.keyIndexes()[1], 2u);
}

TEST_F(RouterTest, ASplitCommandOnOneServerIsForwardedWhole) {
  Route got = route({"MGET", "{t}a", "{t}b"});
  ASSERT_EQ(got.kind, Route::Kind::kServer);
}

TEST_F(RouterTest, EvalRoutesByItsKeys) {
  auto keys = keysOnTwoServers();
  Route crossed = route({"EVAL", "return 1", "2", keys[0], keys[1]});
  ASSERT_EQ(crossed.kind, Route::Kind::kError);
  EXPECT_EQ(crossed.error.rfind("CROSSSLOT", 0), 0u);
  Route one = route({"EVAL", "return 1", "1", keys[1], "arg"});
  ASSERT_EQ(one.kind, Route::Kind::kServer);
  EXPECT_EQ(one.server, locator.locate(keys[1]));
}

TEST_F(RouterTest, EvalWithoutKeysGoesToADeterministicServer) {
  Route first = route({"EVAL", "return 1", "0"});
  Route again = route({"eval", "return 1", "0"});
  ASSERT_EQ(first.kind, Route::Kind::kServer);
  EXPECT_EQ(first.server, again.server);
  EXPECT_EQ(first.server, locator.locate("return 1"));
}

TEST_F(RouterTest, BadNumkeysGetsTheServersWording) {
  Route got = route({"EVAL", "return 1", "5", "k"});
  ASSERT_EQ(got.kind, Route::Kind::kError);
  EXPECT_EQ(got.error, "ERR Number of keys can't be greater than number of args");
}

// A tag that lands on another server than `tag`'s.
std::string otherTag(RingLocator& locator, std::string_view tag) {
  for (int i = 0; i < 1000; ++i) {
    std::string other = "t" + std::to_string(i);
    if (locator.locate(other) != locator.locate(tag)) return other;
  }
  return "";
}

TEST_F(RouterTest, SortByAPatternWithoutATagIsDenied) {
  Route by = route({"SORT", "{t}list", "BY", "weight_*"});
  ASSERT_EQ(by.kind, Route::Kind::kError);
  EXPECT_EQ(by.error, "ERR BY option of SORT denied in Cluster mode.");
  Route get = route({"SORT_RO", "{t}list", "GET", "data_*->f"});
  ASSERT_EQ(get.kind, Route::Kind::kError);
  EXPECT_EQ(get.error, "ERR GET option of SORT denied in Cluster mode.");
  // A '*' before the tag, or inside it, lets each element move the key.
  EXPECT_EQ(route({"SORT", "{t}list", "BY", "*{t}w"}).kind, Route::Kind::kError);
  EXPECT_EQ(route({"SORT", "{t}list", "BY", "{t*}w"}).kind, Route::Kind::kError);
}

TEST_F(RouterTest, SortPatternsTaggedForTheKeysServerAreForwarded) {
  Route got = route({"SORT", "{t}list", "BY", "{t}w_*", "GET", "#", "GET", "{t}d_*->f", "LIMIT",
                     "0", "10", "ALPHA", "DESC", "STORE", "{t}out"});
  ASSERT_EQ(got.kind, Route::Kind::kServer) << got.error;
  EXPECT_EQ(got.server, locator.locate("t"));
}

TEST_F(RouterTest, SortPatternsTaggedForAnotherServerAreCrossslot) {
  std::string other = otherTag(locator, "t");
  Route got = route({"SORT", "{t}list", "GET", "#", "BY", "{" + other + "}w_*"});
  ASSERT_EQ(got.kind, Route::Kind::kError);
  EXPECT_EQ(got.error, "CROSSSLOT Keys in request don't hash to the same server");
}

TEST_F(RouterTest, SortPatternsThatReadNoKeyAreFree) {
  EXPECT_EQ(route({"SORT", "list", "BY", "nosort"}).kind, Route::Kind::kServer);
  EXPECT_EQ(route({"SORT", "list", "GET", "#", "GET", "constant"}).kind, Route::Kind::kServer);
  // A pattern after a syntax error is the server's to refuse, with its own error.
  EXPECT_EQ(route({"SORT", "list", "BOGUS", "BY", "w_*"}).kind, Route::Kind::kServer);
  // LIMIT's numbers are not patterns, even when they look like one.
  EXPECT_EQ(route({"SORT", "list", "LIMIT", "by", "*", "ASC"}).kind, Route::Kind::kServer);
}

TEST_F(RouterTest, NoLiveServerIsAnError) {
  locator.none_live = true;
  Route got = route({"GET", "k"});
  ASSERT_EQ(got.kind, Route::Kind::kError);
  EXPECT_EQ(got.error, "ERR no server available in pool 'alpha'");
}

}  // namespace
}  // namespace shardis::proxy
