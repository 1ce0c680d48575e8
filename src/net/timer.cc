#include "net/timer.h"

#include "net/loop.h"

namespace shardis::net {

TimerPtr Timer::create(Loop& loop, std::function<void()> on_fire) {
  return TimerPtr(new Timer(loop, std::move(on_fire)));
}

Timer::Timer(Loop& loop, std::function<void()> on_fire) : on_fire_(std::move(on_fire)) {
  uv_timer_init(loop.raw(), &handle());
}

void Timer::start(uint64_t delay_ms, uint64_t repeat_ms) {
  if (!closing()) uv_timer_start(&handle(), &Timer::onFire, delay_ms, repeat_ms);
}

void Timer::stop() {
  if (!closing()) uv_timer_stop(&handle());
}

bool Timer::active() const { return !closing() && uv_is_active(uvHandle()) != 0; }

void Timer::onFire(uv_timer_t* timer) {
  Timer* self = ownerOf(timer);
  if (!self->closing() && self->on_fire_) self->on_fire_();
}

}  // namespace shardis::net
