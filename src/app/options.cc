// Command-line parsing. Short options follow twemproxy's (nutcracker -h): a service file
// written for nutcracker starts shardis unchanged. Short flags may be grouped ("-dt") and a
// short option's value may be attached ("-cFILE") or the next argument, as getopt allows.
#include "app/options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace shardis::app {

namespace {

enum class Flag {
  kConfig,
  kTestConfig,
  kThreads,
  kLogLevel,
  kVerbosity,
  kLogFile,
  kPidFile,
  kDaemonize,
  kStatsPort,
  kStatsAddr,
  kStatsInterval,
  kStats,
  kMbufSize,
  kVersion,
  kHelp,
};

struct FlagSpec {
  char short_name;  // '\0' = long only
  std::string_view long_name;
  bool takes_value;
  Flag flag;
};

// The first entry for each flag is the one messages name; later entries with the same short
// letter are twemproxy's long spellings, accepted too.
constexpr std::array<FlagSpec, 18> kFlags = {{
    {'c', "config", true, Flag::kConfig},
    {'t', "test-config", false, Flag::kTestConfig},
    {'\0', "threads", true, Flag::kThreads},
    {'\0', "log-level", true, Flag::kLogLevel},
    {'v', "verbose", true, Flag::kVerbosity},
    {'o', "log-file", true, Flag::kLogFile},
    {'p', "pid-file", true, Flag::kPidFile},
    {'d', "daemonize", false, Flag::kDaemonize},
    {'s', "stats-port", true, Flag::kStatsPort},
    {'a', "stats-addr", true, Flag::kStatsAddr},
    {'i', "stats-interval", true, Flag::kStatsInterval},
    {'\0', "stats", true, Flag::kStats},
    {'m', "mbuf-size", true, Flag::kMbufSize},
    {'V', "version", false, Flag::kVersion},
    {'h', "help", false, Flag::kHelp},
    {'c', "conf-file", true, Flag::kConfig},
    {'t', "test-conf", false, Flag::kTestConfig},
    {'o', "output", true, Flag::kLogFile},
}};

bool parseNumber(std::string_view text, int min, int max, int& out) {
  const char* end = text.data() + text.size();
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool isLevelName(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// twemproxy's -v takes a syslog-like number, 0 (emergencies only) to 11 (everything);
// 5 (notice) is its default, which is our info.
std::string_view levelForVerbosity(int verbosity) {
  if (verbosity <= 2) return "critical";
  if (verbosity == 3) return "error";
  if (verbosity == 4) return "warn";
  if (verbosity <= 6) return "info";
  if (verbosity == 7) return "debug";
  return "trace";
}

std::string flagName(const FlagSpec& spec) {
  return spec.long_name.empty() || spec.short_name != '\0'
             ? std::string("-") + spec.short_name + " (--" + std::string(spec.long_name) + ")"
             : "--" + std::string(spec.long_name);
}

bool applyValueFlag(const FlagSpec& spec, std::string_view value, Options& options,
                    std::string& error) {
  bool ok = true;
  switch (spec.flag) {
    case Flag::kConfig:
      options.config_file = std::string(value);
      options.config_given = true;
      break;
    case Flag::kThreads:
      ok = parseNumber(value, 0, 1024, options.threads);
      break;
    case Flag::kLogLevel:
      ok = isLevelName(value);
      options.log_level = std::string(value);
      break;
    case Flag::kVerbosity: {
      int verbosity = 0;
      ok = parseNumber(value, 0, 11, verbosity);
      options.log_level = std::string(levelForVerbosity(verbosity));
      break;
    }
    case Flag::kLogFile:
      options.log_file = std::string(value);
      break;
    case Flag::kPidFile:
      options.pid_file = std::string(value);
      break;
    case Flag::kStatsPort:
      ok = parseNumber(value, 1, 65535, options.stats_port);
      break;
    case Flag::kStatsAddr:
      options.stats_addr = std::string(value);
      ok = !value.empty();
      break;
    case Flag::kStatsInterval:
      ok = parseNumber(value, 1, INT32_MAX, options.stats_interval_ms);
      break;
    case Flag::kStats:
      ok = value == "on" || value == "off";
      options.stats = value != "off";
      break;
    case Flag::kMbufSize: {
      // shardis sizes its buffers itself; the value is checked and dropped.
      int ignored = 0;
      ok = parseNumber(value, 1, INT32_MAX, ignored);
      break;
    }
    default:
      break;
  }
  if (!ok) {
    error = "invalid value '" + std::string(value) + "' for " + flagName(spec);
    if (spec.flag == Flag::kLogLevel) {
      error += " (one of trace, debug, info, warn, error, critical, off)";
    }
  }
  return ok;
}

void applySwitch(const FlagSpec& spec, Options& options) {
  switch (spec.flag) {
    case Flag::kTestConfig:
      options.mode = Options::Mode::kTestConfig;
      break;
    case Flag::kDaemonize:
      options.daemonize = true;
      break;
    case Flag::kVersion:
      options.mode = Options::Mode::kVersion;
      break;
    case Flag::kHelp:
      options.mode = Options::Mode::kHelp;
      break;
    default:
      break;
  }
}

// Walks argv; `locate` adds --pool and collects the remaining words as keys.
class ArgParser {
 public:
  ArgParser(int argc, char** argv, Options& options, std::string& error)
      : args_(argv, argv + argc), options_(options), error_(error) {}

  bool run(size_t first);

 private:
  bool longOption(std::string_view arg);
  bool shortOptions(std::string_view arg);
  bool takeValue(const FlagSpec& spec, std::string_view attached, bool has_attached);
  bool locateWord(std::string_view arg);
  // --pool, --diff, --sample, --scan: locate's own options. Sets `handled` when `name` is one.
  bool locateOption(std::string_view name, bool has_value, std::string_view value, bool& handled);
  bool nextWord(std::string_view option, std::string_view& word);

  std::vector<std::string_view> args_;
  size_t next_ = 0;
  bool keys_only_ = false;  // after "--" in locate
  Options& options_;
  std::string& error_;
};

bool ArgParser::run(size_t first) {
  next_ = first;
  while (next_ < args_.size()) {
    const std::string_view arg = args_[next_++];
    bool ok = true;
    const bool locate = options_.mode == Options::Mode::kLocate;
    if (locate && (keys_only_ || arg == "--" || arg.empty() || arg[0] != '-' || arg == "-")) {
      ok = locateWord(arg);
    } else if (arg.starts_with("--")) {
      ok = longOption(arg.substr(2));
    } else if (arg.size() > 1 && arg[0] == '-') {
      ok = shortOptions(arg.substr(1));
    } else {
      error_ = "unexpected argument '" + std::string(arg) + "'";
      ok = false;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool ArgParser::locateWord(std::string_view arg) {
  if (arg == "--" && !keys_only_) {
    keys_only_ = true;
  } else {
    options_.locate_keys.emplace_back(arg);
  }
  return true;
}

bool ArgParser::nextWord(std::string_view option, std::string_view& word) {
  if (next_ >= args_.size()) {
    error_ = "option --" + std::string(option) + " requires a value";
    return false;
  }
  word = args_[next_++];
  return true;
}

bool ArgParser::locateOption(std::string_view name, bool has_value, std::string_view value,
                             bool& handled) {
  handled = name == "pool" || name == "diff" || name == "sample" || name == "scan";
  if (!handled) {
    return true;
  }
  if ((name == "diff" || name == "scan") && has_value) {
    error_ = "option --" + std::string(name) + " takes no value";
    return false;
  }
  if (name == "scan") {
    options_.diff_keys = Options::DiffKeys::kScan;
    return true;
  }
  if (name == "diff") {
    std::string_view old_file;
    std::string_view new_file;
    if (!nextWord(name, old_file) || !nextWord(name, new_file)) {
      error_ = "option --diff requires two files: --diff OLD NEW";
      return false;
    }
    options_.locate_diff = true;
    options_.diff_old_file = std::string(old_file);
    options_.diff_new_file = std::string(new_file);
    return true;
  }
  if (!has_value && !nextWord(name, value)) {
    return false;
  }
  if (name == "pool") {
    options_.locate_pool = std::string(value);
    return true;
  }
  int sample = 0;
  if (!parseNumber(value, 1, INT32_MAX, sample)) {
    error_ = "invalid value '" + std::string(value) + "' for --sample (1 to 2147483647 keys)";
    return false;
  }
  options_.diff_sample = static_cast<uint64_t>(sample);
  options_.diff_sample_given = true;
  return true;
}

bool ArgParser::takeValue(const FlagSpec& spec, std::string_view attached, bool has_attached) {
  if (has_attached) {
    return applyValueFlag(spec, attached, options_, error_);
  }
  if (next_ >= args_.size()) {
    error_ = "option " + flagName(spec) + " requires a value";
    return false;
  }
  return applyValueFlag(spec, args_[next_++], options_, error_);
}

bool ArgParser::longOption(std::string_view arg) {
  const size_t equals = arg.find('=');
  const std::string_view name = arg.substr(0, equals);
  const bool has_value = equals != std::string_view::npos;
  const std::string_view value = has_value ? arg.substr(equals + 1) : std::string_view();
  if (options_.mode == Options::Mode::kLocate) {
    bool handled = false;
    const bool ok = locateOption(name, has_value, value, handled);
    if (handled) {
      return ok;
    }
  }
  const auto* spec = std::find_if(kFlags.begin(), kFlags.end(),
                                  [&](const FlagSpec& f) { return f.long_name == name; });
  if (spec == kFlags.end()) {
    error_ = "unknown option '--" + std::string(name) + "'";
    return false;
  }
  if (!spec->takes_value) {
    if (has_value) {
      error_ = "option --" + std::string(name) + " takes no value";
      return false;
    }
    applySwitch(*spec, options_);
    return true;
  }
  return takeValue(*spec, value, has_value);
}

bool ArgParser::shortOptions(std::string_view arg) {
  for (size_t i = 0; i < arg.size(); ++i) {
    const auto* spec = std::find_if(kFlags.begin(), kFlags.end(),
                                    [&](const FlagSpec& f) { return f.short_name == arg[i]; });
    if (spec == kFlags.end()) {
      error_ = "unknown option '-" + std::string(1, arg[i]) + "'";
      return false;
    }
    if (spec->takes_value) {
      const std::string_view rest = arg.substr(i + 1);
      return takeValue(*spec, rest, !rest.empty());
    }
    applySwitch(*spec, options_);
  }
  return true;
}

// The combinations of locate's options that mean something.
bool checkLocate(const Options& options, std::string& error) {
  if (!options.locate_diff) {
    if (options.diff_sample_given || options.diff_keys == Options::DiffKeys::kScan) {
      error = "--sample and --scan go with --diff OLD NEW";
      return false;
    }
    if (options.locate_keys.empty()) {
      error = "locate needs at least one key: shardis locate -c FILE [--pool NAME] KEY...";
      return false;
    }
    return true;
  }
  if (!options.locate_keys.empty()) {
    error = "locate --diff takes no keys (unexpected '" + options.locate_keys.front() + "')";
  } else if (options.config_given) {
    error = "locate --diff reads its two files, not -c: shardis locate --diff OLD NEW";
  } else if (options.diff_sample_given && options.diff_keys == Options::DiffKeys::kScan) {
    error = "--sample and --scan exclude each other";
  } else {
    return true;
  }
  return false;
}

}  // namespace

bool parseOptions(int argc, char** argv, Options& options, std::string& error) {
  size_t first = 1;
  if (argc > 1 && std::string_view(argv[1]) == "locate") {
    options.mode = Options::Mode::kLocate;
    first = 2;
  }
  ArgParser parser(argc, argv, options, error);
  if (!parser.run(first)) {
    return false;
  }
  return options.mode != Options::Mode::kLocate || checkLocate(options, error);
}

std::string usageText() {
  return R"(Usage: shardis [options]
       shardis locate -c FILE [--pool NAME] KEY...
       shardis locate --diff OLD NEW [--pool NAME] [--sample N | --scan]

A Redis sharding proxy. Reads a twemproxy-style YAML file and serves every pool in it.

Options:
  -h, --help                 show this help and exit
  -V, --version              show the version and exit
  -t, --test-config          check the configuration file's syntax and exit
  -d, --daemonize            run in the background
  -c, --config FILE          configuration file (default: conf/shardis.yml)
  -p, --pid-file FILE        write the process id to FILE
  -o, --log-file FILE        log to FILE instead of standard error
      --log-level NAME       trace, debug, info, warn, error, critical or off
  -v, --verbose N            twemproxy's log verbosity, 0 to 11 (5 = info)
      --threads N            worker threads (default: the config's, else one per usable CPU)
  -s, --stats-port PORT      stats port (default: the config's, else 22222)
  -a, --stats-addr ADDR      stats address (default: the config's, else 127.0.0.1)
  -i, --stats-interval MS    accepted for twemproxy compatibility
      --stats on|off         off: publish no counters, open no stats or admin port (to
                             measure what counting costs; default on)
  -m, --mbuf-size N          accepted for twemproxy compatibility; ignored

locate prints, for each key and pool, one tab-separated line:
  pool, key, routing bytes after the hash tag rule, hash, server name, server address.

locate --diff counts the keys that change server between two config files, pool by pool
(pools matched by name). A key moves when the server it lands on differs in name, address
or database. --sample N (default 100000) places the keys "key:0" .. "key:N-1" with both
files; --scan walks the keys on OLD's servers (SCAN, COUNT 1000) and places each with NEW.
One tab-separated line per record, first field its kind:
  pool     POOL  sample|scan  EXAMINED  MOVED  PERCENT
  move     POOL  OLD-NAME  OLD-ADDRESS  NEW-NAME  NEW-ADDRESS  KEYS
  only     POOL  old|new            (the pool is in one file only)
  random   POOL                     (random distribution: no key has a fixed server)
  skipped  POOL  NAME  ADDRESS  REASON   (--scan: a server that could not be scanned)
Exit status 0; 2 when a server was skipped; 1 on a usage or configuration error.
)";
}

}  // namespace shardis::app
