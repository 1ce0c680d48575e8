// INFO's Memory and CPU sections: the proxy process's own figures under the field names Redis
// gives its own (used_memory, used_memory_rss, mem_allocator, used_cpu_sys ...), so that
// monitoring tools and Redis's test suite that read them find them. They describe the whole
// proxy process, which every pool shares; they name no pool, server or client.
#pragma once

#include <cstdint>
#include <string>

namespace shardis::proxy {

void appendMemorySection(std::string& out);
void appendCpuSection(std::string& out);

// Redis's bytesToHuman: "512B", "1.50K", "2.00M" ...
std::string bytesToHuman(uint64_t bytes);

}  // namespace shardis::proxy
