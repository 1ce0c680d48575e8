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

}  // namespace
}  // namespace shardis::proxy
