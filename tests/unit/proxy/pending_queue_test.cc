#include "proxy/pending_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardis::proxy {
namespace {

// Records completions and drains the queue from the front, as ClientSession does.
class Drain final : public CompletionListener {
 public:
  void onRequestComplete(PendingRequest& /*request*/) override {
    ++completions;
    while (queue != nullptr && queue->frontDone()) {
      written.push_back(queue->front().reply());
      queue->pop();
    }
  }
  PendingQueue* queue = nullptr;
  std::vector<std::string> written;
  int completions = 0;
};

resp::Reply bulk(std::string_view raw) { return resp::Reply{resp::ReplyType::kBulk, 1, raw}; }

TEST(PendingQueue, RepliesAreWrittenInRequestOrderWhateverOrderTheyComeIn) {
  Drain drain;
  PendingQueue queue(drain);
  drain.queue = &queue;
  PendingRequest& first = queue.push();
  first.expect(1);
  PendingRequest& second = queue.push();
  second.expect(1);
  PendingRequest& third = queue.push();
  third.expect(1);

  third.onReply(0, bulk("$1\r\nc\r\n"));
  second.onReply(0, bulk("$1\r\nb\r\n"));
  EXPECT_TRUE(drain.written.empty());
  first.onReply(0, bulk("$1\r\na\r\n"));
  EXPECT_EQ(drain.written, (std::vector<std::string>{"$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"}));
  EXPECT_TRUE(queue.empty());
}

TEST(PendingQueue, AFailureBecomesAnErrorReplyInItsPlace) {
  Drain drain;
  PendingQueue queue(drain);
  drain.queue = &queue;
  PendingRequest& first = queue.push();
  first.expect(1);
  PendingRequest& second = queue.push();
  second.complete("+PONG\r\n");
  first.onFailure(0, "ERR server s1: Connection refused");
  EXPECT_EQ(drain.written,
            (std::vector<std::string>{"-ERR server s1: Connection refused\r\n", "+PONG\r\n"}));
}

TEST(PendingQueue, LocalRepliesWaitBehindEarlierForwardedRequests) {
  Drain drain;
  PendingQueue queue(drain);
  drain.queue = &queue;
  PendingRequest& forwarded = queue.push();
  forwarded.expect(1);
  PendingRequest& local = queue.push();
  local.complete("+OK\r\n");
  local.setCloseAfter();
  EXPECT_FALSE(queue.frontDone());
  forwarded.onReply(0, bulk("$1\r\nx\r\n"));
  ASSERT_EQ(drain.written.size(), 2u);
  EXPECT_EQ(drain.written[1], "+OK\r\n");
}

class SumMerger final : public Merger {
 public:
  void onPartReply(uint32_t /*part*/, const resp::Reply& reply) override { total += reply.count; }
  void onPartFailure(uint32_t /*part*/, std::string_view /*message*/) override { failed = true; }
  void finish(std::string& reply) override {
    reply = failed ? "-ERR failed\r\n" : ":" + std::to_string(total) + "\r\n";
  }
  int64_t total = 0;
  bool failed = false;
};

TEST(PendingQueue, ASplitRequestCompletesWhenEveryPartHasAnswered) {
  Drain drain;
  PendingQueue queue(drain);
  drain.queue = &queue;
  PendingRequest& split = queue.push();
  split.expect(3, std::make_unique<SumMerger>());
  split.onReply(2, resp::Reply{resp::ReplyType::kInteger, 2, ":2\r\n"});
  split.onReply(0, resp::Reply{resp::ReplyType::kInteger, 1, ":1\r\n"});
  EXPECT_EQ(drain.completions, 0);
  split.onReply(1, resp::Reply{resp::ReplyType::kInteger, 4, ":4\r\n"});
  EXPECT_EQ(drain.completions, 1);
  EXPECT_EQ(drain.written, (std::vector<std::string>{":7\r\n"}));
}

// A listener that lets the front request stream, as ClientSession does.
class Streamer final : public CompletionListener {
 public:
  void onRequestComplete(PendingRequest& request) override {
    if (request.written) out += "|done";
  }
  bool writeNow(PendingRequest& /*request*/, std::string_view reply) override {
    out += reply;
    return true;
  }
  bool canWriteNow(PendingRequest& request) override { return &request == front; }
  void writePiece(PendingRequest& /*request*/, std::string_view bytes) override { out += bytes; }
  void onReplyBroken(PendingRequest& /*request*/) override { broken = true; }
  PendingRequest* front = nullptr;
  std::string out;
  bool broken = false;
};

TEST(PendingQueue, OnlyTheFrontRequestStreamsItsReply) {
  Streamer listener;
  PendingQueue queue(listener);
  PendingRequest& first = queue.push();
  first.expect(1);
  PendingRequest& second = queue.push();
  second.expect(1);
  listener.front = &first;
  EXPECT_TRUE(first.canStream(0));
  EXPECT_FALSE(second.canStream(0));
  first.onReplyChunk(0, "$6\r\nab", false);
  first.onReplyChunk(0, "cdef\r\n", true);
  EXPECT_EQ(listener.out, "$6\r\nabcdef\r\n|done");
  EXPECT_TRUE(first.done());
}

TEST(PendingQueue, AFailureAfterStreamingBeganBreaksTheClient) {
  Streamer listener;
  PendingQueue queue(listener);
  PendingRequest& request = queue.push();
  request.expect(1);
  listener.front = &request;
  request.onReplyChunk(0, "$100\r\npartial", false);
  request.onFailure(0, "ERR server s1: Connection reset by peer");
  EXPECT_TRUE(listener.broken);
  EXPECT_EQ(listener.out, "$100\r\npartial");  // no error text spliced into the bulk
}

TEST(PendingQueue, CancelAllLeavesNoTicketBehind) {
  Drain drain;
  PendingQueue queue(drain);
  PendingRequest& request = queue.push();
  request.expect(2);
  queue.cancelAll();  // tickets without a connection: nothing to reach, nothing to crash
  EXPECT_EQ(request.ticket(0).connection, nullptr);
  EXPECT_EQ(request.ticket(1).connection, nullptr);
}

}  // namespace
}  // namespace shardis::proxy
