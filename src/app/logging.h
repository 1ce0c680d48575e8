// The process's spdlog set-up: one default logger named "shardis", writing to a file or to
// standard error. main() calls setupLogging() once, before any worker thread starts; every
// module then logs through spdlog's free functions.
#pragma once

#include <string>

namespace shardis::app {

// `level` is one of spdlog's names (trace ... off); `file` empty means standard error.
// Returns false with `error` set when the file cannot be opened.
bool setupLogging(const std::string& level, const std::string& file, std::string& error);

}  // namespace shardis::app
