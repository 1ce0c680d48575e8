// Backoff: how long a ServerConnection waits before reconnecting to a server that failed.
// Exponential from kBaseMs, capped at kCapMs, each delay drawn uniformly from its upper half
// (jitter), so that the workers' connections to one dead server do not retry in lockstep and
// a restarted server is found again within about a second.
#pragma once

#include <cstdint>

namespace shardis::backend {

class Backoff {
 public:
  static constexpr uint64_t kBaseMs = 10;
  static constexpr uint64_t kCapMs = 800;

  explicit Backoff(uint64_t seed = 0x9e3779b97f4a7c15ull) : rng_state_(seed | 1) {}

  // Delay before the next attempt after one more consecutive failure.
  uint64_t nextDelayMs();
  // The upper bound of the delay after `failures` consecutive failures (>= 1).
  static uint64_t ceilingMs(uint32_t failures);
  void reset() { failures_ = 0; }
  [[nodiscard]] uint32_t failures() const { return failures_; }

 private:
  uint64_t random();

  uint32_t failures_ = 0;
  uint64_t rng_state_;
};

}  // namespace shardis::backend
