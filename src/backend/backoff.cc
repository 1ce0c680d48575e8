#include "backend/backoff.h"

#include <algorithm>

namespace shardis::backend {

uint64_t Backoff::ceilingMs(uint32_t failures) {
  if (failures == 0) return 0;
  // Past 2^7 * base the cap has long been reached; clamping the shift keeps it defined.
  uint32_t shift = std::min<uint32_t>(failures - 1, 16);
  return std::min<uint64_t>(kBaseMs << shift, kCapMs);
}

uint64_t Backoff::nextDelayMs() {
  ++failures_;
  uint64_t ceiling = ceilingMs(failures_);
  uint64_t floor = ceiling / 2;
  return floor + random() % (ceiling - floor + 1);
}

// xorshift64*: cheap, per connection, and no shared state between worker threads.
uint64_t Backoff::random() {
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  return rng_state_ * 0x2545f4914f6cdd1dull;
}

}  // namespace shardis::backend
