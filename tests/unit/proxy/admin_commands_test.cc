// The admin commands against a fake AdminHost: what they see of other clients comes only
// through that interface.
#include "proxy/admin_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_table.h"
#include "proxy/client_state.h"
#include "proxy/command_handlers.h"

namespace shardis::proxy {
namespace {

class RecordingKills final : public KillSink {
 public:
  void requestKill(uint64_t client_id) override { killed.push_back(client_id); }
  std::vector<uint64_t> killed;
};

class FakeHost final : public AdminHost {
 public:
  ClientRegistry& registry() override { return clients; }
  stats::SlowLog& slowlog() override { return log; }
  [[nodiscard]] const config::Process& process() const override { return settings; }
  [[nodiscard]] uint32_t poolIndex() const override { return 0; }
  [[nodiscard]] bool servedHere(const KillSink* owner) const override { return owner == &here; }
  void forEachLocalClient(const ClientVisit& visit) override {
    for (uint64_t id : local_ids) {
      ClientActivity activity;
      activity.name = "local";
      activity.cmd = "get";
      visit(id, activity);
    }
  }
  [[nodiscard]] ClientEntry identity() const override { return *clients.find(self_id); }
  [[nodiscard]] ClientActivity activity() const override { return {}; }
  void info(Request& /*request*/, uint32_t sections) override { info_sections = sections; }
  void hello(Request& /*request*/) override { ++hellos; }
  [[nodiscard]] std::string_view serversVersion() const override { return ""; }

  int hellos = 0;

  void add(uint64_t id, std::string addr, KillSink& owner) {
    ClientEntry entry;
    entry.id = id;
    entry.addr = std::move(addr);
    entry.owner = &owner;
    clients.add(entry);
  }

  ClientRegistry clients;
  stats::SlowLog log{10000, 128};
  config::Process settings;
  RecordingKills here, elsewhere;
  std::vector<uint64_t> local_ids;
  uint64_t self_id = 1;
  uint32_t info_sections = 0;
};

class AdminCommandsTest : public ::testing::Test {
 protected:
  AdminCommandsTest() {
    client.id = 1;
    host.add(1, "127.0.0.1:1001", host.here);
    host.add(2, "127.0.0.1:1002", host.here);
    host.add(3, "127.0.0.1:1003", host.elsewhere);
    host.local_ids = {1, 2};
  }

  std::string run(std::vector<std::string_view> argv) {
    const command::CommandSpec* spec = command::resolve(argv);
    EXPECT_NE(spec, nullptr);
    const CommandEntry& entry = commandEntry(stats::commandId(spec));
    EXPECT_TRUE(entry.needs_session);
    request = Request{};
    request.argv = argv;
    std::string out;
    CommandCall call{entry, request, pool, client, out, nullptr, &host};
    entry.handler(call);
    return out;
  }

  FakeHost host;
  config::Pool pool;
  ClientState client;
  Request request;
};

TEST_F(AdminCommandsTest, ClientListShowsLocalActivityAndOtherWorkersFresh) {
  std::string list = run({"CLIENT", "LIST"});
  EXPECT_NE(list.find("id=1 addr=127.0.0.1:1001"), std::string::npos);
  EXPECT_NE(list.find("id=2 addr=127.0.0.1:1002 laddr= fd=-1 name=local"), std::string::npos);
  EXPECT_NE(list.find("id=3 addr=127.0.0.1:1003 laddr= fd=-1 name= "), std::string::npos);
  EXPECT_NE(list.find("cmd=get"), std::string::npos);
  EXPECT_NE(run({"CLIENT", "LIST", "TYPE", "normal"}).find("id=3 "), std::string::npos);
}

TEST_F(AdminCommandsTest, ClientListByTypeAndId) {
  // Every proxy client is normal: the other classes are empty.
  EXPECT_EQ(run({"CLIENT", "LIST", "TYPE", "pubsub"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"CLIENT", "LIST", "TYPE", "slave"}), "$0\r\n\r\n");
  EXPECT_EQ(run({"CLIENT", "LIST", "TYPE", "x"}), "-ERR Unknown client type 'x'\r\n");
  EXPECT_EQ(run({"CLIENT", "LIST", "TYPE", "normal", "ID"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"CLIENT", "LIST", "ID"}), "-ERR syntax error\r\n");
  EXPECT_EQ(run({"CLIENT", "LIST", "ID", "3", "07"}), "-ERR Invalid client ID\r\n");
  // In the order named, a missing id skipped, a repeated one listed again.
  std::string list = run({"CLIENT", "LIST", "ID", "3", "9", "-1", "1", "3"});
  size_t first = list.find("id=3 "), second = list.find("id=1 "), third = list.rfind("id=3 ");
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_NE(third, std::string::npos);
  EXPECT_EQ(list.find("id=2 "), std::string::npos);
}

TEST_F(AdminCommandsTest, ClientKillGoesToTheOwningWorker) {
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "3"}), ":1\r\n");
  EXPECT_EQ(host.elsewhere.killed, std::vector<uint64_t>{3});
  EXPECT_EQ(run({"CLIENT", "KILL", "127.0.0.1:9"}), "-ERR No such client\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "3", "SKIPME"}), "-ERR syntax error\r\n");
  EXPECT_FALSE(client.quit);
  // Itself: closed after the reply, not through its worker.
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "1", "SKIPME", "no"}), ":1\r\n");
  EXPECT_TRUE(client.quit);
  EXPECT_TRUE(host.here.killed.empty());
}

TEST_F(AdminCommandsTest, ClientKillByTypeUserAndAge) {
  EXPECT_EQ(run({"CLIENT", "KILL", "TYPE", "pubsub"}), ":0\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "TYPE", "bad", "USER", "x"}),
            "-ERR Unknown client type 'bad'\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "USER", "Default"}), "-ERR No such user 'Default'\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "ID", "007"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(run({"CLIENT", "KILL", "MAXAGE", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_TRUE(host.here.killed.empty());
  EXPECT_TRUE(host.elsewhere.killed.empty());
  // The fake's clients were created at time 0, so they are all old enough.
  EXPECT_EQ(run({"CLIENT", "KILL", "USER", "default", "TYPE", "normal", "MAXAGE", "1"}), ":2\r\n");
  EXPECT_EQ(host.here.killed, std::vector<uint64_t>{2});
  EXPECT_EQ(host.elsewhere.killed, std::vector<uint64_t>{3});
  EXPECT_FALSE(client.quit);
}

TEST_F(AdminCommandsTest, ClientReplyModes) {
  EXPECT_EQ(run({"CLIENT", "REPLY", "OFF"}), "");
  EXPECT_TRUE(request.silent);
  EXPECT_EQ(client.reply_mode, ReplyMode::kOff);
  EXPECT_EQ(run({"CLIENT", "REPLY", "SKIP"}), "");  // ignored while OFF, as in Redis
  EXPECT_EQ(client.reply_mode, ReplyMode::kOff);
  EXPECT_EQ(run({"CLIENT", "REPLY", "ON"}), "+OK\r\n");
  EXPECT_FALSE(request.silent);
  EXPECT_EQ(run({"CLIENT", "REPLY", "SKIP"}), "");
  EXPECT_EQ(client.reply_mode, ReplyMode::kSkip);
  EXPECT_EQ(run({"CLIENT", "REPLY", "MAYBE"}), "-ERR syntax error\r\n");
}

TEST_F(AdminCommandsTest, ConfigGetAndInfoGoThroughTheHost) {
  host.settings.max_clients = 77;
  EXPECT_EQ(run({"CONFIG", "GET", "MAXCLIENTS"}), "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n");
  EXPECT_EQ(run({"CONFIG", "GET", "nosuch*"}), "*0\r\n");
  EXPECT_EQ(run({"INFO", "clients"}), "");
  EXPECT_NE(host.info_sections, 0u);
  EXPECT_EQ(run({"SLOWLOG", "LEN"}), ":0\r\n");
}

// Redis 7.0.15's fields in its order, each filled from ClientActivity (none hard-coded but
// those a proxy client cannot differ in: user, redir).
TEST(ClientLineTest, PrintsRedis70FieldsInOrderFromTheActivity) {
  ClientEntry entry;
  entry.id = 7;
  entry.addr = "127.0.0.1:1007";
  entry.laddr = "127.0.0.1:22121";
  entry.fd = 12;
  entry.created_ms = 5000;
  ClientActivity activity;
  activity.name = "app";
  activity.idle_s = 2;
  activity.sub = 1;
  activity.psub = 2;
  activity.ssub = 3;
  activity.qbuf = 34;
  activity.qbuf_free = 30;
  activity.argv_mem = 4;
  activity.multi_mem = 5;
  activity.rbs = 65536;
  activity.rbp = 70000;
  activity.obl = 600;
  activity.oll = 8;
  activity.omem = 9000;
  activity.tot_mem = 1000;
  activity.writing = true;
  activity.resp = 3;
  activity.cmd = "client|list";
  std::string line;
  appendClientLine(entry, activity, 0, 12000, line);
  std::string tot_mem = std::to_string(1000 + sizeof(ClientEntry));
  EXPECT_EQ(line,
            "id=7 addr=127.0.0.1:1007 laddr=127.0.0.1:22121 fd=12 name=app age=7 idle=2 flags=P "
            "db=0 sub=1 psub=2 ssub=3 multi=-1 qbuf=34 qbuf-free=30 argv-mem=4 multi-mem=5 "
            "rbs=65536 rbp=70000 obl=600 oll=8 omem=9000 tot-mem=" +
                tot_mem + " events=rw cmd=client|list user=default redir=-1 resp=3\n");
}

TEST(ClientLineTest, MultiSetsTheFlagAndAPausedClientIsNotReading) {
  ClientEntry entry;
  ClientActivity activity;
  activity.multi = 3;
  activity.reading = false;
  std::string line;
  appendClientLine(entry, activity, 0, 0, line);
  EXPECT_NE(line.find(" flags=x db=0 "), std::string::npos) << line;
  EXPECT_NE(line.find(" multi=3 "), std::string::npos) << line;
  EXPECT_NE(line.find(" events= cmd="), std::string::npos) << line;
}

// As Redis's query buffer holds the command it runs, the caller's line counts it; a request
// completed from a cut one is already counted (qbuf is its bytes).
TEST(ClientLineTest, TheCallerCountsItsRunningRequest) {
  std::vector<std::string_view> argv = {"client", "info"};
  Request request;
  request.argv = argv;
  request.raw = "*2\r\n$6\r\nclient\r\n$4\r\ninfo\r\n";
  ClientActivity idle;
  countRunningRequest(request, idle);
  EXPECT_EQ(idle.qbuf, 26u);
  EXPECT_EQ(idle.argv_mem, 10u);
  ClientActivity cut;
  cut.qbuf = 26;
  cut.qbuf_free = 6;
  cut.argv_mem = 10;
  countRunningRequest(request, cut);
  EXPECT_EQ(cut.qbuf, 26u);
  EXPECT_EQ(cut.qbuf_free, 6u);
  EXPECT_EQ(cut.argv_mem, 10u);
}

}  // namespace
}  // namespace shardis::proxy
