#include "app/daemon.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

namespace shardis::app {

namespace {

std::string failure(const char* step) {
  return std::string(step) + " failed: " + std::strerror(errno);
}

}  // namespace

bool daemonize(std::string& error) {
  pid_t pid = fork();
  if (pid < 0) {
    error = failure("fork");
    return false;
  }
  if (pid > 0) {
    _exit(0);
  }
  if (setsid() < 0) {
    error = failure("setsid");
    return false;
  }
  // The session leader exits so that the daemon can never reacquire a controlling terminal.
  std::signal(SIGHUP, SIG_IGN);
  pid = fork();
  if (pid < 0) {
    error = failure("fork");
    return false;
  }
  if (pid > 0) {
    _exit(0);
  }
  // twemproxy clears the umask here; we keep the caller's so that the log and pid files do
  // not become world-writable.
  const int null_fd = open("/dev/null", O_RDWR);
  if (null_fd < 0) {
    error = failure("open /dev/null");
    return false;
  }
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (dup2(null_fd, fd) < 0) {
      error = failure("dup2");
      return false;
    }
  }
  if (null_fd > STDERR_FILENO) {
    close(null_fd);
  }
  return true;
}

bool writePidFile(const std::string& path, std::string& error) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    error = "cannot write pid file '" + path + "': " + std::strerror(errno);
    return false;
  }
  out << getpid() << '\n';
  out.close();
  if (!out) {
    error = "cannot write pid file '" + path + "'";
    return false;
  }
  return true;
}

void removePidFile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(getpid())) {
    in.close();
    unlink(path.c_str());
  }
}

}  // namespace shardis::app
