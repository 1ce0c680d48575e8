#include "proxy/info_process.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace shardis::proxy {

namespace {

void line(std::string& out, std::string_view field, std::string_view value) {
  out.append(field).append(":").append(value).append("\r\n");
}

void line(std::string& out, std::string_view field, uint64_t value) {
  line(out, field, std::to_string(value));
}

// Resident set size from /proc (the kernel's count of the process's pages in memory).
uint64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// What the allocator has handed out and not had back: Redis's used_memory.
uint64_t allocatedBytes() {
  struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Seconds with microseconds, as Redis prints CPU time ("0.123456").
std::string seconds(const timeval& time) {
  std::array<char, 32> text{};
  int length = std::snprintf(text.data(), text.size(), "%ld.%06ld", static_cast<long>(time.tv_sec),
                             static_cast<long>(time.tv_usec));
  return {text.data(), static_cast<size_t>(length)};
}

}  // namespace

std::string bytesToHuman(uint64_t bytes) {
  static constexpr std::array<char, 5> kUnits{'K', 'M', 'G', 'T', 'P'};
  if (bytes < 1024) return std::to_string(bytes) + "B";
  auto value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> text{};
  int length = std::snprintf(text.data(), text.size(), "%.2f%c", value, kUnits[unit]);
  return {text.data(), static_cast<size_t>(length)};
}

void appendMemorySection(std::string& out) {
  const uint64_t used = allocatedBytes();
  const uint64_t rss = residentBytes();
  const uint64_t system = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                          static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  out += "# Memory\r\n";
  line(out, "used_memory", used);
  line(out, "used_memory_human", bytesToHuman(used));
  line(out, "used_memory_rss", rss);
  line(out, "used_memory_rss_human", bytesToHuman(rss));
  line(out, "total_system_memory", system);
  line(out, "total_system_memory_human", bytesToHuman(system));
  // The proxy keeps no data set: nothing to evict, no limit of Redis's kind.
  line(out, "maxmemory", 0);
  line(out, "maxmemory_human", "0B");
  line(out, "maxmemory_policy", "noeviction");
  std::array<char, 32> ratio{};
  int length =
      std::snprintf(ratio.data(), ratio.size(), "%.2f",
                    used == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used));
  line(out, "mem_fragmentation_ratio", std::string_view(ratio.data(), static_cast<size_t>(length)));
  line(out, "mem_allocator", "libc");
}

void appendCpuSection(std::string& out) {
  rusage self{};
  rusage children{};
  rusage thread{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  ::getrusage(RUSAGE_THREAD, &thread);
  out += "# CPU\r\n";
  line(out, "used_cpu_sys", seconds(self.ru_stime));
  line(out, "used_cpu_user", seconds(self.ru_utime));
  line(out, "used_cpu_sys_children", seconds(children.ru_stime));
  line(out, "used_cpu_user_children", seconds(children.ru_utime));
  // Redis's main thread; here the worker thread that answers.
  line(out, "used_cpu_sys_main_thread", seconds(thread.ru_stime));
  line(out, "used_cpu_user_main_thread", seconds(thread.ru_utime));
}

}  // namespace shardis::proxy
