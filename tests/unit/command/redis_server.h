#pragma once

// Test support: a throw-away redis-server on a free loopback port, killed when the owner goes
// out of scope (or when the test process dies), and a blocking client over a plain socket,
// enough for COMMAND GETKEYS and a few error replies; it reads RESP3's types too (after
// HELLO 3) so that the tests can compare raw bytes in either protocol.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace shardis::command::testing {

struct Reply {
  char type = 0;     // the RESP type byte ('+', '$', '*', '%' ...); 0 when the connection failed
  std::string text;  // simple string, error, integer or bulk; "(nil)" for a null bulk
  std::vector<Reply> items;  // an aggregate's elements; a map's keys and values in turn
};

class RespClient {
 public:
  explicit RespClient(int port) {
    for (int attempt = 0; attempt < 200 && fd_ < 0; ++attempt) {
      fd_ = connectTo(port);
      if (fd_ < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    if (fd_ >= 0) {
      // A command that unexpectedly blocks must fail the test, not hang it.
      timeval timeout{5, 0};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
  }
  ~RespClient() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  // The reply's exact bytes are in lastRaw() afterwards.
  Reply call(const std::vector<std::string_view>& argv) {
    std::string out = "*" + std::to_string(argv.size()) + "\r\n";
    for (const std::string_view arg : argv) {
      out += "$" + std::to_string(arg.size()) + "\r\n";
      out.append(arg);
      out += "\r\n";
    }
    size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return {};
      }
      sent += static_cast<size_t>(n);
    }
    raw_.clear();
    return readReply();
  }

  [[nodiscard]] const std::string& lastRaw() const { return raw_; }

 private:
  static int connectTo(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  bool fill() {
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  bool readLine(std::string& line) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!fill()) {
        return false;
      }
    }
    line = buffer_.substr(0, end);
    raw_.append(buffer_, 0, end + 2);
    buffer_.erase(0, end + 2);
    return true;
  }

  Reply readReply() {
    std::string line;
    if (!readLine(line) || line.empty()) {
      return {};
    }
    Reply reply{line[0], line.substr(1), {}};
    const std::string_view blobs = "$=!";        // a length, then that many bytes
    const std::string_view aggregates = "*~>%";  // a count of elements (of pairs for %)
    if (blobs.find(reply.type) != std::string_view::npos) {
      const long length = std::strtol(reply.text.c_str(), nullptr, 10);
      if (length < 0) {
        reply.text = "(nil)";
        return reply;
      }
      while (buffer_.size() < static_cast<size_t>(length) + 2) {
        if (!fill()) {
          return {};
        }
      }
      reply.text = buffer_.substr(0, static_cast<size_t>(length));
      raw_.append(buffer_, 0, static_cast<size_t>(length) + 2);
      buffer_.erase(0, static_cast<size_t>(length) + 2);
    } else if (aggregates.find(reply.type) != std::string_view::npos) {
      const long count = std::strtol(reply.text.c_str(), nullptr, 10);
      const long elements = reply.type == '%' ? 2 * count : count;
      for (long i = 0; i < elements; ++i) {
        reply.items.push_back(readReply());
      }
    }
    return reply;
  }

  int fd_ = -1;
  std::string buffer_;
  std::string raw_;
};

class RedisServer {
 public:
  RedisServer() {
    port_ = freePort();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      const std::string port = std::to_string(port_);
      execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", "/tmp", "--logfile", "/dev/null",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~RedisServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] int port() const { return port_; }

 private:
  static int freePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    socklen_t length = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    close(fd);
    return ntohs(addr.sin_port);
  }

  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace shardis::command::testing
