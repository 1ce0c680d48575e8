// Timer: owner of one uv_timer_t, for request timeouts, reconnect backoff and health probes.
// Held in a TimerPtr and freed from its close callback (UvHandle); the callback never runs
// after close().
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "net/uv_handle.h"

namespace shardis::net {

class Loop;
class Timer;
using TimerPtr = UvHandlePtr<Timer>;

class Timer final : public UvHandle<Timer, uv_timer_t> {
 public:
  static TimerPtr create(Loop& loop, std::function<void()> on_fire);

  // (Re)arms the timer to fire once after `delay_ms`, or every `repeat_ms` if non-zero.
  void start(uint64_t delay_ms, uint64_t repeat_ms = 0);
  void stop();
  bool active() const;

 private:
  friend class UvHandle<Timer, uv_timer_t>;
  Timer(Loop& loop, std::function<void()> on_fire);
  ~Timer() = default;
  void onClosing() { on_fire_ = nullptr; }
  static void onFire(uv_timer_t* timer);

  std::function<void()> on_fire_;
};

}  // namespace shardis::net
