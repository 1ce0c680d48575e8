#include "proxy/info_process.h"

#include <gtest/gtest.h>

namespace shardis::proxy {
namespace {

// Redis's bytesToHuman, which used_memory_human and friends print.
TEST(InfoProcess, BytesToHumanFollowsRedis) {
  EXPECT_EQ(bytesToHuman(0), "0B");
  EXPECT_EQ(bytesToHuman(1023), "1023B");
  EXPECT_EQ(bytesToHuman(1024), "1.00K");
  EXPECT_EQ(bytesToHuman(1536), "1.50K");
  EXPECT_EQ(bytesToHuman(1024 * 1024 - 1), "1024.00K");
  EXPECT_EQ(bytesToHuman(1024 * 1024), "1.00M");
  EXPECT_EQ(bytesToHuman(3ull << 30), "3.00G");
  EXPECT_EQ(bytesToHuman(5ull << 50), "5.00P");
}

TEST(InfoProcess, SectionsUseRedisFieldNames) {
  std::string memory;
  appendMemorySection(memory);
  EXPECT_EQ(memory.rfind("# Memory\r\nused_memory:", 0), 0u) << memory;
  EXPECT_NE(memory.find("\r\nmem_allocator:libc\r\n"), std::string::npos);
  std::string cpu;
  appendCpuSection(cpu);
  EXPECT_EQ(cpu.rfind("# CPU\r\nused_cpu_sys:", 0), 0u) << cpu;
  EXPECT_NE(cpu.find("\r\nused_cpu_user:"), std::string::npos);
}

}  // namespace
}  // namespace shardis::proxy
