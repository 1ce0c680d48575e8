#include "proxy/fanout.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/info.h"
#include "proxy/merger.h"

namespace shardis::proxy {
namespace {

using Argv = std::vector<std::string_view>;

class Names final : public ServerNames {
 public:
  const std::string& serverName(uint32_t server) const override { return names_[server]; }
  size_t serverCount() const override { return names_.size(); }

 private:
  std::vector<std::string> names_{"s1", "s2", "s3"};
};

resp::Reply reply(resp::ReplyType type, int64_t count, std::string_view raw) {
  return resp::Reply{type, count, raw};
}

TEST(Splitter, OneSubCommandPerServerWithTheKeysInClientOrder) {
  Argv argv{"MGET", "a", "b", "c", "d", "e"};
  std::vector<uint32_t> indexes{1, 2, 3, 4, 5};
  std::vector<uint32_t> servers{2, 0, 2, 0, 1};
  Splitter splitter;
  ASSERT_TRUE(splitter.split(argv, indexes, servers, 3));
  ASSERT_EQ(splitter.parts(), 3u);
  EXPECT_EQ(splitter.partServer(0), 2u);
  EXPECT_EQ(splitter.partServer(1), 0u);
  EXPECT_EQ(splitter.partServer(2), 1u);
  EXPECT_EQ(splitter.partRequest(0), "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nc\r\n");
  EXPECT_EQ(splitter.partRequest(1), "*3\r\n$4\r\nMGET\r\n$1\r\nb\r\n$1\r\nd\r\n");
  EXPECT_EQ(splitter.partRequest(2), "*2\r\n$4\r\nMGET\r\n$1\r\ne\r\n");
  EXPECT_EQ(std::vector<uint32_t>(splitter.keyParts().begin(), splitter.keyParts().end()),
            (std::vector<uint32_t>{0, 1, 0, 1, 2}));
}

TEST(Splitter, MsetCarriesEachValueWithItsKey) {
  Argv argv{"MSET", "a", "1", "b", "2", "c", "3"};
  std::vector<uint32_t> indexes{1, 3, 5};
  std::vector<uint32_t> servers{1, 0, 1};
  Splitter splitter;
  ASSERT_TRUE(splitter.split(argv, indexes, servers, 2));
  ASSERT_EQ(splitter.parts(), 2u);
  EXPECT_EQ(splitter.partRequest(0),
            "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n");
  EXPECT_EQ(splitter.partRequest(1), "*3\r\n$4\r\nMSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST(Splitter, ReusedForASecondRequest) {
  Splitter splitter;
  Argv first{"DEL", "a", "b"};
  std::vector<uint32_t> indexes{1, 2};
  std::vector<uint32_t> servers{0, 1};
  ASSERT_TRUE(splitter.split(first, indexes, servers, 2));
  Argv second{"EXISTS", "x", "y"};
  std::vector<uint32_t> same{1, 1};
  ASSERT_TRUE(splitter.split(second, indexes, same, 2));
  ASSERT_EQ(splitter.parts(), 1u);
  EXPECT_EQ(splitter.partRequest(0), "*3\r\n$6\r\nEXISTS\r\n$1\r\nx\r\n$1\r\ny\r\n");
}

TEST(ScanCursor, EncodesServerInTheLowBits) {
  ScanCursor start{};
  EXPECT_EQ(start.encode(), 0u);
  ScanCursor cursor{2, 12345};
  auto decoded = ScanCursor::decode(std::to_string(cursor.encode()), 3);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->server, 2u);
  EXPECT_EQ(decoded->cursor, 12345u);
  ScanCursor largest{ScanCursor::kMaxServers - 1, ScanCursor::kMaxServerCursor};
  EXPECT_LT(largest.encode(), uint64_t{1} << 63);
}

TEST(ScanCursor, RefusesWhatDoesNotDecode) {
  EXPECT_FALSE(ScanCursor::decode("", 3));
  EXPECT_FALSE(ScanCursor::decode("abc", 3));
  EXPECT_FALSE(ScanCursor::decode("-1", 3));
  EXPECT_FALSE(ScanCursor::decode("12x", 3));
  EXPECT_FALSE(ScanCursor::decode("9223372036854775808", 3));   // 2^63
  EXPECT_FALSE(ScanCursor::decode("18446744073709551616", 3));  // 2^64
  EXPECT_FALSE(ScanCursor::decode("3", 3));                     // server 3 of 3
  EXPECT_TRUE(ScanCursor::decode("2", 3));
}

// A cursor carries the epoch of the server list it walks: another epoch's is refused, and 0
// (start or end) is taken under any.
TEST(ScanCursor, CarriesTheServerListEpoch) {
  ScanCursor before{1, 77, 0};
  ScanCursor after{1, 77, 1};
  EXPECT_EQ(before.encode(), (uint64_t{77} << 10) | 1);  // epoch 0: as before epochs existed
  EXPECT_NE(after.encode(), before.encode());
  EXPECT_LT(after.encode(), uint64_t{1} << 63);
  EXPECT_FALSE(ScanCursor::decode(std::to_string(before.encode()), 3, 1));
  EXPECT_FALSE(ScanCursor::decode(std::to_string(after.encode()), 3, 0));
  auto decoded = ScanCursor::decode(std::to_string(after.encode()), 3, 257);  // 257 mod 256
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->server, 1u);
  EXPECT_EQ(decoded->cursor, 77u);
  EXPECT_EQ(decoded->epoch, 257u);
  // A walk that outlives 16 or 100 changes of the list is still refused (the epoch wraps
  // only at 256).
  EXPECT_FALSE(ScanCursor::decode(std::to_string(after.encode()), 3, 17));
  EXPECT_FALSE(ScanCursor::decode(std::to_string(after.encode()), 3, 101));
  EXPECT_TRUE(ScanCursor::decode("0", 3, 5));
  ScanCursor end{0, 0, 5};
  EXPECT_EQ(end.encode(), 0u);
}

TEST(Merger, MgetPutsElementsBackInKeyOrder) {
  Names names;
  std::vector<uint32_t> part_servers{2, 0};
  std::vector<uint32_t> key_parts{0, 1, 0, 1};
  auto merger = makeMerger(MergeKind::kMget, names, part_servers, key_parts);
  merger->onPartReply(1, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\nb\r\n$-1\r\n"));
  merger->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\na\r\n$1\r\nc\r\n"));
  std::string out;
  merger->finish(out);
  EXPECT_EQ(out, "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$-1\r\n");
}

TEST(Merger, SumAddsIntegers) {
  Names names;
  std::vector<uint32_t> parts{0, 1, 2};
  auto merger = makeMerger(MergeKind::kSum, names, parts);
  merger->onPartReply(0, reply(resp::ReplyType::kInteger, 0, ":2\r\n"));
  merger->onPartReply(2, reply(resp::ReplyType::kInteger, 0, ":0\r\n"));
  merger->onPartReply(1, reply(resp::ReplyType::kInteger, 0, ":5\r\n"));
  std::string out;
  merger->finish(out);
  EXPECT_EQ(out, ":7\r\n");
}

TEST(Merger, MinKeepsTheSmallestInteger) {
  Names names;
  std::vector<uint32_t> parts{0, 1, 2};
  auto merger = makeMerger(MergeKind::kMin, names, parts);  // WAIT, LASTSAVE
  merger->onPartReply(0, reply(resp::ReplyType::kInteger, 0, ":5\r\n"));
  merger->onPartReply(2, reply(resp::ReplyType::kInteger, 0, ":9\r\n"));
  merger->onPartReply(1, reply(resp::ReplyType::kInteger, 0, ":3\r\n"));
  std::string out;
  merger->finish(out);
  EXPECT_EQ(out, ":3\r\n");
}

TEST(Merger, AFailedPartNamesItsServer) {
  Names names;
  std::vector<uint32_t> parts{0, 1};
  auto merger = makeMerger(MergeKind::kAllOk, names, parts);
  merger->onPartReply(0, reply(resp::ReplyType::kStatus, 0, "+OK\r\n"));
  merger->onPartReply(1, reply(resp::ReplyType::kError, 0, "-READONLY no writes\r\n"));
  std::string out;
  merger->finish(out);
  EXPECT_EQ(out, "-READONLY server s2: no writes\r\n");

  auto down = makeMerger(MergeKind::kSum, names, parts);
  down->onPartFailure(0, "ERR server s1: Connection refused");
  down->onPartReply(1, reply(resp::ReplyType::kInteger, 0, ":1\r\n"));
  down->finish(out);
  EXPECT_EQ(out, "-ERR server s1: Connection refused\r\n");
}

TEST(Merger, KeysConcatenatesAndScriptExistsNeedsEveryServer) {
  Names names;
  std::vector<uint32_t> parts{0, 1};
  auto keys = makeMerger(MergeKind::kConcat, names, parts);
  keys->onPartReply(0, reply(resp::ReplyType::kArray, 1, "*1\r\n$1\r\na\r\n"));
  keys->onPartReply(1, reply(resp::ReplyType::kArray, 0, "*0\r\n"));
  std::string out;
  keys->finish(out);
  EXPECT_EQ(out, "*1\r\n$1\r\na\r\n");

  auto exists = makeMerger(MergeKind::kAllOnes, names, parts);
  exists->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n:1\r\n:1\r\n"));
  exists->onPartReply(1, reply(resp::ReplyType::kArray, 2, "*2\r\n:1\r\n:0\r\n"));
  exists->finish(out);
  EXPECT_EQ(out, "*2\r\n:1\r\n:0\r\n");
}

TEST(Merger, ScanMovesToTheNextServerWhenOneIsDone) {
  Names names;
  auto at = [](uint32_t server) { return ScanCursor{server, 0, 0}; };
  auto middle = makeScanMerger(names, 1, at(1), 3);
  middle->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"));
  std::string out;
  middle->finish(out);
  EXPECT_EQ(out, "*2\r\n$1\r\n2\r\n*1\r\n$1\r\nk\r\n");  // server 2, cursor 0

  auto going = makeScanMerger(names, 0, at(0), 3);
  going->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\n5\r\n*0\r\n"));
  going->finish(out);
  EXPECT_EQ(out, "*2\r\n$4\r\n5120\r\n*0\r\n");  // 5 << 10 | 0

  auto last = makeScanMerger(names, 2, at(2), 3);
  last->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\n0\r\n*0\r\n"));
  last->finish(out);
  EXPECT_EQ(out, "*2\r\n$1\r\n0\r\n*0\r\n");

  // Slot 7 at position 1 of a list of epoch 2: the next position, under the same epoch.
  auto moved = makeScanMerger(names, 7, ScanCursor{1, 0, 2}, 3);
  moved->onPartReply(0, reply(resp::ReplyType::kArray, 2, "*2\r\n$1\r\n0\r\n*0\r\n"));
  moved->finish(out);
  EXPECT_EQ(out, "*2\r\n$" + std::to_string(std::to_string(ScanCursor{2, 0, 2}.encode()).size()) +
                     "\r\n" + std::to_string(ScanCursor{2, 0, 2}.encode()) + "\r\n*0\r\n");
}

TEST(InfoSections, DefaultAllAndNamedSections) {
  uint32_t plain = infoSections(Argv{"INFO"});
  EXPECT_TRUE(plain & kInfoServer);
  EXPECT_TRUE(plain & kInfoKeyspace);
  EXPECT_FALSE(plain & kInfoCommandstats);
  EXPECT_TRUE(infoSections(Argv{"INFO", "everything"}) & kInfoHotkeys);
  uint32_t named = infoSections(Argv{"INFO", "Clients", "commandstats"});
  EXPECT_EQ(named, kInfoClients | kInfoCommandstats);
  EXPECT_FALSE(infoNeedsServers(named));
  EXPECT_TRUE(infoNeedsServers(infoSections(Argv{"INFO", "keyspace"})));
  EXPECT_EQ(infoSections(Argv{"INFO", "nosuchsection"}), 0u);
}

TEST(Merger, KillIsOkWhenOneServerKilledAndNotBusyWhenNone) {
  Names names;
  std::vector<uint32_t> parts{0, 1};
  const std::string not_busy = "-NOTBUSY No scripts in execution right now.\r\n";
  auto killed = makeMerger(MergeKind::kKill, names, parts);
  killed->onPartReply(0, reply(resp::ReplyType::kError, 0, not_busy));
  killed->onPartReply(1, reply(resp::ReplyType::kStatus, 0, "+OK\r\n"));
  std::string out;
  killed->finish(out);
  EXPECT_EQ(out, "+OK\r\n");

  auto none = makeMerger(MergeKind::kKill, names, parts);
  none->onPartReply(0, reply(resp::ReplyType::kError, 0, not_busy));
  none->onPartReply(1, reply(resp::ReplyType::kError, 0, not_busy));
  none->finish(out);
  EXPECT_EQ(out, not_busy);

  // A script that cannot be killed is still running: that is the answer, whatever else.
  auto stuck = makeMerger(MergeKind::kKill, names, parts);
  stuck->onPartReply(0, reply(resp::ReplyType::kStatus, 0, "+OK\r\n"));
  stuck->onPartReply(1, reply(resp::ReplyType::kError, 0, "-UNKILLABLE it wrote\r\n"));
  stuck->finish(out);
  EXPECT_EQ(out, "-UNKILLABLE server s2: it wrote\r\n");
}

}  // namespace
}  // namespace shardis::proxy
