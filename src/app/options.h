// Command-line options of the shardis binary: long options of our own and twemproxy's short
// ones with the same meaning, so that a nutcracker service file starts shardis unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shardis::app {

struct Options {
  enum class Mode { kServe, kTestConfig, kVersion, kHelp, kLocate };
  Mode mode = Mode::kServe;
  std::string config_file = "conf/shardis.yml";  // -c, --config
  int threads = 0;                               // --threads; 0 = config's, else cores
  std::string log_level;                         // -v N / --log-level NAME; empty = config's
  std::string log_file;                          // -o, --log-file
  std::string pid_file;                          // -p, --pid-file
  bool daemonize = false;                        // -d, --daemonize
  int stats_port = -1;                           // -s, --stats-port; -1 = config's
  std::string stats_addr;                        // -a, --stats-addr
  int stats_interval_ms = -1;                    // -i (twemproxy's; accepted)
  bool stats = true;                             // --stats on|off (off: for the bench)
  bool config_given = false;                     // -c was on the command line
  // locate subcommand: `shardis locate -c FILE [--pool NAME] KEY...`
  std::string locate_pool;
  std::vector<std::string> locate_keys;
  // `shardis locate --diff OLD NEW [--pool NAME] [--sample N | --scan]`: how many keys
  // change server between two configs (app/locate_diff.h).
  enum class DiffKeys { kSample, kScan };
  bool locate_diff = false;
  std::string diff_old_file;
  std::string diff_new_file;
  DiffKeys diff_keys = DiffKeys::kSample;
  uint64_t diff_sample = 100000;  // --sample N: synthetic keys "key:0" .. "key:N-1"
  bool diff_sample_given = false;
};

// Parses argv. On a usage error returns false and sets `error` to a one-line message.
bool parseOptions(int argc, char** argv, Options& options, std::string& error);
std::string usageText();

}  // namespace shardis::app
