// EjectionBoard: which servers of one pool are out of the ring, for the whole process. Each
// worker counts its own failures in a row (its connections are its own), but the first to
// reach server_failure_limit ejects the server for every worker, and the first whose probe is
// answered after server_retry_timeout brings it back for every worker: all workers place a
// key alike. Workers notice a change by version(), one atomic load per key located
// (PoolRing::refresh()); the lock is taken only to change or read the list.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace shardis::proxy {

class EjectionBoard {
 public:
  // Slot → when it may return (the loops' clock, milliseconds).
  using Ejected = std::map<uint32_t, uint64_t>;

  // False when `slot` was already out (another worker ejected it first).
  bool eject(uint32_t slot, uint64_t retry_at_ms);
  // False when `slot` was not out.
  bool restore(uint32_t slot);
  [[nodiscard]] uint64_t version() const { return version_.load(std::memory_order_acquire); }
  // The slots out now; returns the version they are of.
  uint64_t read(Ejected& out) const;

 private:
  mutable std::mutex mutex_;
  Ejected ejected_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace shardis::proxy
