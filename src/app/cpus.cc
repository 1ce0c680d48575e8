#include "app/cpus.h"

#include <sched.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace shardis::app {

namespace {

std::optional<int64_t> integer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> quotaOf(std::optional<int64_t> quota, std::optional<int64_t> period) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

std::optional<std::string> readFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<double> parseCpuMax(std::string_view text) {
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  return quotaOf(integer(text.substr(0, space)), integer(text.substr(space + 1)));
}

std::optional<double> parseCfsQuota(std::string_view quota_us, std::string_view period_us) {
  return quotaOf(integer(quota_us), integer(period_us));
}

unsigned usableCpus(const CpuLimits& limits) {
  unsigned cpus = limits.affinity;
  if (limits.quota) {
    // 1.5 CPUs of quota keep two workers busy part of the time: round up, as the runtime
    // of Go and the JVM do for the same question.
    auto by_quota = static_cast<unsigned>(std::ceil(*limits.quota - 1e-9));
    if (cpus == 0 || by_quota < cpus) cpus = by_quota;
  }
  return cpus == 0 ? 1 : cpus;
}

CpuLimits readCpuLimits() {
  CpuLimits limits;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    limits.affinity = static_cast<unsigned>(CPU_COUNT(&set));
  }
  // Inside a container the cgroup namespace shows the container's own group at the root.
  if (std::optional<std::string> max = readFile("/sys/fs/cgroup/cpu.max")) {
    limits.quota = parseCpuMax(*max);
  } else {
    std::optional<std::string> quota = readFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    std::optional<std::string> period = readFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (quota && period) limits.quota = parseCfsQuota(*quota, *period);
  }
  return limits;
}

}  // namespace shardis::app
