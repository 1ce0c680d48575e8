#include "net/async.h"

#include "net/loop.h"

namespace shardis::net {

void WakeupCloser::operator()(Wakeup* wakeup) const {
  if (wakeup != nullptr) wakeup->close();
}

WakeupPtr Wakeup::create(Loop& loop, std::function<void()> on_wake) {
  return WakeupPtr(new Wakeup(loop, std::move(on_wake)));
}

Wakeup::Wakeup(Loop& loop, std::function<void()> on_wake) : on_wake_(std::move(on_wake)) {
  uv_async_init(loop.raw(), &async_, &Wakeup::onWake);
  async_.data = this;
}

void Wakeup::send() { uv_async_send(&async_); }

void Wakeup::close() {
  if (closing_) return;
  closing_ = true;
  on_wake_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), &Wakeup::onClosed);
}

void Wakeup::onWake(uv_async_t* async) {
  auto* self = static_cast<Wakeup*>(async->data);
  if (!self->closing_ && self->on_wake_) self->on_wake_();
}

void Wakeup::onClosed(uv_handle_t* handle) { delete static_cast<Wakeup*>(handle->data); }

}  // namespace shardis::net
