#include "net/timer.h"

#include "net/loop.h"

namespace shardis::net {

void TimerCloser::operator()(Timer* timer) const {
  if (timer != nullptr) timer->close();
}

TimerPtr Timer::create(Loop& loop, std::function<void()> on_fire) {
  return TimerPtr(new Timer(loop, std::move(on_fire)));
}

Timer::Timer(Loop& loop, std::function<void()> on_fire) : on_fire_(std::move(on_fire)) {
  uv_timer_init(loop.raw(), &timer_);
  timer_.data = this;
}

void Timer::start(uint64_t delay_ms, uint64_t repeat_ms) {
  if (!closing_) uv_timer_start(&timer_, &Timer::onFire, delay_ms, repeat_ms);
}

void Timer::stop() {
  if (!closing_) uv_timer_stop(&timer_);
}

bool Timer::active() const {
  return !closing_ && uv_is_active(reinterpret_cast<const uv_handle_t*>(&timer_)) != 0;
}

void Timer::close() {
  if (closing_) return;
  closing_ = true;
  on_fire_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Timer::onClosed);
}

void Timer::onFire(uv_timer_t* timer) {
  auto* self = static_cast<Timer*>(timer->data);
  if (!self->closing_ && self->on_fire_) self->on_fire_();
}

void Timer::onClosed(uv_handle_t* handle) { delete static_cast<Timer*>(handle->data); }

}  // namespace shardis::net
