#include "app/blocking_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>
#include <cerrno>
#include <cstring>

#include "resp/encoder.h"

namespace shardis::app {

namespace {

std::string systemError(std::string_view what, int code) {
  return std::string(what) + ": " + std::strerror(code);
}

// Waits until `fd` is ready for `events`, or `wake_fd` (if >= 0) is readable. 1 when ready,
// 0 on timeout, -1 when woken, -2 on error (errno set).
int pollFor(int fd, short events, int wake_fd, int timeout_ms) {
  pollfd entries[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  const nfds_t count = wake_fd >= 0 ? 2 : 1;
  for (;;) {
    const int ready = ::poll(entries, count, timeout_ms);
    if (ready > 0) {
      return count == 2 && entries[1].revents != 0 ? -1 : 1;
    }
    if (ready == 0) {
      return 0;
    }
    if (errno != EINTR) {
      return -2;
    }
  }
}

}  // namespace

BlockingClient::~BlockingClient() { close(); }

void BlockingClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buffer_.clear();
  returned_ = 0;
  decoder_.reset();
}

bool BlockingClient::waitFor(short events, std::string_view what, std::string& error) {
  switch (pollFor(fd_, events, wake_fd_, timeout_ms_)) {
    case 1:
      return true;
    case 0:
      error = systemError(what, ETIMEDOUT);
      return false;
    case -1:
      error = "stopped";
      return false;
    default:
      error = systemError(what, errno);
      return false;
  }
}

bool BlockingClient::connect(const config::Server& server, std::string& error) {
  if (server.unix_path.empty()) {
    return connect(server.host, server.port, error);
  }
  close();
  {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (server.unix_path.size() >= sizeof(address.sun_path)) {
      error = "unix socket path too long";
      return false;
    }
    std::memcpy(address.sun_path, server.unix_path.data(), server.unix_path.size());
    return connectTo(reinterpret_cast<const sockaddr*>(&address), sizeof(address), error);
  }
}

bool BlockingClient::connect(const std::string& host, uint16_t port, std::string& error) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  const int status = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve " + host + ": " + ::gai_strerror(status);
    return false;
  }
  bool connected = false;
  for (const addrinfo* entry = found; entry != nullptr && !connected; entry = entry->ai_next) {
    connected = connectTo(entry->ai_addr, entry->ai_addrlen, error);
  }
  ::freeaddrinfo(found);
  return connected;
}

bool BlockingClient::connectTo(const sockaddr* address, socklen_t length, std::string& error) {
  fd_ = ::socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    error = systemError("socket", errno);
    return false;
  }
  // Non-blocking connect, so that the timeout bounds it too.
  if (::connect(fd_, address, length) == 0) {
    return true;
  }
  int code = errno;
  if (code != EINPROGRESS) {
    close();
    error = systemError("connect", code);
    return false;
  }
  if (!waitFor(POLLOUT, "connect", error)) {
    close();
    return false;
  }
  socklen_t size = sizeof(code);
  code = ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &code, &size) == 0 ? code : errno;
  if (code != 0) {
    close();
    error = systemError("connect", code);
    return false;
  }
  return true;
}

bool BlockingClient::call(std::span<const std::string_view> argv, std::string_view& reply,
                          std::string& error) {
  return send(argv, error) && receive(reply, error);
}

bool BlockingClient::send(std::span<const std::string_view> argv, std::string& error) {
  if (fd_ < 0) {
    error = "not connected";
    return false;
  }
  std::string request;
  resp::appendCommand(request, argv);
  if (!sendAll(request, error)) {
    close();
    return false;
  }
  return true;
}

bool BlockingClient::receive(std::string_view& reply, std::string& error) {
  if (fd_ < 0) {
    error = "not connected";
    return false;
  }
  buffer_.erase(0, returned_);
  returned_ = 0;
  if (!readReply(reply, error)) {
    close();
    return false;
  }
  return true;
}

bool BlockingClient::sendAll(std::string_view bytes, std::string& error) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    // The socket is non-blocking: a full send buffer waits, bounded by the timeout.
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && errno != EAGAIN) {
      error = systemError("send", errno);
      return false;
    }
    if (!waitFor(POLLOUT, "send", error)) {
      return false;
    }
  }
  return true;
}

bool BlockingClient::readReply(std::string_view& reply, std::string& error) {
  char chunk[16384];
  for (;;) {
    const resp::Status status = decoder_.decode(buffer_);
    if (status == resp::Status::kFrame) {
      returned_ = decoder_.consumed();
      reply = std::string_view(buffer_).substr(0, returned_);
      return true;
    }
    if (status == resp::Status::kError) {
      error = "protocol error: " + std::string(decoder_.errorMessage());
      return false;
    }
    if (!waitFor(POLLIN, "read", error)) {
      return false;
    }
    const ssize_t received = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (received == 0) {
      error = "connection closed by the server";
      return false;
    }
    if (received < 0 && errno != EINTR && errno != EAGAIN) {
      error = systemError("read", errno);
      return false;
    }
    if (received > 0) {
      buffer_.append(chunk, static_cast<size_t>(received));
    }
  }
}

}  // namespace shardis::app
