// Listening sockets. The process opens them before the workers start (so a bad address is
// reported at once and the exit code says so), as plain file descriptors; each worker then
// wraps its descriptor in a Listener on its own loop.
//
// TCP: every worker gets its own socket bound with SO_REUSEPORT, so the kernel spreads new
// connections across workers. Unix sockets cannot be spread that way: one socket is bound and
// each worker listens on a dup() of it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "net/listen_address.h"
#include "net/uv_handle.h"

namespace shardis::net {

class Loop;
class Stream;

// Opens a bound, listening socket for `address`. `reuseport` sets SO_REUSEPORT (needed when
// several workers listen on one TCP port). Returns the descriptor, or -1 and sets `error`.
int openListenSocket(const ListenAddress& address, int backlog, bool reuseport, std::string& error);

class Listener;
class ListenerEvents {
 public:
  // A connection is waiting: the callee calls listener.accept() (or lets it wait).
  virtual void onConnection(Listener& listener) = 0;

 protected:
  ~ListenerEvents() = default;
};

// A listening handle is a TCP or a unix socket; both begin with uv_stream_t.
union ListenHandle {
  uv_tcp_t tcp;
  uv_pipe_t pipe;
};

class Listener;
using ListenerPtr = UvHandlePtr<Listener>;

// One listening handle on one loop. Never moved; freed from its close callback (UvHandle).
class Listener final : public UvHandle<Listener, ListenHandle> {
 public:
  // Takes ownership of `fd` (closed with the handle). Returns null and sets `error` on failure.
  static ListenerPtr open(Loop& loop, const ListenAddress& address, int fd, int backlog,
                          ListenerEvents* events, std::string& error);
  const ListenAddress& address() const { return address_; }
  // Accepts the waiting connection into `stream` (libuv status).
  int accept(Stream& stream);

 private:
  friend class UvHandle<Listener, ListenHandle>;
  Listener(Loop& loop, const ListenAddress& address, ListenerEvents* events);
  ~Listener() = default;
  void onClosing() { events_ = nullptr; }
  static void onConnectionReady(uv_stream_t* server, int status);

  const ListenAddress address_;  // a copy: the caller's may be temporary
  ListenerEvents* events_;       // nullptr once closing
};

}  // namespace shardis::net
