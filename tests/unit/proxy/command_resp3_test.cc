// COMMAND, COMMAND INFO/DOCS and COMMAND GETKEYSANDFLAGS answer in the client's protocol: a
// RESP3 client gets the server's RESP3 bytes (command::CommandSpec::raw_info3, raw_docs3), a
// RESP2 client the RESP2 ones. The bytes themselves are checked against a real redis-server in
// tests/unit/command/getkeys_server_test.cc and tests/integration/test_resp3.py.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/local_commands.h"

namespace shardis::proxy {
namespace {

using Argv = std::vector<std::string_view>;

class CommandResp3Test : public ::testing::Test {
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

TEST_F(CommandResp3Test, InfoAndDocsFollowTheProtocol) {
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

TEST_F(CommandResp3Test, ListingsFollowTheProtocol) {
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

TEST_F(CommandResp3Test, GetkeysAndFlagsGivesSetsOfFlags) {
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
