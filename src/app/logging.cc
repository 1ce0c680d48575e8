#include "app/logging.h"

#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace shardis::app {

bool setupLogging(const std::string& level, const std::string& file, std::string& error) {
  spdlog::sink_ptr sink;
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, /*truncate=*/false);
    } catch (const spdlog::spdlog_ex& ex) {
      error = "cannot open log file '" + file + "': " + ex.what();
      return false;
    }
  }
  auto logger = std::make_shared<spdlog::logger>("shardis", std::move(sink));
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] [%t] %v");
  logger->set_level(spdlog::level::from_str(level));
  // Warnings and errors reach the file at once; an operator tails it during an incident.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

}  // namespace shardis::app
