// shardis entry point: parse flags, load and check the configuration, then either answer a
// one-shot request (--version, --help, -t, locate) or set up logging, daemonize, write the
// pid file and hand over to serve().
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/daemon.h"
#include "app/locate.h"
#include "app/logging.h"
#include "app/options.h"
#include "app/serve.h"
#include "app/signals.h"
#include "config/config.h"

namespace shardis::app {
namespace {

constexpr const char* kVersionLine = "shardis " SHARDIS_VERSION;

bool loadConfig(const Options& options, config::Config& config) {
  try {
    config = config::loadFile(options.config_file);
    return true;
  } catch (const config::Error& error) {
    std::cerr << error.what() << '\n';
    return false;
  }
}

int testConfig(const Options& options) {
  config::Config config;
  if (!loadConfig(options, config)) {
    // The second line is twemproxy's own, for scripts written against nutcracker -t.
    std::cerr << "shardis: configuration file '" << options.config_file << "' syntax is invalid\n";
    return 1;
  }
  std::cout << "shardis: configuration file '" << options.config_file << "' syntax is ok\n";
  return 0;
}

// Command-line flags win over the file's `shardis:` section.
void applyOverrides(const Options& options, config::Process& process) {
  if (options.threads > 0) process.threads = options.threads;
  if (!options.log_level.empty()) process.log_level = options.log_level;
  if (!options.log_file.empty()) process.log_file = options.log_file;
  if (options.stats_port >= 0) process.stats_port = options.stats_port;
  if (!options.stats_addr.empty()) process.stats_addr = options.stats_addr;
}

int runServe(const Options& options) {
  // First, before anything can be slow: a SIGUSR1 or SIGHUP sent while the proxy starts waits
  // for serve() instead of killing the process, and a crash from here on leaves a backtrace.
  blockControlSignals();
  installFatalSignalHandlers();
  config::Config config;
  if (!loadConfig(options, config)) {
    return 1;
  }
  applyOverrides(options, config.process);
  std::string error;
  // Logging first, so that a bad log file is reported on the terminal, not lost after -d.
  if (!setupLogging(config.process.log_level, config.process.log_file, error)) {
    std::cerr << "shardis: " << error << '\n';
    return 1;
  }
  if (options.daemonize && !daemonize(error)) {
    spdlog::critical("cannot daemonize: {}", error);
    return 1;
  }
  if (!options.pid_file.empty() && !writePidFile(options.pid_file, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  spdlog::info("{} starting: configuration '{}', {} pool(s)", kVersionLine, config.file,
               config.pools.size());
  const int code = serve(config, options);
  if (!options.pid_file.empty()) {
    removePidFile(options.pid_file);
  }
  spdlog::info("{} exiting with status {}", kVersionLine, code);
  spdlog::shutdown();
  return code;
}

int run(int argc, char** argv) {
  Options options;
  std::string error;
  if (!parseOptions(argc, argv, options, error)) {
    std::cerr << "shardis: " << error << "\n\n" << usageText();
    return 1;
  }
  switch (options.mode) {
    case Options::Mode::kVersion:
      std::cout << kVersionLine << '\n';
      return 0;
    case Options::Mode::kHelp:
      std::cout << kVersionLine << "\n\n" << usageText();
      return 0;
    case Options::Mode::kTestConfig:
      return testConfig(options);
    case Options::Mode::kLocate: {
      config::Config config;
      return loadConfig(options, config) ? runLocate(config, options, std::cout, std::cerr) : 1;
    }
    case Options::Mode::kServe:
      break;
  }
  return runServe(options);
}

}  // namespace
}  // namespace shardis::app

int main(int argc, char** argv) { return shardis::app::run(argc, argv); }
