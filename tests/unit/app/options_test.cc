// Command-line parsing: our long options, twemproxy's short ones, and `locate`.
#include "app/options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace shardis::app {
namespace {

// argv as parseOptions sees it, with "shardis" in front.
struct Parsed {
  bool ok = false;
  Options options;
  std::string error;
};

Parsed parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage = {"shardis"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) {
    argv.push_back(arg.data());
  }
  Parsed parsed;
  parsed.ok =
      parseOptions(static_cast<int>(argv.size()), argv.data(), parsed.options, parsed.error);
  return parsed;
}

TEST(ParseOptions, Defaults) {
  const Parsed p = parse({});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.mode, Options::Mode::kServe);
  EXPECT_EQ(p.options.config_file, "conf/shardis.yml");
  EXPECT_EQ(p.options.stats_port, -1);
  EXPECT_FALSE(p.options.daemonize);
}

TEST(ParseOptions, LongOptions) {
  const Parsed p = parse({"--config", "a.yml", "--threads=4", "--log-level", "debug", "--log-file",
                          "/tmp/s.log", "--pid-file=/tmp/s.pid", "--daemonize", "--stats-port",
                          "22223", "--stats-addr", "0.0.0.0"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.config_file, "a.yml");
  EXPECT_EQ(p.options.threads, 4);
  EXPECT_EQ(p.options.log_level, "debug");
  EXPECT_EQ(p.options.log_file, "/tmp/s.log");
  EXPECT_EQ(p.options.pid_file, "/tmp/s.pid");
  EXPECT_TRUE(p.options.daemonize);
  EXPECT_EQ(p.options.stats_port, 22223);
  EXPECT_EQ(p.options.stats_addr, "0.0.0.0");
}

TEST(ParseOptions, TwemproxyShortOptions) {
  // A typical nutcracker service line.
  const Parsed p =
      parse({"-d", "-c", "/etc/nutcracker.yml", "-p", "/run/n.pid", "-o", "/var/log/n.log", "-v",
             "7", "-s", "22224", "-a", "127.0.0.2", "-i", "30000", "-m", "16384"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(p.options.daemonize);
  EXPECT_EQ(p.options.config_file, "/etc/nutcracker.yml");
  EXPECT_EQ(p.options.pid_file, "/run/n.pid");
  EXPECT_EQ(p.options.log_file, "/var/log/n.log");
  EXPECT_EQ(p.options.log_level, "debug");
  EXPECT_EQ(p.options.stats_port, 22224);
  EXPECT_EQ(p.options.stats_addr, "127.0.0.2");
  EXPECT_EQ(p.options.stats_interval_ms, 30000);
}

TEST(ParseOptions, GroupedAndAttachedShortOptions) {
  const Parsed p = parse({"-tcfile.yml"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.mode, Options::Mode::kTestConfig);
  EXPECT_EQ(p.options.config_file, "file.yml");
}

TEST(ParseOptions, TwemproxyLongSpellings) {
  const Parsed p = parse({"--conf-file=x.yml", "--test-conf", "--output", "o.log"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.config_file, "x.yml");
  EXPECT_EQ(p.options.mode, Options::Mode::kTestConfig);
  EXPECT_EQ(p.options.log_file, "o.log");
}

TEST(ParseOptions, VerbosityMapsToLevels) {
  EXPECT_EQ(parse({"-v", "0"}).options.log_level, "critical");
  EXPECT_EQ(parse({"-v", "4"}).options.log_level, "warn");
  EXPECT_EQ(parse({"-v", "5"}).options.log_level, "info");
  EXPECT_EQ(parse({"-v", "11"}).options.log_level, "trace");
}

TEST(ParseOptions, StatsSwitch) {
  EXPECT_TRUE(parse({}).options.stats);
  EXPECT_TRUE(parse({"--stats", "on"}).options.stats);
  const Parsed off = parse({"--stats=off"});
  ASSERT_TRUE(off.ok) << off.error;
  EXPECT_FALSE(off.options.stats);
  const Parsed bad = parse({"--stats", "maybe"});
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("--stats"), std::string::npos) << bad.error;
}

TEST(ParseOptions, Modes) {
  EXPECT_EQ(parse({"-V"}).options.mode, Options::Mode::kVersion);
  EXPECT_EQ(parse({"--version"}).options.mode, Options::Mode::kVersion);
  EXPECT_EQ(parse({"-h"}).options.mode, Options::Mode::kHelp);
  EXPECT_EQ(parse({"--help"}).options.mode, Options::Mode::kHelp);
  EXPECT_EQ(parse({"-t"}).options.mode, Options::Mode::kTestConfig);
  EXPECT_EQ(parse({"--test-config"}).options.mode, Options::Mode::kTestConfig);
}

TEST(ParseOptions, Locate) {
  const Parsed p = parse({"locate", "-c", "c.yml", "--pool", "beta", "k1", "k2", "--", "-k3"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.mode, Options::Mode::kLocate);
  EXPECT_EQ(p.options.config_file, "c.yml");
  EXPECT_EQ(p.options.locate_pool, "beta");
  EXPECT_EQ(p.options.locate_keys, (std::vector<std::string>{"k1", "k2", "-k3"}));
}

TEST(ParseOptions, LocateKeepsEmptyKeyAndDash) {
  const Parsed p = parse({"locate", "", "-"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.locate_keys, (std::vector<std::string>{"", "-"}));
}

TEST(ParseOptions, LocateDiff) {
  const Parsed p = parse({"locate", "--diff", "old.yml", "new.yml", "--pool", "a"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.options.mode, Options::Mode::kLocate);
  EXPECT_TRUE(p.options.locate_diff);
  EXPECT_EQ(p.options.diff_old_file, "old.yml");
  EXPECT_EQ(p.options.diff_new_file, "new.yml");
  EXPECT_EQ(p.options.locate_pool, "a");
  EXPECT_EQ(p.options.diff_keys, Options::DiffKeys::kSample);
  EXPECT_EQ(p.options.diff_sample, 100000u);
  const Parsed sample = parse({"locate", "--sample=500", "--diff", "o", "n"});
  ASSERT_TRUE(sample.ok) << sample.error;
  EXPECT_EQ(sample.options.diff_sample, 500u);
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "--sample", "7"}).options.diff_sample, 7u);
  const Parsed scan = parse({"locate", "--diff", "o", "n", "--scan"});
  ASSERT_TRUE(scan.ok) << scan.error;
  EXPECT_EQ(scan.options.diff_keys, Options::DiffKeys::kScan);
}

TEST(ParseOptions, LocateDiffErrors) {
  EXPECT_EQ(parse({"locate", "--diff", "o"}).error,
            "option --diff requires two files: --diff OLD NEW");
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "k"}).error,
            "locate --diff takes no keys (unexpected 'k')");
  EXPECT_EQ(parse({"locate", "-c", "x.yml", "--diff", "o", "n"}).error,
            "locate --diff reads its two files, not -c: shardis locate --diff OLD NEW");
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "--scan", "--sample", "5"}).error,
            "--sample and --scan exclude each other");
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "--sample", "0"}).error,
            "invalid value '0' for --sample (1 to 2147483647 keys)");
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "--sample"}).error,
            "option --sample requires a value");
  EXPECT_EQ(parse({"locate", "--diff", "o", "n", "--scan=1"}).error,
            "option --scan takes no value");
  EXPECT_EQ(parse({"locate", "--scan", "k"}).error, "--sample and --scan go with --diff OLD NEW");
  EXPECT_EQ(parse({"--scan"}).error, "unknown option '--scan'");
}

TEST(ParseOptions, Errors) {
  EXPECT_EQ(parse({"--bogus"}).error, "unknown option '--bogus'");
  EXPECT_EQ(parse({"-x"}).error, "unknown option '-x'");
  EXPECT_EQ(parse({"-c"}).error, "option -c (--config) requires a value");
  EXPECT_EQ(parse({"--threads", "many"}).error, "invalid value 'many' for --threads");
  EXPECT_EQ(parse({"-s", "70000"}).error, "invalid value '70000' for -s (--stats-port)");
  EXPECT_EQ(parse({"-v", "12"}).error, "invalid value '12' for -v (--verbose)");
  EXPECT_EQ(parse({"--log-level", "loud"}).error,
            "invalid value 'loud' for --log-level (one of trace, debug, info, warn, error, "
            "critical, off)");
  EXPECT_EQ(parse({"--daemonize=yes"}).error, "option --daemonize takes no value");
  EXPECT_EQ(parse({"stray"}).error, "unexpected argument 'stray'");
  EXPECT_EQ(parse({"locate", "-c", "x.yml"}).error,
            "locate needs at least one key: shardis locate -c FILE [--pool NAME] KEY...");
  EXPECT_EQ(parse({"-p"}).error, "option -p (--pid-file) requires a value");
  EXPECT_FALSE(parse({"--threads", "many"}).ok);
}

}  // namespace
}  // namespace shardis::app
