// The process's spdlog set-up: one default logger named "shardis", writing to a file or to
// standard error. main() calls setupLogging() once, before any worker thread starts; every
// module then logs through spdlog's free functions. serve() calls reopenLogFile() on SIGHUP
// and stepLogLevel() on SIGTTIN/SIGTTOU, from its signal-waiting thread.
#pragma once

#include <string>

namespace shardis::app {

// `level` is one of spdlog's names (trace ... off); `file` empty means standard error.
// Returns false with `error` set when the file cannot be opened.
bool setupLogging(const std::string& level, const std::string& file, std::string& error);

// Closes the log file and opens its path again, so that after logrotate renamed it the next
// lines go to a new file. A no-op (true) when logging to standard error. Safe while other
// threads log: the file sink's own mutex covers the swap.
bool reopenLogFile(std::string& error);

// twemproxy's SIGTTIN/SIGTTOU: `more_verbose` moves one level towards trace, else one towards
// critical (never to off, so that the process can still be heard). Returns the new level name.
std::string stepLogLevel(bool more_verbose);

}  // namespace shardis::app
