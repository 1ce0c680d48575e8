#include "app/signals.h"

#include <execinfo.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "app/logging.h"

namespace shardis::app {

namespace {

constexpr std::array<int, 7> kControlSignals = {SIGTERM, SIGINT,  SIGHUP, SIGTTIN,
                                                SIGTTOU, SIGUSR1, SIGUSR2};
constexpr std::array<int, 5> kFatalSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
constexpr int kMaxFrames = 64;

// Everything below runs inside a signal handler: only write(2), backtrace() (preloaded, see
// installFatalSignalHandlers) and plain stack buffers; no allocation, no locks, no stdio.
void writeAll(int fd, const char* bytes, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written <= 0) {
      if (written < 0 && errno == EINTR) continue;
      return;
    }
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

// Appends `text` at `at` within `line` (bounded by `end`); returns the new end of the text.
char* append(char* at, const char* end, const char* text) {
  while (*text != '\0' && at < end) *at++ = *text++;
  return at;
}

char* appendNumber(char* at, const char* end, long value) {
  std::array<char, 24> digits{};
  size_t count = 0;
  unsigned long magnitude =
      value < 0 ? 0UL - static_cast<unsigned long>(value) : static_cast<unsigned long>(value);
  do {
    digits[count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0 && count < digits.size());
  if (value < 0 && at < end) *at++ = '-';
  while (count > 0 && at < end) *at++ = digits[--count];
  return at;
}

void onFatalSignal(int signo) {
  const int saved_errno = errno;
  const int fd = crashLogFd();
  std::array<char, 128> line{};
  const char* end = line.data() + line.size();
  char* at = append(line.data(), end, "shardis: fatal signal ");
  at = appendNumber(at, end, signo);
  at = append(at, end, " (");
  at = append(at, end, signalName(signo));
  at = append(at, end, ") in thread ");
  at = appendNumber(at, end, ::syscall(SYS_gettid));
  at = append(at, end, "; backtrace:\n");
  writeAll(fd, line.data(), static_cast<size_t>(at - line.data()));
  std::array<void*, kMaxFrames> frames{};
  const int count = ::backtrace(frames.data(), kMaxFrames);
  ::backtrace_symbols_fd(frames.data(), count, fd);
  // SA_RESETHAND already put the default action back; raising again while the signal is
  // blocked (it is, inside its handler) delivers it as soon as the handler returns. A fault
  // (a real SIGSEGV) would also just happen again on return.
  ::signal(signo, SIG_DFL);
  ::raise(signo);
  errno = saved_errno;
}

}  // namespace

sigset_t controlSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : kControlSignals) sigaddset(&set, signo);
  return set;
}

void blockControlSignals() {
  const sigset_t set = controlSignals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void installFatalSignalHandlers() {
  // The first backtrace() loads libgcc's unwinder, which allocates: do it now, not in the
  // handler.
  std::array<void*, 2> warm_up{};
  (void)::backtrace(warm_up.data(), static_cast<int>(warm_up.size()));
  struct sigaction action {};
  action.sa_handler = onFatalSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  for (int signo : kFatalSignals) ::sigaction(signo, &action, nullptr);
}

const char* signalName(int signo) {
  switch (signo) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    case SIGTTIN:
      return "SIGTTIN";
    case SIGTTOU:
      return "SIGTTOU";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

}  // namespace shardis::app
