// findKeys against the real thing: for sample command lines of every key-rule kind, the keys
// we find are the keys redis-server's own COMMAND GETKEYS names; where we refuse a request,
// the server refuses it too, in the same words.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "redis_server.h"

namespace shardis::command {
namespace {

using testing::Reply;

// Hand-written lines: every key rule, options that look like keywords, edge cases. Words are
// split on spaces; "" stands for an empty argument.
const char* const kSamples[] = {
    "GET k",
    "SET k v NX GET",
    "GETEX k PERSIST",
    "MGET a b c d",
    "MSET a 1 b 2 c 3",
    "MSETNX a 1 b 2",
    "DEL a b c",
    "UNLINK a",
    "EXISTS a a b",
    "TOUCH a b",
    "RENAME a b",
    "RENAMENX a b",
    "COPY a b DB 0 REPLACE",
    "PFMERGE d",
    "SMOVE a b m",
    "LMOVE a b LEFT RIGHT",
    "BLMOVE a b LEFT RIGHT 0",
    "RPOPLPUSH a b",
    "BRPOPLPUSH a b 0",
    "SINTER a b c",
    "SUNIONSTORE d a b",
    "SDIFFSTORE d a",
    "BITOP AND d a b c",
    "BITOP NOT d a",
    "PFMERGE d a b",
    "PFCOUNT a b c",
    "LCS a b IDX MINMATCHLEN 2",
    "BLPOP a b c 0",
    "BRPOP a 1",
    "BZPOPMIN a b 0",
    "BZPOPMAX a 0",
    "WATCH a b c",
    "OBJECT ENCODING k",
    "OBJECT FREQ k",
    "OBJECT IDLETIME k",
    "OBJECT REFCOUNT k",
    "MEMORY USAGE k SAMPLES 0",
    "XINFO STREAM s FULL COUNT 5",
    "XINFO GROUPS s",
    "XINFO CONSUMERS s g",
    "XGROUP CREATE s g $ MKSTREAM",
    "XGROUP SETID s g 0",
    "XGROUP DESTROY s g",
    "XGROUP CREATECONSUMER s g c",
    "XGROUP DELCONSUMER s g c",
    "EVAL x 0",
    "EVAL x 1 a",
    "EVAL x 2 a b c d",
    "EVALSHA x 3 a b c",
    "EVAL_RO x 1 a b",
    "EVALSHA_RO x 0 a",
    "FCALL f 0",
    "FCALL f 2 a b c",
    "FCALL_RO f 1 a",
    "ZUNIONSTORE d 2 a b",
    "ZUNIONSTORE d 1 a WEIGHTS 2 AGGREGATE MAX",
    "ZINTERSTORE d 3 a b c",
    "ZDIFFSTORE d 2 a b",
    "ZUNION 2 a b WITHSCORES",
    "ZINTER 1 a",
    "ZDIFF 3 a b c",
    "ZINTERCARD 2 a b LIMIT 3",
    "SINTERCARD 3 a b c",
    "SINTERCARD 1 a LIMIT 1",
    "LMPOP 1 a LEFT",
    "LMPOP 3 a b c RIGHT COUNT 2",
    "ZMPOP 2 a b MIN",
    "BLMPOP 0 2 a b LEFT",
    "BZMPOP 1 1 a MAX COUNT 4",
    "XREAD STREAMS a 0",
    "XREAD COUNT 2 STREAMS a b 0 0",
    "XREAD BLOCK 10 COUNT 2 STREAMS a b c 0 0 0",
    "XREAD STREAMS streams 0",
    "XREADGROUP GROUP g c STREAMS a >",
    "XREADGROUP GROUP streams streams STREAMS s >",
    "XREADGROUP GROUP g streams STREAMS s >",
    "GEORADIUS k 15 37 200 km STORE a STOREDIST b",
    "XREADGROUP GROUP g c COUNT 1 NOACK STREAMS a b > >",
    "SORT k",
    "SORT k STORE d",
    "SORT k BY w_* GET # GET o_* LIMIT 0 10 STORE d",
    "SORT k STORE a STORE b",
    "SORT k LIMIT store x ALPHA",
    "SORT k GET store",
    "SORT k STORE",
    "SORT_RO k BY w_* GET #",
    "GEORADIUS k 15 37 200 km",
    "GEORADIUS k 15 37 200 km STORE d",
    "GEORADIUS k 15 37 200 km WITHDIST STOREDIST d",
    "GEORADIUS k 15 37 200 km STORE",
    "GEORADIUSBYMEMBER k m 100 km STORE d",
    "GEORADIUSBYMEMBER k m 100 km COUNT 3 STOREDIST d",
    "GEORADIUS_RO k 15 37 200 km ASC",
    "GEOSEARCH k FROMMEMBER m BYRADIUS 10 km",
    "GEOSEARCHSTORE d k FROMLONLAT 1 2 BYBOX 1 1 km STOREDIST",
    "MIGRATE h 1 k 0 10",
    "MIGRATE h 1 \"\" 0 10 KEYS a b",
    "MIGRATE h 1 \"\" 0 10 COPY REPLACE KEYS a",
    "MIGRATE h 1 \"\" 0 10 AUTH pw KEYS a b c",
    "MIGRATE h 1 \"\" 0 10 AUTH2 u keys KEYS a",
    "MIGRATE h 1 k 0 10 KEYS a",
    "RESTORE k 0 x REPLACE",
    "DUMP k",
    "SPUBLISH ch m",
    "PUBLISH ch m",
    "SUBSCRIBE a b",
    "SSUBSCRIBE a",
    "PING",
    "DBSIZE",
    "KEYS *",
    "SCAN 0 MATCH *",
    "CLIENT SETNAME x",
    "CONFIG GET maxmemory",
    "SCRIPT LOAD x",
    "SET k v GET",
    "BITFIELD k GET u8 0",
    "BITFIELD_RO k GET u8 0",
    "LPOS k e RANK 1",
    "HSET h f v",
    "ZADD z 1 m",
    "XADD s * f v",
    "XAUTOCLAIM s g c 0 0",
    "GETDEL k",
};

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> argv;
  std::istringstream in{std::string(line)};
  for (std::string word; in >> word;) {
    argv.push_back(word == "\"\"" ? std::string() : word);
  }
  return argv;
}

// A generic line for any command: its name and distinct filler arguments, `extra` past arity.
std::vector<std::string> fillerLine(const CommandSpec& spec, int extra) {
  std::vector<std::string> argv;
  const size_t bar = spec.name.find('|');
  if (bar == std::string_view::npos) {
    argv.emplace_back(spec.name);
  } else {
    argv.emplace_back(spec.name.substr(0, bar));
    argv.emplace_back(spec.name.substr(bar + 1));
  }
  const int arity = spec.arity < 0 ? -spec.arity + extra : spec.arity;
  while (static_cast<int>(argv.size()) < arity) {
    argv.push_back("arg" + std::to_string(argv.size()));
  }
  return argv;
}

class GetkeysAgainstServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    client_ = new testing::RespClient(server_->port());
  }
  static void TearDownTestSuite() {
    delete client_;
    delete server_;
  }

  // Our keys must be the server's; a line we refuse, the server refuses too.
  static void compare(const std::vector<std::string>& line) {
    const std::vector<std::string_view> argv(line.begin(), line.end());
    const CommandSpec* spec = resolve(argv);
    ASSERT_NE(spec, nullptr) << line[0];
    std::vector<std::string_view> request = {"COMMAND", "GETKEYS"};
    request.insert(request.end(), argv.begin(), argv.end());
    const Reply reply = client_->call(request);
    ASSERT_NE(reply.type, 0) << "no reply from redis-server";

    std::vector<uint32_t> found;
    std::string_view error;
    const KeysStatus status = findKeys(*spec, argv, found, error);
    const std::string where = joined(line);
    if (status == KeysStatus::kSyntaxError) {
      // Only the numkeys and STREAMS rules refuse; the server must refuse to run the line
      // too (it fails before any effect; its first complaint may be another argument).
      ASSERT_NE(spec->key_rule, KeyRule::kKeySpecs) << where;
      EXPECT_EQ(client_->call(argv).type, '-') << where << " was refused with " << error;
      ++refused_;
      return;
    }
    if (reply.type == '*') {
      ASSERT_EQ(found.size(), reply.items.size()) << where;
      for (size_t i = 0; i < found.size(); ++i) {
        EXPECT_EQ(argv[found[i]], reply.items[i].text) << where;
      }
      compared_with_keys_ += found.empty() ? 0 : 1;
      return;
    }
    ASSERT_EQ(reply.type, '-') << where;
    if (reply.text == "ERR The command has no key arguments") {
      EXPECT_FALSE(spec->mayHaveKeys()) << where;
    }
    if (!knownDifference(line)) {
      EXPECT_TRUE(found.empty()) << where << ": the server said " << reply.text;
    }
  }

  // Where GETKEYS gives up but the command runs and touches a key, we name that key (see
  // FindKeys.SimpleRanges): PFMERGE with no source key.
  static bool knownDifference(const std::vector<std::string>& line) {
    return line.size() == 2 && (line[0] == "pfmerge" || line[0] == "PFMERGE");
  }

  static std::string joined(const std::vector<std::string>& line) {
    std::string text;
    for (const std::string& word : line) {
      text += (text.empty() ? "" : " ") + (word.empty() ? std::string("\"\"") : word);
    }
    return text;
  }

  static inline testing::RedisServer* server_ = nullptr;
  static inline testing::RespClient* client_ = nullptr;
  static inline int compared_with_keys_ = 0;
  static inline int refused_ = 0;
};

TEST_F(GetkeysAgainstServer, HandWrittenSamples) {
  ASSERT_TRUE(client_->connected());
  for (const char* const sample : kSamples) {
    compare(words(sample));
  }
  EXPECT_GE(compared_with_keys_, 100);
}

TEST_F(GetkeysAgainstServer, EveryCommandWithFillerArguments) {
  ASSERT_TRUE(client_->connected());
  int lines = 0;
  auto check = [&](const CommandSpec& spec) {
    for (int extra = 0; extra < (spec.arity < 0 ? 4 : 1); ++extra) {
      compare(fillerLine(spec, extra));
      ++lines;
    }
  };
  for (const CommandSpec& spec : allCommands()) {
    if (spec.isContainer()) {
      for (const CommandSpec& sub : spec.subcommands) {
        check(sub);
      }
    } else {
      check(spec);
    }
  }
  EXPECT_GT(lines, 800);
}

// Numkeys counts growing past the arguments given: keys while they fit, then the server's
// refusal. The refusal's wording is the command's own (run for real: it fails before any
// effect).
TEST_F(GetkeysAgainstServer, NumkeysSweeps) {
  ASSERT_TRUE(client_->connected());
  const char* const kPrefixes[] = {"EVAL s",        "EVALSHA_RO abc", "FCALL f",
                                   "ZUNIONSTORE d", "ZINTER",         "ZINTERCARD",
                                   "SINTERCARD",    "LMPOP",          "BZMPOP 0.01"};
  for (const char* const prefix : kPrefixes) {
    for (int numkeys = -1; numkeys <= 5; ++numkeys) {
      std::vector<std::string> line = words(prefix);
      line.push_back(std::to_string(numkeys));
      for (const char* key : {"k1", "k2", "k3"}) {
        line.emplace_back(key);
      }
      line.emplace_back("LEFT");  // LMPOP's direction; harmless for the others
      compare(line);
    }
  }
}

TEST_F(GetkeysAgainstServer, RefusalsUseTheServersWords) {
  ASSERT_TRUE(client_->connected());
  // FCALL looks its function up before reading numkeys.
  const Reply loaded =
      client_->call({"FUNCTION", "LOAD",
                     "#!lua name=lib\nredis.register_function('f', function() return 1 end)"});
  ASSERT_EQ(loaded.type, '$') << loaded.text;
  const char* const kRefused[] = {
      "EVAL s 3 a b",        "EVAL s -1",           "EVAL s x a",
      "EVAL s 01 a",         "FCALL f x a",         "FCALL f 9 a",
      "FCALL f -2",          "ZUNIONSTORE d 0 a",   "ZUNIONSTORE d 4 a",
      "ZUNION x a",          "ZDIFF 0 a",           "ZINTERCARD 0 a",
      "ZINTERCARD 3 a",      "SINTERCARD 0 a",      "SINTERCARD 2 a",
      "LMPOP 0 a LEFT",      "LMPOP 2 a b",         "ZMPOP x a MIN",
      "BLMPOP 0.01 2 a b",   "XREAD STREAMS a b 0", "XREADGROUP GROUP g c STREAMS a b >",
      "XREAD COUNT 1 x a 0",
  };
  for (const char* const sample : kRefused) {
    const std::vector<std::string> line = words(sample);
    const std::vector<std::string_view> argv(line.begin(), line.end());
    const CommandSpec* spec = resolve(argv);
    ASSERT_NE(spec, nullptr) << sample;
    std::vector<uint32_t> found;
    std::string_view error;
    ASSERT_EQ(findKeys(*spec, argv, found, error), KeysStatus::kSyntaxError) << sample;
    const Reply reply = client_->call(argv);
    EXPECT_EQ(reply.type, '-') << sample;
    EXPECT_EQ(reply.text, error) << sample;
  }
}

// The stored bytes are what the server sends for COMMAND INFO name and COMMAND DOCS name
// (a container's subcommands in name order; the server's order changes with each process).
TEST_F(GetkeysAgainstServer, RawBytesAreTheServersReplies) {
  ASSERT_TRUE(client_->connected());
  for (const CommandSpec& spec : allCommands()) {
    const Reply info = client_->call({"COMMAND", "INFO", spec.name});
    const std::string info_raw = client_->lastRaw();
    const Reply docs = client_->call({"COMMAND", "DOCS", spec.name});
    const std::string docs_raw = client_->lastRaw();
    if (!spec.isContainer()) {
      EXPECT_EQ(info_raw, "*1\r\n" + std::string(spec.raw_info)) << spec.name;
      EXPECT_EQ(docs_raw, "*2\r\n" + std::string(spec.raw_docs)) << spec.name;
      continue;
    }
    ASSERT_TRUE(info_raw.starts_with("*1\r\n" + std::string(spec.raw_info_head))) << spec.name;
    ASSERT_TRUE(docs_raw.starts_with("*2\r\n" + std::string(spec.raw_docs_head))) << spec.name;
    EXPECT_EQ(info_raw.size(), spec.raw_info.size() + 4) << spec.name;
    EXPECT_EQ(docs_raw.size(), spec.raw_docs.size() + 4) << spec.name;
    for (const CommandSpec& sub : spec.subcommands) {
      // Redis 7.2's CLIENT SETINFO/NO-TOUCH are unknown to this 7.0 server: their bytes are
      // checked by CommandTable.LaterSubcommandsAreUnlisted and the integration tests.
      if (!sub.listed) continue;
      EXPECT_NE(info_raw.find(sub.raw_info), std::string::npos) << sub.name;
      EXPECT_NE(docs_raw.find(sub.raw_docs), std::string::npos) << sub.name;
      client_->call({"COMMAND", "INFO", sub.name});
      EXPECT_EQ(client_->lastRaw(), "*1\r\n" + std::string(sub.raw_info)) << sub.name;
    }
  }
}

// The same for a RESP3 client (after HELLO 3): COMMAND INFO name's element is raw_info3 and
// COMMAND DOCS name's pair raw_docs3, in a map ("%1") where RESP2 has "*2".
TEST_F(GetkeysAgainstServer, Resp3RawBytesAreTheServersReplies) {
  testing::RespClient client3(server_->port());
  ASSERT_TRUE(client3.connected());
  ASSERT_EQ(client3.call({"HELLO", "3"}).type, '%');
  for (const CommandSpec& spec : allCommands()) {
    client3.call({"COMMAND", "INFO", spec.name});
    const std::string info_raw = client3.lastRaw();
    client3.call({"COMMAND", "DOCS", spec.name});
    const std::string docs_raw = client3.lastRaw();
    if (!spec.isContainer()) {
      EXPECT_EQ(info_raw, "*1\r\n" + std::string(spec.raw_info3)) << spec.name;
      EXPECT_EQ(docs_raw, "%1\r\n" + std::string(spec.raw_docs3)) << spec.name;
      continue;
    }
    ASSERT_TRUE(info_raw.starts_with("*1\r\n" + std::string(spec.raw_info3_head))) << spec.name;
    ASSERT_TRUE(docs_raw.starts_with("%1\r\n" + std::string(spec.raw_docs3_head))) << spec.name;
    EXPECT_EQ(info_raw.size(), spec.raw_info3.size() + 4) << spec.name;
    EXPECT_EQ(docs_raw.size(), spec.raw_docs3.size() + 4) << spec.name;
    for (const CommandSpec& sub : spec.subcommands) {
      if (!sub.listed) continue;  // unknown to this 7.0 server, as above
      EXPECT_NE(info_raw.find(sub.raw_info3), std::string::npos) << sub.name;
      EXPECT_NE(docs_raw.find(sub.raw_docs3), std::string::npos) << sub.name;
      client3.call({"COMMAND", "INFO", sub.name});
      EXPECT_EQ(client3.lastRaw(), "*1\r\n" + std::string(sub.raw_info3)) << sub.name;
      client3.call({"COMMAND", "DOCS", sub.name});
      EXPECT_EQ(client3.lastRaw(), "%1\r\n" + std::string(sub.raw_docs3)) << sub.name;
    }
  }
  client3.call({"COMMAND", "INFO", "nosuch"});
  EXPECT_EQ(client3.lastRaw(), "*1\r\n_\r\n");
}

}  // namespace
}  // namespace shardis::command
