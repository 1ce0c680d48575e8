// Wakeup: owner of one uv_async_t, the only way another thread talks to a worker's loop
// (shutdown). send() is the one thread-safe call in net/.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

namespace shardis::net {

class Loop;
class Wakeup;
struct WakeupCloser {
  void operator()(Wakeup* wakeup) const;
};
using WakeupPtr = std::unique_ptr<Wakeup, WakeupCloser>;

class Wakeup {
 public:
  static WakeupPtr create(Loop& loop, std::function<void()> on_wake);
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void send();  // any thread
  void close();

 private:
  Wakeup(Loop& loop, std::function<void()> on_wake);
  ~Wakeup() = default;
  friend struct WakeupCloser;
  static void onWake(uv_async_t* async);
  static void onClosed(uv_handle_t* handle);

  uv_async_t async_{};
  std::function<void()> on_wake_;
  bool closing_ = false;
};

}  // namespace shardis::net
