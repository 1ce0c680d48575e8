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

// Waits until `fd` is ready for `events`; false on timeout (errno ETIMEDOUT) or error.
bool waitFor(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, timeout_ms);
    if (ready > 0) {
      return true;
    }
    if (ready == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) {
      return false;
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

bool BlockingClient::connect(const config::Server& server, std::string& error) {
  close();
  if (!server.unix_path.empty()) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (server.unix_path.size() >= sizeof(address.sun_path)) {
      error = "unix socket path too long";
      return false;
    }
    std::memcpy(address.sun_path, server.unix_path.data(), server.unix_path.size());
    return connectTo(reinterpret_cast<const sockaddr*>(&address), sizeof(address), error);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  const int status = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve " + server.host + ": " + ::gai_strerror(status);
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
  if (::connect(fd_, address, length) != 0) {
    int code = errno;
    if (code == EINPROGRESS && waitFor(fd_, POLLOUT, timeout_ms_)) {
      socklen_t size = sizeof(code);
      code = ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &code, &size) == 0 ? code : errno;
    } else if (code == EINPROGRESS) {
      code = errno;
    }
    if (code != 0) {
      close();
      error = systemError("connect", code);
      return false;
    }
  }
  return true;
}

bool BlockingClient::call(std::span<const std::string_view> argv, std::string_view& reply,
                          std::string& error) {
  if (fd_ < 0) {
    error = "not connected";
    return false;
  }
  buffer_.erase(0, returned_);
  returned_ = 0;
  std::string request;
  resp::appendCommand(request, argv);
  if (!sendAll(request, error) || !readReply(reply, error)) {
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
    const bool retry =
        sent < 0 && (errno == EINTR || (errno == EAGAIN && waitFor(fd_, POLLOUT, timeout_ms_)));
    if (!retry) {
      error = systemError("send", errno);
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
    if (!waitFor(fd_, POLLIN, timeout_ms_)) {
      error = systemError("read", errno);
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
