// UvHandle: libuv's close rule, written once for every handle owner in net/ (Timer, Wakeup,
// Stream, Listener).
//
// libuv may still call into a handle after the code that owns it decided to stop: a callback
// already queued runs, and the memory must stay valid until the close callback. So an owner:
//   - derives from UvHandle<Owner, Handle> (Handle: a uv_*_t, or a union of them sharing the
//     uv_handle_t prefix), is created with new and held in a UvHandlePtr<Owner>;
//   - never moves (copy and move are deleted here), and its destructor is private;
//   - is deleted only from the close callback, never by its holder: dropping the
//     UvHandlePtr calls close(), which may be called any number of times.
// close() first calls the owner's onClosing() (drop callbacks, cancel pending work), so
// nothing the owner reports reaches its user after close() returned.
#pragma once

#include <uv.h>

#include <memory>

namespace shardis::net {

template <typename Owner, typename Handle>
class UvHandle {
 public:
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&&) = delete;
  UvHandle& operator=(UvHandle&&) = delete;

  // Stops the handle for good: onClosing(), then uv_close; the owner is deleted from the
  // close callback. Safe to call twice, and after closeWhenDone().
  void close() {
    if (closing_) return;
    closing_ = true;
    static_cast<Owner*>(this)->onClosing();
    closeHandle();
  }
  // True once close() (or a close that waits for pending work) has begun.
  [[nodiscard]] bool closing() const { return closing_; }

 protected:
  // libuv never touches `data`: it holds this base, from which ownerOf() finds the owner.
  UvHandle() { uvHandle()->data = this; }
  ~UvHandle() = default;

  Handle& handle() { return handle_; }
  const Handle& handle() const { return handle_; }
  uv_handle_t* uvHandle() { return reinterpret_cast<uv_handle_t*>(&handle_); }
  const uv_handle_t* uvHandle() const { return reinterpret_cast<const uv_handle_t*>(&handle_); }

  // The owner of a handle (any uv_*_t of this base) from a libuv callback.
  template <typename Raw>
  static Owner* ownerOf(Raw* raw) {
    return static_cast<Owner*>(static_cast<UvHandle*>(reinterpret_cast<uv_handle_t*>(raw)->data));
  }

  // For an owner that finishes some work before the handle goes (Stream's graceful close):
  // from here close() does nothing more, and the owner calls closeHandle() itself later.
  void setClosing() { closing_ = true; }
  // Hands the handle to uv_close, once; the owner is deleted from the close callback.
  void closeHandle() {
    if (uv_is_closing(uvHandle()) == 0) uv_close(uvHandle(), &UvHandle::onClosed);
  }

 private:
  static void onClosed(uv_handle_t* raw) { delete ownerOf(raw); }

  Handle handle_{};
  bool closing_ = false;
};

// Holds a handle owner; dropping it closes the handle (the memory goes in the close callback).
struct UvHandleCloser {
  template <typename Owner>
  void operator()(Owner* owner) const {
    if (owner != nullptr) owner->close();
  }
};
template <typename Owner>
using UvHandlePtr = std::unique_ptr<Owner, UvHandleCloser>;

}  // namespace shardis::net
