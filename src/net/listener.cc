#include "net/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/loop.h"
#include "net/stream.h"

namespace shardis::net {

namespace {

std::string describe(const ListenAddress& address, const char* what, int err) {
  return "listen " + address.text + ": " + what + ": " + std::strerror(err);
}

int openTcp(const ListenAddress& address, int backlog, bool reuseport, std::string& error) {
  sockaddr_storage storage{};
  auto* any = reinterpret_cast<sockaddr*>(&storage);
  const std::string& host = address.host;
  if (uv_ip4_addr(host.c_str(), address.port, reinterpret_cast<sockaddr_in*>(any)) != 0 &&
      uv_ip6_addr(host.c_str(), address.port, reinterpret_cast<sockaddr_in6*>(any)) != 0) {
    error = "listen " + address.text + ": not an IPv4 or IPv6 address";
    return -1;
  }
  int fd = ::socket(any->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = describe(address, "socket", errno);
    return -1;
  }
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  // "::" should mean IPv6 and IPv4 alike, as it does for redis-server.
  if (any->sa_family == AF_INET6) {
    int off = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  socklen_t length = any->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (::bind(fd, any, length) != 0 || ::listen(fd, backlog) != 0) {
    error = describe(address, "bind", errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

int openUnix(const ListenAddress& address, int backlog, std::string& error) {
  sockaddr_un un{};
  if (address.path.size() >= sizeof un.sun_path) {
    error = "listen " + address.text + ": socket path too long";
    return -1;
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, address.path.c_str(), address.path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = describe(address, "socket", errno);
    return -1;
  }
  // A socket file left by an earlier run would make bind fail; twemproxy removes it too.
  struct stat st {};
  if (::stat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    ::unlink(address.path.c_str());
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0) {
    error = describe(address, "bind", errno);
    ::close(fd);
    return -1;
  }
  if (address.permissions != 0 && ::chmod(address.path.c_str(), address.permissions) != 0) {
    error = describe(address, "chmod", errno);
    ::close(fd);
    return -1;
  }
  if (::listen(fd, backlog) != 0) {
    error = describe(address, "listen", errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int openListenSocket(const ListenAddress& address, int backlog, bool reuseport,
                     std::string& error) {
  if (address.kind == ListenAddress::Kind::kUnix) return openUnix(address, backlog, error);
  return openTcp(address, backlog, reuseport, error);
}

Listener::Listener(Loop& loop, const ListenAddress& address, ListenerEvents* events)
    : address_(address), events_(events) {
  if (address.kind == ListenAddress::Kind::kTcp) {
    uv_tcp_init(loop.raw(), &handle().tcp);
  } else {
    uv_pipe_init(loop.raw(), &handle().pipe, 0);
  }
}

ListenerPtr Listener::open(Loop& loop, const ListenAddress& address, int fd, int backlog,
                           ListenerEvents* events, std::string& error) {
  ListenerPtr listener(new Listener(loop, address, events));
  int status = address.kind == ListenAddress::Kind::kTcp
                   ? uv_tcp_open(&listener->handle().tcp, fd)
                   : uv_pipe_open(&listener->handle().pipe, fd);
  if (status != 0) {
    ::close(fd);
  } else {
    status = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->handle()), backlog,
                       &Listener::onConnectionReady);
  }
  if (status != 0) {
    error = "listen " + address.text + ": " + uv_strerror(status);
    return nullptr;
  }
  return listener;
}

int Listener::accept(Stream& stream) {
  return stream.accept(reinterpret_cast<uv_stream_t*>(&handle()));
}

void Listener::onConnectionReady(uv_stream_t* server, int status) {
  Listener* self = ownerOf(server);
  if (status != 0 || self->events_ == nullptr) return;
  self->events_->onConnection(*self);
}

}  // namespace shardis::net
