#include "net/async.h"

#include "net/loop.h"

namespace shardis::net {

WakeupPtr Wakeup::create(Loop& loop, std::function<void()> on_wake) {
  return WakeupPtr(new Wakeup(loop, std::move(on_wake)));
}

Wakeup::Wakeup(Loop& loop, std::function<void()> on_wake) : on_wake_(std::move(on_wake)) {
  uv_async_init(loop.raw(), &handle(), &Wakeup::onWake);
}

void Wakeup::send() { uv_async_send(&handle()); }

void Wakeup::onWake(uv_async_t* async) {
  Wakeup* self = ownerOf(async);
  if (!self->closing() && self->on_wake_) self->on_wake_();
}

}  // namespace shardis::net
