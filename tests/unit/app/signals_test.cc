// The fatal-signal handler, in a child process each (gtest death tests): one note and a
// backtrace on the log's descriptor (standard error here), then death by the same signal.
#include "app/signals.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <csignal>
#include <cstdlib>

namespace shardis::app {
namespace {

constexpr const char* kFrames = "(\n[^\n]*\\[0x[0-9a-f]+\\]){3}";

TEST(FatalSignalDeathTest, KillSegvWritesANoteAndABacktrace) {
  EXPECT_EXIT(
      {
        installFatalSignalHandlers();
        std::raise(SIGSEGV);
      },
      ::testing::KilledBySignal(SIGSEGV),
      std::string("shardis: fatal signal 11 \\(SIGSEGV\\) in thread [0-9]+; backtrace:") + kFrames);
}

// A real fault, not a sent signal: the handler returns, the store faults again and the
// default action ends the process.
TEST(FatalSignalDeathTest, AFaultingStoreDiesOfSigsegv) {
  EXPECT_EXIT(
      {
        installFatalSignalHandlers();
        void* page = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *static_cast<volatile char*>(page) = 1;
      },
      ::testing::KilledBySignal(SIGSEGV),
      std::string("shardis: fatal signal 11 \\(SIGSEGV\\) in thread [0-9]+; backtrace:") + kFrames);
}

TEST(FatalSignalDeathTest, AbortWritesANoteAndDiesOfSigabrt) {
  EXPECT_EXIT(
      {
        installFatalSignalHandlers();
        std::abort();
      },
      ::testing::KilledBySignal(SIGABRT),
      std::string("shardis: fatal signal 6 \\(SIGABRT\\) in thread [0-9]+; backtrace:") + kFrames);
}

TEST(ControlSignals, HoldTheOnesWhoseDefaultWouldStopTheProxy) {
  const sigset_t set = controlSignals();
  for (int signo : {SIGTERM, SIGINT, SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2}) {
    EXPECT_EQ(sigismember(&set, signo), 1) << signalName(signo);
  }
  for (int signo : {SIGSEGV, SIGABRT, SIGPIPE, SIGCHLD}) {
    EXPECT_EQ(sigismember(&set, signo), 0) << signo;
  }
  EXPECT_STREQ(signalName(SIGUSR2), "SIGUSR2");
  EXPECT_STREQ(signalName(SIGCHLD), "signal");
}

}  // namespace
}  // namespace shardis::app
