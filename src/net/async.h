// Wakeup: owner of one uv_async_t, the only way another thread talks to a worker's loop
// (shutdown). send() is the one thread-safe call in net/. Held in a WakeupPtr and freed from
// its close callback (UvHandle).
#pragma once

#include <uv.h>

#include <functional>

#include "net/uv_handle.h"

namespace shardis::net {

class Loop;
class Wakeup;
using WakeupPtr = UvHandlePtr<Wakeup>;

class Wakeup final : public UvHandle<Wakeup, uv_async_t> {
 public:
  static WakeupPtr create(Loop& loop, std::function<void()> on_wake);

  void send();  // any thread

 private:
  friend class UvHandle<Wakeup, uv_async_t>;
  Wakeup(Loop& loop, std::function<void()> on_wake);
  ~Wakeup() = default;
  void onClosing() { on_wake_ = nullptr; }
  static void onWake(uv_async_t* async);

  std::function<void()> on_wake_;
};

}  // namespace shardis::net
