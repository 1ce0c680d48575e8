// shardis entry point: parse flags, load and check the configuration, then either answer a
// one-shot request (--version, --help, -t, locate) or set up logging, daemonize, write the
// pid file and hand over to serve().
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/daemon.h"
#include "app/key_scan.h"
#include "app/locate.h"
#include "app/locate_diff.h"
#include "app/logging.h"
#include "app/options.h"
#include "app/sentinel_client.h"
#include "app/serve.h"
#include "app/signals.h"
#include "config/config.h"

namespace shardis::app {
namespace {

constexpr const char* kVersionLine = "shardis " SHARDIS_VERSION;

bool loadConfig(const std::string& file, config::Config& config) {
  try {
    config = config::loadFile(file);
    return true;
  } catch (const config::Error& error) {
    std::cerr << error.what() << '\n';
    return false;
  }
}

int testConfig(const Options& options) {
  config::Config config;
  if (!loadConfig(options.config_file, config)) {
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
  if (!loadConfig(options.config_file, config)) {
    return 1;
  }
  applyOverrides(options, config.process);
  // A reload rereads this file, and -d changes the directory to /.
  if (options.daemonize) {
    std::error_code ignored;
    config.file = std::filesystem::absolute(config.file, ignored).string();
  }
  std::string error;
  // Logging first, so that a bad log file is reported on the terminal, not lost after -d.
  if (!setupLogging(config.process.log_level, config.process.log_file, error)) {
    std::cerr << "shardis: " << error << '\n';
    return 1;
  }
  // Sentinel pools' masters, before anything is built on their addresses; a master no
  // Sentinel knows stops the start here, on the terminal, before -d detaches.
  if (!discoverMasters(config)) {
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

int locate(const Options& options) {
  config::Config config;
  return loadConfig(options.config_file, config) ? runLocate(config, options, std::cout, std::cerr)
                                                 : 1;
}

// A server --scan cannot reach costs the operator this long per step, then is skipped.
constexpr int kScanTimeoutMs = 5000;

int locateDiff(const Options& options) {
  config::Config old_config;
  config::Config new_config;
  // Both files are checked, so that one run shows every error.
  const bool old_ok = loadConfig(options.diff_old_file, old_config);
  const bool new_ok = loadConfig(options.diff_new_file, new_config);
  if (!old_ok || !new_ok) {
    return 1;
  }
  const ServerScanner scanner = [](const config::Pool& pool, const config::Server& server,
                                   const KeyVisitor& visit, std::string& error) {
    if (!pool.sentinel) return scanServerKeys(pool, server, kScanTimeoutMs, visit, error);
    // A sentinel pool's server is scanned where Sentinel says its master is now.
    MasterAddress master;
    if (!findMaster(*pool.sentinel, server.master_name, master, error)) return false;
    config::Server found = server;
    found.host = master.host;
    found.port = master.port;
    return scanServerKeys(pool, found, kScanTimeoutMs, visit, error);
  };
  return runLocateDiff(old_config, new_config, options, scanner, std::cout, std::cerr);
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
    case Options::Mode::kLocate:
      return options.locate_diff ? locateDiff(options) : locate(options);
    case Options::Mode::kServe:
      break;
  }
  return runServe(options);
}

}  // namespace
}  // namespace shardis::app

int main(int argc, char** argv) { return shardis::app::run(argc, argv); }
