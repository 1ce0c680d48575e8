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

// A queue with its own free list, drained from the front as ClientSession drains it.
struct DrainedQueue {
  DrainedQueue() { drain.queue = &queue; }
  // A request forwarded to one server, waiting for its reply.
  PendingRequest& forwarded() {
    PendingRequest& request = queue.push();
    request.expect(1);
    return request;
  }
  Drain drain;
  PendingFreeList spare;
  PendingQueue queue{drain, spare};
};

TEST(PendingQueue, RepliesAreWrittenInRequestOrderWhateverOrderTheyComeIn) {
  DrainedQueue q;
  PendingRequest& first = q.forwarded();
  PendingRequest& second = q.forwarded();
  PendingRequest& third = q.forwarded();

  third.onReply(0, bulk("$1\r\nc\r\n"));
  second.onReply(0, bulk("$1\r\nb\r\n"));
  EXPECT_TRUE(q.drain.written.empty());
  first.onReply(0, bulk("$1\r\na\r\n"));
  EXPECT_EQ(q.drain.written,
            (std::vector<std::string>{"$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"}));
  EXPECT_TRUE(q.queue.empty());
}

TEST(PendingQueue, AFailureBecomesAnErrorReplyInItsPlace) {
  DrainedQueue q;
  PendingRequest& first = q.forwarded();
  PendingRequest& second = q.queue.push();
  second.complete("+PONG\r\n");
  first.onFailure(0, "ERR server s1: Connection refused");
  EXPECT_EQ(q.drain.written,
            (std::vector<std::string>{"-ERR server s1: Connection refused\r\n", "+PONG\r\n"}));
}

TEST(PendingQueue, LocalRepliesWaitBehindEarlierForwardedRequests) {
  DrainedQueue q;
  PendingRequest& forwarded = q.forwarded();
  PendingRequest& local = q.queue.push();
  local.complete("+OK\r\n");
  local.setCloseAfter();
  EXPECT_FALSE(q.queue.frontDone());
  forwarded.onReply(0, bulk("$1\r\nx\r\n"));
  ASSERT_EQ(q.drain.written.size(), 2u);
  EXPECT_EQ(q.drain.written[1], "+OK\r\n");
}

// CLIENT LIST's oll counts the replies complete but waiting behind an earlier request, not the
// requests still waiting for their own; tot-mem counts every entry and the reply it holds.
TEST(PendingQueue, FootprintCountsHeldRepliesAndTheEntriesMemory) {
  DrainedQueue q;
  EXPECT_EQ(q.queue.footprint().held_replies, 0u);
  EXPECT_EQ(q.queue.footprint().bytes, 0u);
  PendingRequest& forwarded = q.forwarded();
  q.forwarded();
  PendingRequest& local = q.queue.push();
  local.complete(std::string(1000, 'x'));
  PendingQueue::Footprint held = q.queue.footprint();
  EXPECT_EQ(held.held_replies, 1u);
  EXPECT_GE(held.bytes, 3 * sizeof(PendingRequest) + 1000);
  forwarded.onReply(0, bulk("$1\r\nx\r\n"));
  EXPECT_EQ(q.queue.footprint().held_replies, 1u);  // still behind the second forwarded one
  EXPECT_LT(q.queue.footprint().bytes, held.bytes);
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
  DrainedQueue q;
  PendingRequest& split = q.queue.push();
  split.expect(3, std::make_unique<SumMerger>());
  split.onReply(2, resp::Reply{resp::ReplyType::kInteger, 2, ":2\r\n"});
  split.onReply(0, resp::Reply{resp::ReplyType::kInteger, 1, ":1\r\n"});
  EXPECT_EQ(q.drain.completions, 0);
  split.onReply(1, resp::Reply{resp::ReplyType::kInteger, 4, ":4\r\n"});
  EXPECT_EQ(q.drain.completions, 1);
  EXPECT_EQ(q.drain.written, (std::vector<std::string>{":7\r\n"}));
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
  PendingFreeList spare;
  PendingQueue queue(listener, spare);
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
  PendingFreeList spare;
  PendingQueue queue(listener, spare);
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
  PendingFreeList spare;
  PendingQueue queue(drain, spare);
  PendingRequest& request = queue.push();
  request.expect(2);
  queue.cancelAll();  // tickets without a connection: nothing to reach, nothing to crash
  EXPECT_EQ(request.ticket(0).connection, nullptr);
  EXPECT_EQ(request.ticket(1).connection, nullptr);
}

TEST(PendingFreeList, AWrittenEntryIsReusedAsAFreshOne) {
  DrainedQueue q;
  PendingRequest& first = q.forwarded();
  first.server = 2;
  first.silent = true;
  PendingRequest& second = q.forwarded();
  second.onReply(0, bulk("$1\r\nb\r\n"));  // held behind `first`: copied into the entry
  first.onReply(0, bulk("$1\r\na\r\n"));
  ASSERT_TRUE(q.queue.empty());
  EXPECT_EQ(q.spare.spare(), 2u);

  PendingRequest& again = q.queue.push();
  EXPECT_TRUE(&again == &first || &again == &second);
  EXPECT_EQ(q.spare.spare(), 1u);
  EXPECT_TRUE(again.done());
  EXPECT_TRUE(again.reply().empty());
  EXPECT_EQ(again.server, PendingRequest::kNoServer);
  EXPECT_FALSE(again.silent);
  EXPECT_FALSE(again.written);
  EXPECT_TRUE(again.servers().empty());
}

TEST(PendingFreeList, KeepsASmallHeldReplyBufferAndFreesALargeOne) {
  PendingFreeList spare;
  PendingRequest* small = spare.take();
  small->complete(std::string(100, 'x'));
  const char* small_buffer = small->reply().data();
  spare.give(small);
  PendingRequest* reused = spare.take();
  ASSERT_EQ(reused, small);
  EXPECT_TRUE(reused->reply().empty());
  EXPECT_EQ(reused->reply().data(), small_buffer);  // same allocation, nothing new

  reused->complete(std::string(PendingFreeList::kMaxKeptReply * 4, 'x'));
  spare.give(reused);
  PendingRequest* fresh = spare.take();
  EXPECT_LE(fresh->reply().capacity(), PendingFreeList::kMaxKeptReply);
  spare.give(fresh);
}

TEST(PendingFreeList, ASplitRequestsPartListsAreReusedEmpty) {
  PendingFreeList spare;
  PendingRequest* split = spare.take();
  split->expect(3, std::make_unique<SumMerger>());
  split->part_servers = {0, 2, 1};
  const uint32_t* servers_buffer = split->part_servers.data();
  spare.give(split);
  PendingRequest* reused = spare.take();
  ASSERT_EQ(reused, split);
  EXPECT_TRUE(reused->servers().empty());
  EXPECT_TRUE(reused->done());
  reused->part_servers.assign({1, 2});
  EXPECT_EQ(reused->part_servers.data(), servers_buffer);  // no new allocation
  reused->expect(2);
  EXPECT_EQ(reused->ticket(1).connection, nullptr);
  spare.give(reused);
}

TEST(PendingFreeList, HoldsNoMoreThanItsLimit) {
  PendingFreeList spare;
  std::vector<PendingRequest*> burst;
  for (size_t i = 0; i < PendingFreeList::kMaxSpare + 10; ++i) burst.push_back(spare.take());
  for (PendingRequest* entry : burst) spare.give(entry);  // the extra ten are freed (ASan)
  EXPECT_EQ(spare.spare(), PendingFreeList::kMaxSpare);
}

TEST(PendingFreeList, ADestroyedQueueGivesItsEntriesBack) {
  Drain drain;
  PendingFreeList spare;
  {
    PendingQueue queue(drain, spare);
    queue.push().expect(1);
    queue.push().complete("+OK\r\n");
  }
  EXPECT_EQ(spare.spare(), 2u);
}

}  // namespace
}  // namespace shardis::proxy
