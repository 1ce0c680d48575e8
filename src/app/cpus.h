// How many CPUs this process may use, for the default worker count: the CPUs of its affinity
// mask (taskset, cpuset), capped by its cgroup's CPU quota rounded up (a container's
// `cpus: 1.5` or Kubernetes CPU limit), so that a sidecar limited to one CPU runs one
// worker rather than one per core of the host. Workers beyond the CPUs there only add
// contention (bench/results: 2 workers on a shared 2-core box serve unpipelined requests
// slower than 1).
#pragma once

#include <optional>
#include <string_view>

namespace shardis::app {

struct CpuLimits {
  unsigned affinity = 0;        // CPUs in the affinity mask; 0 when unknown
  std::optional<double> quota;  // the cgroup quota in CPUs (1.5 = 150 ms per 100 ms)
};

// cgroup v2 `cpu.max` ("max 100000", "150000 100000"): the quota in CPUs, nullopt for none
// or for text that is not one.
std::optional<double> parseCpuMax(std::string_view text);
// cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (quota -1: none).
std::optional<double> parseCfsQuota(std::string_view quota_us, std::string_view period_us);

// The worker count the limits allow: at least 1.
unsigned usableCpus(const CpuLimits& limits);

// This process's limits, read from sched_getaffinity() and /sys/fs/cgroup.
CpuLimits readCpuLimits();

}  // namespace shardis::app
