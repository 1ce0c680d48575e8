// BlockShape rewrites a blocking command for some of its keys, makes its non-blocking form,
// turns that form's reply into the blocking one's, and writes the put-back of a pop.
#include "proxy/block_shape.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_table.h"
#include "resp/encoder.h"

namespace shardis::proxy {
namespace {

struct Command {
  std::vector<std::string_view> argv;
  std::optional<BlockShape> shape() const {
    return BlockShape::of(*command::lookup(std::string(argv[0])), argv);
  }
};

std::string encode(std::vector<std::string_view> argv) {
  std::string out;
  resp::appendCommand(out, argv);
  return out;
}

TEST(BlockShape, BlpopForSomeKeysKeepsTheirOrderAndTheTimeout) {
  Command blpop{{"blpop", "a", "b", "c", "5"}};
  std::optional<BlockShape> shape = blpop.shape();
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->keyCount(), 3u);
  const uint32_t keys[] = {0, 2};
  std::string blocking;
  shape->appendBlocking(blocking, blpop.argv, keys);
  EXPECT_EQ(blocking, encode({"blpop", "a", "c", "5"}));
  std::string pass;
  shape->appendNonBlocking(pass, blpop.argv, keys);
  EXPECT_EQ(pass, encode({"LMPOP", "2", "a", "c", "LEFT"}));
}

TEST(BlockShape, LmpopReplyBecomesBlpopsAndItsPutBackIsAnLpush) {
  std::optional<BlockShape> shape = Command{{"blpop", "a", "b", "0"}}.shape();
  ASSERT_TRUE(shape);
  EXPECT_FALSE(shape->blockingReply("*-1\r\n"));
  EXPECT_EQ(shape->blockingReply("*2\r\n$1\r\nb\r\n*1\r\n$2\r\nv1\r\n"),
            "*2\r\n$1\r\nb\r\n$2\r\nv1\r\n");
  EXPECT_EQ(shape->putBack("*2\r\n$1\r\nb\r\n$2\r\nv1\r\n"), encode({"LPUSH", "b", "v1"}));
  EXPECT_EQ(shape->putBack("*-1\r\n"), "");
}

TEST(BlockShape, BrpopPutsBackOnTheRight) {
  std::optional<BlockShape> shape = Command{{"brpop", "a", "b", "0"}}.shape();
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->putBack("*2\r\n$1\r\na\r\n$1\r\nx\r\n"), encode({"RPUSH", "a", "x"}));
}

TEST(BlockShape, BzpopminPassIsZmpopAndPutBackAddsTheScore) {
  Command bzpopmin{{"bzpopmin", "z1", "z2", "0.5"}};
  std::optional<BlockShape> shape = bzpopmin.shape();
  ASSERT_TRUE(shape);
  const uint32_t keys[] = {1};
  std::string pass;
  shape->appendNonBlocking(pass, bzpopmin.argv, keys);
  EXPECT_EQ(pass, encode({"ZMPOP", "1", "z2", "MIN"}));
  EXPECT_EQ(shape->blockingReply("*2\r\n$2\r\nz2\r\n*1\r\n*2\r\n$1\r\nm\r\n$1\r\n2\r\n"),
            "*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n2\r\n");
  EXPECT_EQ(shape->putBack("*3\r\n$2\r\nz2\r\n$1\r\nm\r\n$1\r\n2\r\n"),
            encode({"ZADD", "z2", "2", "m"}));
}

TEST(BlockShape, BlmpopRewritesNumkeysAndPutsBackInPoppedOrder) {
  Command blmpop{{"blmpop", "1", "3", "a", "b", "c", "LEFT", "COUNT", "2"}};
  std::optional<BlockShape> shape = blmpop.shape();
  ASSERT_TRUE(shape);
  const uint32_t keys[] = {1, 2};
  std::string blocking;
  shape->appendBlocking(blocking, blmpop.argv, keys);
  EXPECT_EQ(blocking, encode({"blmpop", "1", "2", "b", "c", "LEFT", "COUNT", "2"}));
  std::string pass;
  shape->appendNonBlocking(pass, blmpop.argv, keys);
  EXPECT_EQ(pass, encode({"LMPOP", "2", "b", "c", "LEFT", "COUNT", "2"}));
  // x1 then x2 were popped from the left: x2 goes back first, so x1 is at the head again.
  EXPECT_EQ(shape->putBack("*2\r\n$1\r\nb\r\n*2\r\n$2\r\nx1\r\n$2\r\nx2\r\n"),
            encode({"LPUSH", "b", "x2", "x1"}));
}

TEST(BlockShape, XreadDropsBlockInItsPassAndPutsNothingBack) {
  Command xread{{"xread", "COUNT", "2", "BLOCK", "100", "STREAMS", "s1", "s2", "0", "$"}};
  std::optional<BlockShape> shape = xread.shape();
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->keyCount(), 2u);
  const uint32_t keys[] = {1};
  std::string pass;
  shape->appendNonBlocking(pass, xread.argv, keys);
  EXPECT_EQ(pass, encode({"XREAD", "COUNT", "2", "STREAMS", "s2", "$"}));
  std::string blocking;
  shape->appendBlocking(blocking, xread.argv, keys);
  EXPECT_EQ(blocking, encode({"xread", "COUNT", "2", "BLOCK", "100", "STREAMS", "s2", "$"}));
  EXPECT_EQ(shape->putBack("*1\r\n*2\r\n$2\r\ns2\r\n*0\r\n"), "");
}

std::string timeoutError(std::vector<std::string_view> argv) {
  std::optional<BlockShape> shape = Command{std::move(argv)}.shape();
  return shape ? shape->timeoutError() : "no shape";
}

TEST(BlockShape, TimeoutsAreCheckedAsRedisDoes) {
  EXPECT_EQ(timeoutError({"blpop", "a", "-1"}), "ERR timeout is negative");
  EXPECT_EQ(timeoutError({"blpop", "a", "x"}), "ERR timeout is not a float or out of range");
  EXPECT_EQ(timeoutError({"blpop", "a", "0.25"}), "");
  EXPECT_EQ(timeoutError({"xread", "BLOCK", "1.5", "STREAMS", "s", "0"}),
            "ERR timeout is not an integer or out of range");
}

TEST(BlockShape, MovesAndGroupReadsHaveNoCrossServerForm) {
  EXPECT_FALSE((Command{{"blmove", "a", "b", "LEFT", "RIGHT", "0"}}.shape()));
  EXPECT_FALSE((Command{{"brpoplpush", "a", "b", "0"}}.shape()));
}

}  // namespace
}  // namespace shardis::proxy
