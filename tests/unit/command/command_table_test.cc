#include "command/command_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace shardis::command {
namespace {

using Argv = std::vector<std::string_view>;

TEST(CommandLookup, FindsEveryNameInAnyCase) {
  for (const CommandSpec& spec : allCommands()) {
    EXPECT_EQ(lookup(spec.name), &spec) << spec.name;
    std::string upper(spec.name);
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(lookup(upper), &spec) << upper;
  }
}

TEST(CommandLookup, MixedCase) {
  ASSERT_NE(lookup("gEt"), nullptr);
  EXPECT_EQ(lookup("gEt")->name, "get");
  EXPECT_EQ(lookup("ZRANGEBYSCORE")->name, "zrangebyscore");
  EXPECT_EQ(lookup("Restore-Asking")->name, "restore-asking");
  EXPECT_EQ(lookup("EVALSHA_RO")->name, "evalsha_ro");
}

TEST(CommandLookup, UnknownNames) {
  EXPECT_EQ(lookup(""), nullptr);
  EXPECT_EQ(lookup("foo"), nullptr);
  EXPECT_EQ(lookup("ge"), nullptr);
  EXPECT_EQ(lookup("gett"), nullptr);
  EXPECT_EQ(lookup(std::string(4096, 'a')), nullptr);
  EXPECT_EQ(lookup(std::string_view("get\0", 4)), nullptr);
  // Bytes whose folding collides with letters must not match: '@' + 0x20 is '`', not 'a'.
  EXPECT_EQ(lookup("G\xC5T"), nullptr);
  EXPECT_EQ(lookup("_et"), nullptr);
}

TEST(CommandLookup, SubcommandFullNames) {
  const CommandSpec* setname = lookup("CLIENT|SetName");
  ASSERT_NE(setname, nullptr);
  EXPECT_EQ(setname->name, "client|setname");
  EXPECT_EQ(lookup("client|nosuch"), nullptr);
}

TEST(CommandLookup, CountsMatchRedis70) {
  // redis-server 7.0.15: COMMAND COUNT is 240; 126 subcommands.
  EXPECT_EQ(allCommands().size(), 240u);
  size_t subcommands = 0;
  for (const CommandSpec& spec : allCommands()) {
    // Not counting Redis 7.2's CLIENT SETINFO/NO-TOUCH (CommandTable.LaterSubcommandsAreUnlisted).
    for (const CommandSpec& sub : spec.subcommands) subcommands += sub.listed ? 1 : 0;
  }
  EXPECT_EQ(subcommands, 126u);
}

TEST(CommandLookup, AllCommandsSortedByName) {
  const auto commands = allCommands();
  for (size_t i = 1; i < commands.size(); ++i) {
    EXPECT_LT(commands[i - 1].name, commands[i].name);
  }
}

TEST(CommandResolve, Subcommands) {
  const Argv setname = {"client", "SETNAME", "x"};
  ASSERT_NE(resolve(setname), nullptr);
  EXPECT_EQ(resolve(setname)->name, "client|setname");
  const Argv config_get = {"Config", "get", "maxmemory"};
  EXPECT_EQ(resolve(config_get)->name, "config|get");
  const Argv usage = {"MEMORY", "usage", "k"};
  EXPECT_EQ(resolve(usage)->name, "memory|usage");
  const Argv xgroup = {"xgroup", "CREATECONSUMER", "s", "g", "c"};
  EXPECT_EQ(resolve(xgroup)->name, "xgroup|createconsumer");
}

TEST(CommandResolve, PlainCommands) {
  const Argv get = {"GET", "client"};
  EXPECT_EQ(resolve(get)->name, "get");
  const Argv ping = {"ping"};
  EXPECT_EQ(resolve(ping)->name, "ping");
}

TEST(CommandResolve, UnknownCommandAndUnknownSubcommand) {
  EXPECT_EQ(resolve(Argv{}), nullptr);
  const Argv unknown = {"nosuch", "x"};
  EXPECT_EQ(resolve(unknown), nullptr);
  const Argv unknown_sub = {"client", "nosuch"};
  EXPECT_EQ(resolve(unknown_sub), nullptr);
  EXPECT_NE(lookup(unknown_sub[0]), nullptr);  // how the caller tells the two apart
  const Argv long_sub = {"client", std::string_view(std::string(300, 'x'))};
  EXPECT_EQ(resolve(long_sub), nullptr);
  // A subcommand's full name is not a command on the wire.
  const Argv full_name = {"client|setname", "x"};
  EXPECT_EQ(resolve(full_name), nullptr);
  const Argv split_name = {"client|", "setname"};
  EXPECT_EQ(resolve(split_name), nullptr);
}

TEST(CommandResolve, ContainerAloneResolvesToItselfAndFailsArity) {
  const Argv alone = {"CLIENT"};
  const CommandSpec* spec = resolve(alone);
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->name, "client");
  EXPECT_FALSE(arityOk(*spec, alone.size()));
}

TEST(CommandArity, FixedAndMinimum) {
  const CommandSpec& get = *lookup("get");
  EXPECT_EQ(get.arity, 2);
  EXPECT_FALSE(arityOk(get, 1));
  EXPECT_TRUE(arityOk(get, 2));
  EXPECT_FALSE(arityOk(get, 3));
  const CommandSpec& mget = *lookup("mget");
  EXPECT_EQ(mget.arity, -2);
  EXPECT_FALSE(arityOk(mget, 1));
  EXPECT_TRUE(arityOk(mget, 2));
  EXPECT_TRUE(arityOk(mget, 1000));
  // A subcommand's arity counts both words.
  const CommandSpec& setname = *lookup("client|setname");
  EXPECT_EQ(setname.arity, 3);
  EXPECT_TRUE(arityOk(setname, 3));
  EXPECT_FALSE(arityOk(setname, 2));
}

TEST(CommandFlags, AsRedisNamesThem) {
  EXPECT_TRUE(lookup("set")->hasFlag(kWrite));
  EXPECT_TRUE(lookup("set")->hasFlag(kDenyoom));
  EXPECT_TRUE(lookup("get")->hasFlag(kReadonly));
  EXPECT_TRUE(lookup("get")->hasFlag(kFast));
  EXPECT_TRUE(lookup("blpop")->hasFlag(kBlocking));
  EXPECT_TRUE(lookup("subscribe")->hasFlag(kPubsub));
  EXPECT_TRUE(lookup("eval")->hasFlag(kNoMandatoryKeys));
  EXPECT_TRUE(lookup("sort")->hasFlag(kMovablekeys));
  EXPECT_TRUE(lookup("auth")->hasFlag(kNoAuth));
  EXPECT_TRUE(lookup("shutdown")->hasFlag(kAdmin));
  EXPECT_FALSE(lookup("get")->hasFlag(kWrite));
}

TEST(CommandRawBytes, InfoElementAndDocsPairHaveTheServersShape) {
  auto check = [](const CommandSpec& spec) {
    const std::string bulk_name =
        "$" + std::to_string(spec.name.size()) + "\r\n" + std::string(spec.name) + "\r\n";
    EXPECT_EQ(spec.raw_info.substr(0, 5), "*10\r\n") << spec.name;
    EXPECT_EQ(spec.raw_info.substr(5, bulk_name.size()), bulk_name) << spec.name;
    EXPECT_EQ(spec.raw_docs.substr(0, bulk_name.size()), bulk_name) << spec.name;
    EXPECT_EQ(spec.raw_docs[bulk_name.size()], '*') << spec.name;
    EXPECT_TRUE(spec.raw_info.ends_with("\r\n")) << spec.name;
    EXPECT_TRUE(spec.raw_docs.ends_with("\r\n")) << spec.name;
  };
  for (const CommandSpec& spec : allCommands()) {
    check(spec);
    for (const CommandSpec& sub : spec.subcommands) {
      check(sub);
      // A subcommand's bytes lie inside its container's, as the server nests them (Redis
      // 7.2's, unknown to the 7.0 server, lie outside: CommandTable.LaterSubcommandsAreUnlisted).
      if (!sub.listed) continue;
      EXPECT_NE(spec.raw_info.find(sub.raw_info), std::string_view::npos) << sub.name;
      EXPECT_NE(spec.raw_docs.find(sub.raw_docs), std::string_view::npos) << sub.name;
    }
  }
  EXPECT_EQ(lookup("get")->raw_info,
            "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
            "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
            "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
            "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
            "*2\r\n$5\r\nindex\r\n:1\r\n"
            "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
            "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
            "*0\r\n");
}

// A container's element rebuilt from its head and chosen subcommands, as the proxy answers
// COMMAND INFO / COMMAND DOCS without the subcommands it refuses.
TEST(CommandRawBytes, ContainerHeadsRebuildTheElement) {
  for (const CommandSpec& spec : allCommands()) {
    if (!spec.isContainer()) {
      EXPECT_TRUE(spec.raw_info_head.empty()) << spec.name;
      EXPECT_TRUE(spec.raw_docs_head.empty()) << spec.name;
      continue;
    }
    // The server's element holds its own subcommands, not Redis 7.2's (unlisted).
    std::vector<const CommandSpec*> served;
    for (const CommandSpec& sub : spec.subcommands) {
      if (sub.listed) served.push_back(&sub);
    }
    std::string info =
        std::string(spec.raw_info_head) + "*" + std::to_string(served.size()) + "\r\n";
    std::string docs =
        std::string(spec.raw_docs_head) + "*" + std::to_string(2 * served.size()) + "\r\n";
    for (const CommandSpec* sub : served) {
      info += sub->raw_info;
      docs += sub->raw_docs;
    }
    EXPECT_EQ(info, spec.raw_info) << spec.name;
    // The docs map may go on after its subcommands field.
    EXPECT_TRUE(spec.raw_docs.starts_with(docs)) << spec.name;
  }
}

// Every command of Redis 7.0 is in exactly one class, and the classes that route by key
// only hold commands that have keys.
TEST(CommandRouting, KeyRoutedClassesHaveKeys) {
  auto check = [](const CommandSpec& spec) {
    switch (spec.routing) {
      case Routing::kSingleKey:
      case Routing::kSameServerKeys:
      case Routing::kSplit:
        EXPECT_TRUE(spec.mayHaveKeys()) << spec.name;
        break;
      case Routing::kUnsupported:
        EXPECT_TRUE(spec.unsupported_reason.starts_with("'" + std::string(spec.name) +
                                                        "' is not supported by this proxy"))
            << spec.name;
        break;
      default:
        EXPECT_TRUE(spec.unsupported_reason.empty()) << spec.name;
    }
    if (spec.routing != Routing::kUnsupported) {
      EXPECT_TRUE(spec.unsupported_reason.empty()) << spec.name;
    }
  };
  for (const CommandSpec& spec : allCommands()) {
    check(spec);
    for (const CommandSpec& sub : spec.subcommands) {
      check(sub);
    }
  }
}

TEST(CommandRouting, KeylessCommandsAreNeverKeyRouted) {
  auto check = [](const CommandSpec& spec) {
    if (spec.isContainer() || spec.mayHaveKeys()) {
      return;
    }
    const std::set<Routing> allowed = {Routing::kLocal, Routing::kAllServers, Routing::kPinned,
                                       Routing::kUnsupported};
    EXPECT_TRUE(allowed.contains(spec.routing)) << spec.name;
  };
  for (const CommandSpec& spec : allCommands()) {
    check(spec);
    for (const CommandSpec& sub : spec.subcommands) {
      check(sub);
    }
  }
}

Routing routingByName(std::string_view name) { return lookup(name)->routing; }

TEST(CommandRouting, ProjectDecisions) {
  for (const char* name :
       {"ping", "echo", "quit", "select", "auth", "hello", "info", "time", "reset", "readonly",
        "readwrite", "client|setname", "client|list", "command|docs", "command|getkeys",
        "config|get", "slowlog|get", "client|setinfo", "client|no-touch"}) {
    EXPECT_EQ(routingByName(name), Routing::kLocal) << name;
  }
  for (const char* name : {"get", "set", "incr", "hset", "lpush", "xadd", "object|encoding",
                           "memory|usage", "bitfield", "setrange", "pfadd", "restore"}) {
    EXPECT_EQ(routingByName(name), Routing::kSingleKey) << name;
  }
  for (const char* name :
       {"rename",      "renamenx",    "smove",      "lmove",   "rpoplpush",     "sinter",
        "sunionstore", "zunionstore", "bitop",      "pfmerge", "pfcount",       "msetnx",
        "copy",        "sort",        "georadius",  "xread",   "xreadgroup",    "eval",
        "evalsha",     "eval_ro",     "evalsha_ro", "fcall",   "fcall_ro",      "lcs",
        "sintercard",  "zintercard",  "lmpop",      "zmpop",   "geosearchstore"}) {
    EXPECT_EQ(routingByName(name), Routing::kSameServerKeys) << name;
  }
  for (const char* name : {"mget", "mset", "del", "unlink", "exists", "touch"}) {
    EXPECT_EQ(routingByName(name), Routing::kSplit) << name;
  }
  for (const char* name : {"dbsize",
                           "keys",
                           "flushdb",
                           "flushall",
                           "scan",
                           "randomkey",
                           "script|load",
                           "script|exists",
                           "script|flush",
                           "wait",
                           "lastsave",
                           "script|kill",
                           "function|kill",
                           "function|load",
                           "function|delete",
                           "function|flush",
                           "function|restore",
                           "function|list",
                           "function|dump",
                           "function|stats"}) {
    EXPECT_EQ(routingByName(name), Routing::kAllServers) << name;
  }
  for (const char* name : {"multi",
                           "exec",
                           "discard",
                           "watch",
                           "unwatch",
                           "blpop",
                           "brpop",
                           "blmove",
                           "brpoplpush",
                           "bzpopmin",
                           "bzpopmax",
                           "blmpop",
                           "bzmpop",
                           "subscribe",
                           "psubscribe",
                           "ssubscribe",
                           "unsubscribe",
                           "punsubscribe",
                           "sunsubscribe",
                           "monitor",
                           "publish",
                           "spublish",
                           "pubsub|numsub",
                           "pubsub|channels",
                           "pubsub|numpat",
                           "client|tracking",
                           "client|trackinginfo",
                           "client|getredir",
                           "client|caching"}) {
    EXPECT_EQ(routingByName(name), Routing::kPinned) << name;
  }
  for (const char* name : {"shutdown",       "replicaof",
                           "slaveof",        "sync",
                           "psync",          "debug",
                           "migrate",        "move",
                           "swapdb",         "cluster",
                           "cluster|info",   "failover",
                           "save",           "bgsave",
                           "bgrewriteaof",   "acl",
                           "acl|whoami",     "module",
                           "latency",        "config|set",
                           "config|rewrite", "config|resetstat",
                           "function|help",  "script|debug",
                           "client|pause",   "client|unpause"}) {
    EXPECT_EQ(routingByName(name), Routing::kUnsupported) << name;
  }
  EXPECT_EQ(lookup("shutdown")->unsupported_reason.substr(0, 41),
            "'shutdown' is not supported by this proxy");
}

// Redis 7.2's CLIENT SETINFO and NO-TOUCH are in the table with 7.2's facts, but out of the
// listings, which stay redis-server 7.0's; every other entry is listed.
TEST(CommandTable, LaterSubcommandsAreUnlisted) {
  const CommandSpec* setinfo = lookup("client|setinfo");
  ASSERT_NE(setinfo, nullptr);
  EXPECT_EQ(setinfo->arity, 4);
  EXPECT_EQ(setinfo->flags, kNoscript | kLoading | kStale | kSentinel);
  EXPECT_TRUE(setinfo->key_specs.empty());
  const CommandSpec* no_touch = lookup("CLIENT|NO-TOUCH");
  ASSERT_NE(no_touch, nullptr);
  EXPECT_EQ(no_touch->arity, 3);
  EXPECT_EQ(no_touch->flags, kNoscript | kLoading | kStale);
  const Argv argv = {"client", "SetInfo", "lib-name", "x"};
  EXPECT_EQ(resolve(argv), setinfo);
  size_t unlisted = 0;
  for (const CommandSpec& spec : allCommands()) {
    EXPECT_TRUE(spec.listed) << spec.name;
    for (const CommandSpec& sub : spec.subcommands) {
      if (sub.listed) continue;
      EXPECT_TRUE(sub.name == "client|setinfo" || sub.name == "client|no-touch") << sub.name;
      EXPECT_NE(sub.raw_docs.find("7.2.0"), std::string_view::npos) << sub.name;
      ++unlisted;
    }
  }
  EXPECT_EQ(unlisted, 2u);
  // Their elements lie outside CLIENT's, whose subcommands are redis-server 7.0's.
  const std::string_view client_info = lookup("client")->raw_info;
  EXPECT_EQ(client_info.find("client|setinfo"), std::string_view::npos);
  EXPECT_EQ(lookup("client")->raw_docs.find("client|no-touch"), std::string_view::npos);
}

TEST(CommandRouting, XreadWithBlockIsPinned) {
  const CommandSpec& xread = *lookup("xread");
  const Argv plain = {"XREAD", "COUNT", "2", "STREAMS", "s", "0"};
  EXPECT_EQ(routingOf(xread, plain), Routing::kSameServerKeys);
  const Argv blocking = {"XREAD", "COUNT", "2", "block", "0", "STREAMS", "s", "0"};
  EXPECT_EQ(routingOf(xread, blocking), Routing::kPinned);
  const Argv block_is_a_key = {"XREAD", "STREAMS", "block", "0"};
  EXPECT_EQ(routingOf(xread, block_is_a_key), Routing::kSameServerKeys);
  const CommandSpec& group = *lookup("xreadgroup");
  const Argv group_block = {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "10", "STREAMS", "s", ">"};
  EXPECT_EQ(routingOf(group, group_block), Routing::kPinned);
  const Argv get = {"GET", "k"};
  EXPECT_EQ(routingOf(*lookup("get"), get), Routing::kSingleKey);
}

}  // namespace
}  // namespace shardis::command
