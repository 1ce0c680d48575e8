#include "proxy/ejection_board.h"

namespace shardis::proxy {

bool EjectionBoard::eject(uint32_t slot, uint64_t retry_at_ms) {
  std::lock_guard<std::mutex> hold(mutex_);
  if (!ejected_.emplace(slot, retry_at_ms).second) return false;
  version_.fetch_add(1, std::memory_order_release);
  return true;
}

bool EjectionBoard::restore(uint32_t slot) {
  std::lock_guard<std::mutex> hold(mutex_);
  if (ejected_.erase(slot) == 0) return false;
  version_.fetch_add(1, std::memory_order_release);
  return true;
}

uint64_t EjectionBoard::read(Ejected& out) const {
  std::lock_guard<std::mutex> hold(mutex_);
  out = ejected_;
  return version_.load(std::memory_order_relaxed);
}

}  // namespace shardis::proxy
