// The process's signals, in two groups, set up by main() before daemonizing and before any
// thread starts (threads inherit the mask and the handlers):
//
//   control: SIGTERM SIGINT SIGHUP SIGTTIN SIGTTOU SIGUSR1 SIGUSR2
//     blocked in every thread from the start and taken one at a time by serve()'s waiting
//     thread with sigtimedwait(), so their work runs as ordinary code, never in a handler, and
//     one sent before serving starts waits instead of killing the process.
//   fatal: SIGSEGV SIGBUS SIGILL SIGFPE SIGABRT
//     a handler writes one line and a backtrace to the log's descriptor (crashLogFd()), then
//     restores the default action and raises the signal again, so the process dies of it as
//     it would have (exit status, core dump).
//
// Under AddressSanitizer this handler replaces ASan's own SIGSEGV report (ASan lets a program
// install its handler); ASAN_OPTIONS=allow_user_segv_handler=0 keeps ASan's instead.
#pragma once

#include <csignal>

namespace shardis::app {

// The control signals above, as a set for sigtimedwait().
sigset_t controlSignals();

// Blocks the control signals in the calling thread (and so in the threads it starts later).
void blockControlSignals();

// Installs the fatal-signal handler. Safe to call more than once.
void installFatalSignalHandlers();

// "SIGUSR1" for SIGUSR1 and so on, for the signals above; "signal" for any other.
const char* signalName(int signo);

}  // namespace shardis::app
