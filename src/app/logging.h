// The process's spdlog set-up: one default logger named "shardis", writing to a file or to
// standard error. main() calls setupLogging() once, before any worker thread starts; every
// module then logs through spdlog's free functions. serve() calls reopenLogFile() on SIGHUP
// and stepLogLevel() on SIGTTIN/SIGTTOU, from its signal-waiting thread.
#pragma once

#include <string>

namespace shardis::app {

// `level` is one of spdlog's names (trace ... off); `file` empty means standard error.
// Returns false with `error` set when the file cannot be opened; a missing directory is not
// created (the message names it).
bool setupLogging(const std::string& level, const std::string& file, std::string& error);

// Opens the log file's path again and closes the old file, so that after logrotate renamed
// it the next lines go to a new file. A no-op (true) when logging to standard error. When the
// path cannot be opened, returns false and keeps writing to the file already open. Safe while
// other threads log: the file sink's own mutex covers the swap.
bool reopenLogFile(std::string& error);

// A descriptor on the log's destination for a fatal-signal handler, which cannot go through
// spdlog: standard error, or a private duplicate of the log file's descriptor that follows
// reopenLogFile(). Async-signal-safe.
int crashLogFd();

// twemproxy's SIGTTIN/SIGTTOU: `more_verbose` moves one level towards trace, else one towards
// critical (never to off, so that the process can still be heard). Returns the new level name.
std::string stepLogLevel(bool more_verbose);

}  // namespace shardis::app
