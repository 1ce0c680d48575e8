#include "net/loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "net/timer.h"

namespace shardis::net {
namespace {

TEST(Loop, DeferredTasksRunAfterTheCallbackThatQueuedThem) {
  Loop loop;
  std::vector<int> order;
  TimerPtr timer = Timer::create(loop, [&] {
    loop.defer([&] { order.push_back(2); });
    order.push_back(1);
  });
  timer->start(1);
  // The timer keeps the loop alive for one round; its deferred task runs in that round.
  TimerPtr stopper = Timer::create(loop, [&] { timer.reset(); });
  stopper->start(20);
  loop.run();
  stopper.reset();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Loop, NowNsIsOneClockReadPerReadCallbackAndTheClockOutsideOne) {
  Loop loop;
  loop.beginRead(10);  // what Stream does around each read callback
  uint64_t read_began = loop.nowNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(loop.nowNs(), read_began);  // every request and reply of the read: one time
  loop.endRead();
  EXPECT_GE(loop.nowNs(), read_began + 2'000'000);  // a timer or connect callback: the clock
  EXPECT_EQ(loop.readBytes(), 10u);
}

TEST(Timer, CloseTwiceIsSafeAndTheCallbackNeverRunsAfterClose) {
  Loop loop;
  int fired = 0;
  TimerPtr timer = Timer::create(loop, [&] { ++fired; });
  timer->start(1);
  timer->close();
  timer->close();
  timer.reset();
  loop.run();
  EXPECT_EQ(fired, 0);
}

TEST(Timer, RepeatsUntilStopped) {
  Loop loop;
  int fired = 0;
  TimerPtr timer;
  timer = Timer::create(loop, [&] {
    if (++fired == 3) timer->stop();
  });
  timer->start(1, 1);
  loop.run();
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer->active());
}

}  // namespace
}  // namespace shardis::net
