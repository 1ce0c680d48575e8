// Timer: owner of one uv_timer_t, for request timeouts, reconnect backoff and health probes.
// Same ownership rule as Stream: held in a TimerPtr, freed from its close callback, and the
// callback never runs after close().
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace shardis::net {

class Loop;
class Timer;
struct TimerCloser {
  void operator()(Timer* timer) const;
};
using TimerPtr = std::unique_ptr<Timer, TimerCloser>;

class Timer {
 public:
  static TimerPtr create(Loop& loop, std::function<void()> on_fire);
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms the timer to fire once after `delay_ms`, or every `repeat_ms` if non-zero.
  void start(uint64_t delay_ms, uint64_t repeat_ms = 0);
  void stop();
  bool active() const;
  void close();

 private:
  explicit Timer(Loop& loop, std::function<void()> on_fire);
  ~Timer() = default;
  friend struct TimerCloser;
  static void onFire(uv_timer_t* timer);
  static void onClosed(uv_handle_t* handle);

  uv_timer_t timer_{};
  std::function<void()> on_fire_;
  bool closing_ = false;
};

}  // namespace shardis::net
