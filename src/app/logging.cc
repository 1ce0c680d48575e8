#include "app/logging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace shardis::app {

namespace {

// The descriptor crashLogFd() hands out: standard error, or a private duplicate of the log
// file's descriptor that a reopen replaces in place (dup3), so its number never dangles.
std::atomic<int> crash_fd{STDERR_FILENO};
static_assert(std::atomic<int>::is_always_lock_free, "read from a signal handler");

void pointCrashFdAt(int fd) {
  const int current = crash_fd.load();
  if (fd == STDERR_FILENO) {
    crash_fd.store(STDERR_FILENO);
    if (current != STDERR_FILENO) ::close(current);
    return;
  }
  if (current != STDERR_FILENO) {
    ::dup3(fd, current, O_CLOEXEC);
    return;
  }
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy >= 0) crash_fd.store(copy);
}

std::string openError(const std::string& path, int err) {
  std::string message = "cannot open log file '" + path + "': ";
  const size_t slash = path.rfind('/');
  if (err == ENOENT && slash != std::string::npos) {
    // O_CREAT makes the file but not its directory: say which one is missing.
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0) {
      return message + "directory '" + dir + "' does not exist (shardis does not create it)";
    }
  }
  return message + std::strerror(err);
}

// Opens `path` for appending, creating the file (mode 0666 less the umask, as fopen does) but
// never a directory: a log path in a missing directory is a typo or a missing volume.
FILE* openLogFile(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = openError(path, errno);
    return nullptr;
  }
  FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    error = openError(path, errno);
    ::close(fd);
  }
  return file;
}

// A file sink whose file can be opened again by path (logrotate's rename + HUP). spdlog's
// own file sinks cannot, and they create missing directories.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ReopenableFileSink(std::string path, FILE* file) : path_(std::move(path)), file_(file) {
    pointCrashFdAt(::fileno(file_));
  }
  ~ReopenableFileSink() override { std::fclose(file_); }
  ReopenableFileSink(const ReopenableFileSink&) = delete;
  ReopenableFileSink& operator=(const ReopenableFileSink&) = delete;

  // On failure the open file stays: its lines still reach an operator (in the renamed file)
  // rather than nowhere, until a later reopen succeeds.
  bool reopen(std::string& error) {
    FILE* file = openLogFile(path_, error);
    if (file == nullptr) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    std::fflush(file_);
    std::fclose(file_);
    file_ = file;
    pointCrashFdAt(::fileno(file_));
    return true;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // A full disk must not stop the proxy; the line is lost, as it would be anyway.
    (void)std::fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  std::string path_;
  FILE* file_;
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
  if (file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    fileSink().reset();
    pointCrashFdAt(STDERR_FILENO);
  } else {
    FILE* opened = openLogFile(file, error);
    if (opened == nullptr) return false;
    fileSink() = std::make_shared<ReopenableFileSink>(file, opened);
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
  return sink->reopen(error);
}

int crashLogFd() { return crash_fd.load(std::memory_order_relaxed); }

std::string stepLogLevel(bool more_verbose) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  int level = static_cast<int>(logger->level());
  if (more_verbose && level > static_cast<int>(spdlog::level::trace)) --level;
  if (!more_verbose && level < static_cast<int>(spdlog::level::critical)) ++level;
  logger->set_level(static_cast<spdlog::level::level_enum>(level));
  auto name = spdlog::level::to_string_view(logger->level());
  return {name.data(), name.size()};
}

}  // namespace shardis::app
