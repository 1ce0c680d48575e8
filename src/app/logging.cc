#include "app/logging.h"

#include <memory>
#include <mutex>

#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace shardis::app {

namespace {

// A file sink whose file can be closed and opened again by path (logrotate's rename + HUP).
// spdlog's basic_file_sink cannot: it keeps its descriptor for life.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, /*truncate=*/false); }

  // Throws spdlog::spdlog_ex when the path cannot be opened; the old file is closed then,
  // and lines are dropped until a later reopen succeeds.
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(/*truncate=*/false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

// The file sink of the current logger, if it writes to a file. Set once by setupLogging()
// before any other thread exists, so readers need no lock.
std::shared_ptr<ReopenableFileSink>& fileSink() {
  static std::shared_ptr<ReopenableFileSink> sink;
  return sink;
}

}  // namespace

bool setupLogging(const std::string& level, const std::string& file, std::string& error) {
  spdlog::sink_ptr sink;
  fileSink().reset();
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      fileSink() = std::make_shared<ReopenableFileSink>(file);
    } catch (const spdlog::spdlog_ex& ex) {
      error = "cannot open log file '" + file + "': " + ex.what();
      return false;
    }
    sink = fileSink();
  }
  auto logger = std::make_shared<spdlog::logger>("shardis", std::move(sink));
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] [%t] %v");
  logger->set_level(spdlog::level::from_str(level));
  // Lines at info and above are events, not traffic (there are none per request), and an
  // operator tails the file during an incident: they reach it at once. serve() flushes the
  // debug and trace lines once a second.
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

bool reopenLogFile(std::string& error) {
  const std::shared_ptr<ReopenableFileSink>& sink = fileSink();
  if (!sink) return true;
  // Whatever is buffered belongs to the old file.
  spdlog::default_logger_raw()->flush();
  try {
    sink->reopen();
  } catch (const spdlog::spdlog_ex& ex) {
    error = ex.what();
    return false;
  }
  return true;
}

std::string stepLogLevel(bool more_verbose) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  int level = static_cast<int>(logger->level());
  if (more_verbose && level > static_cast<int>(spdlog::level::trace)) --level;
  if (!more_verbose && level < static_cast<int>(spdlog::level::critical)) ++level;
  logger->set_level(static_cast<spdlog::level::level_enum>(level));
  auto name = spdlog::level::to_string_view(logger->level());
  return std::string(name.data(), name.size());
}

}  // namespace shardis::app
