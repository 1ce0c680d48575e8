#include "proxy/local_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardis::proxy {
namespace {

using Argv = std::vector<std::string_view>;

size_t countOffered() {
  size_t count = 0;
  for (const auto& spec : command::allCommands()) {
    count += spec.routing != command::Routing::kUnsupported ? 1 : 0;
  }
  return count;
}

class LocalCommandsTest : public ::testing::Test {
 protected:
  std::string run(const Argv& argv) {
    const command::CommandSpec* spec = command::resolve(argv);
    EXPECT_NE(spec, nullptr);
    std::string out;
    EXPECT_TRUE(runLocalCommand(*spec, argv, pool, client, out));
    return out;
  }
  config::Pool pool;
  ClientState client;
};

TEST_F(LocalCommandsTest, PingAndEcho) {
  EXPECT_EQ(run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(run({"ECHO", ""}), "$0\r\n\r\n");
}

TEST_F(LocalCommandsTest, SelectOnlyThePoolsDb) {
  pool.redis_db = 2;
  EXPECT_EQ(run({"SELECT", "2"}), "+OK\r\n");
  EXPECT_EQ(run({"SELECT", "0"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(run({"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(LocalCommandsTest, QuitSaysOkAndAsksForClose) {
  EXPECT_EQ(run({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(client.quit);
}

TEST_F(LocalCommandsTest, AuthUsesRedisWording) {
  EXPECT_EQ(run({"AUTH", "x"}).rfind("-ERR AUTH <password> called without any password", 0), 0u);
  pool.redis_auth = "secret";
  EXPECT_EQ(run({"AUTH", "wrong"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(client.authenticated);
  EXPECT_EQ(run({"AUTH", "someone", "secret"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(run({"AUTH", "default", "secret"}), "+OK\r\n");
  EXPECT_TRUE(client.authenticated);
}

TEST_F(LocalCommandsTest, HelloSwitchesTheProtocol) {
  client.authenticated = true;
  client.id = 7;
  for (std::string_view version : {"4", "1", "0", "-1"}) {
    EXPECT_EQ(run({"HELLO", version}), "-NOPROTO unsupported protocol version\r\n");
  }
  for (std::string_view version : {"03", "3.0", "-0", "+3", "99999999999999999999", "x"}) {
    EXPECT_EQ(run({"HELLO", version}),
              "-ERR Protocol version is not an integer or out of range\r\n");
  }
  EXPECT_EQ(client.protocol, resp::Protocol::kResp2);
  std::string reply = run({"HELLO", "2"});
  EXPECT_EQ(reply.rfind("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0), 0u);
  EXPECT_NE(reply.find("$2\r\nid\r\n:7\r\n"), std::string::npos);
  EXPECT_EQ(run({"HELLO"}), reply);
  reply = run({"HELLO", "3"});
  EXPECT_EQ(reply.rfind("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", 0), 0u);
  EXPECT_NE(reply.find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(client.protocol, resp::Protocol::kResp3);
  EXPECT_EQ(run({"HELLO"}), reply);  // no version: the protocol stays
  EXPECT_EQ(run({"CLIENT", "GETNAME"}), "_\r\n");
  // A refused name changes nothing, the protocol included.
  EXPECT_EQ(run({"HELLO", "2", "SETNAME", "a b"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(client.protocol, resp::Protocol::kResp3);
  client.reset(true);
  EXPECT_EQ(client.protocol, resp::Protocol::kResp2);
}

TEST_F(LocalCommandsTest, HelloAuthenticates) {
  pool.redis_auth = "secret";
  EXPECT_EQ(run({"HELLO", "2"}).rfind("-NOAUTH HELLO must be called", 0), 0u);
  EXPECT_EQ(run({"HELLO", "2", "AUTH", "default", "nope"}).rfind("-WRONGPASS", 0), 0u);
  EXPECT_EQ(run({"HELLO", "2", "AUTH", "default", "secret"}).rfind("*14\r\n", 0), 0u);
  EXPECT_TRUE(client.authenticated);
}

TEST_F(LocalCommandsTest, CommandCountMatchesTheTable) {
  EXPECT_EQ(run({"COMMAND", "COUNT"}), ":" + std::to_string(countOffered()) + "\r\n");
  EXPECT_EQ(run({"COMMAND", "INFO", "nosuchcommand"}), "*1\r\n$-1\r\n");
}

TEST_F(LocalCommandsTest, CommandGetkeysUsesTheKeyFinder) {
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "foo", "x"}), "-ERR Invalid command specified\r\n");
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "ping", "x"}), "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "get", "a", "b"}),
            "-ERR Invalid number of arguments specified for command\r\n");
}

TEST(UnknownCommand, RedisWording) {
  Argv argv{"foo", "a", "b"};
  EXPECT_EQ(unknownCommandError(argv),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  Argv bare{"foo"};
  EXPECT_EQ(unknownCommandError(bare), "ERR unknown command 'foo', with args beginning with: ");
  Argv sub{"client", "nope"};
  EXPECT_EQ(unknownCommandError(sub), "ERR unknown subcommand 'nope'. Try CLIENT HELP.");
}

// COMMAND, COMMAND INFO/DOCS and COMMAND GETKEYSANDFLAGS answer in the client's protocol: a
// RESP3 client gets the server's RESP3 bytes (command::CommandSpec::raw_info3, raw_docs3). The
// bytes themselves are checked against a real redis-server in
// tests/unit/command/getkeys_server_test.cc and tests/integration/test_resp3.py.
TEST_F(LocalCommandsTest, InfoAndDocsFollowTheProtocol) {
  const command::CommandSpec& get = *command::lookup("get");
  const command::CommandSpec& set = *command::lookup("set");
  EXPECT_EQ(run({"COMMAND", "INFO", "get", "nosuch"}),
            "*2\r\n" + std::string(get.raw_info) + "$-1\r\n");
  EXPECT_EQ(run({"COMMAND", "DOCS", "get", "nosuch", "set"}),
            "*4\r\n" + std::string(get.raw_docs) + std::string(set.raw_docs));
  client.protocol = resp::Protocol::kResp3;
  EXPECT_EQ(run({"COMMAND", "INFO", "get", "nosuch"}),
            "*2\r\n" + std::string(get.raw_info3) + "_\r\n");
  EXPECT_EQ(run({"COMMAND", "DOCS", "get", "nosuch", "set"}),
            "%2\r\n" + std::string(get.raw_docs3) + std::string(set.raw_docs3));
  EXPECT_EQ(run({"COMMAND", "DOCS", "nosuch"}), "%0\r\n");
}

TEST_F(LocalCommandsTest, ListingsFollowTheProtocol) {
  const std::string all2 = run({"COMMAND"});
  const std::string docs2 = run({"COMMAND", "DOCS"});
  client.protocol = resp::Protocol::kResp3;
  const std::string all3 = run({"COMMAND"});
  const std::string docs3 = run({"COMMAND", "DOCS"});
  const std::string count = all2.substr(1, all2.find('\r') - 1);
  EXPECT_TRUE(all3.starts_with("*" + count + "\r\n")) << all3.substr(0, 20);
  EXPECT_TRUE(docs3.starts_with("%" + count + "\r\n")) << docs3.substr(0, 20);
  EXPECT_NE(all3.find(command::lookup("get")->raw_info3), std::string::npos);
  EXPECT_EQ(all3.find(command::lookup("get")->raw_info), std::string::npos);
  EXPECT_NE(docs3.find(command::lookup("xread")->raw_docs3), std::string::npos);
  // Without a name, COMMAND INFO is COMMAND, in either protocol.
  EXPECT_EQ(run({"COMMAND", "INFO"}), all3);
  client.protocol = resp::Protocol::kResp2;
  EXPECT_EQ(run({"COMMAND", "INFO"}), all2);
}

TEST_F(LocalCommandsTest, GetkeysAndFlagsGivesSetsOfFlags) {
  const Argv request = {"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"};
  EXPECT_EQ(run(request),
            "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
            "*2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n");
  client.protocol = resp::Protocol::kResp3;
  EXPECT_EQ(run(request),
            "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n"
            "*2\r\n$1\r\nb\r\n~2\r\n+RW\r\n+insert\r\n");
  EXPECT_EQ(run({"COMMAND", "GETKEYS", "MSET", "a", "1"}), "*1\r\n$1\r\na\r\n");
}

}  // namespace
}  // namespace shardis::proxy
