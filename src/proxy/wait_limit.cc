#include "proxy/wait_limit.h"

#include "resp/integer.h"

namespace shardis::proxy {

namespace {

using Verdict = WaitCheck::Verdict;

constexpr std::string_view kBlocks =
    "ERR WAIT blocks the shared server connection, and every other client on it, until it "
    "returns: ";

}  // namespace

WaitCheck checkWait(std::span<const std::string_view> argv, int64_t pool_timeout_ms) {
  // Redis's waitCommand: numreplicas first (a long), then the timeout in milliseconds.
  const auto numreplicas = resp::parseInteger(argv[1]);
  if (!numreplicas) {
    return {Verdict::kBadArgument, "ERR value is not an integer or out of range", 0};
  }
  const auto timeout = resp::parseInteger(argv[2]);
  if (!timeout) return {Verdict::kBadArgument, "ERR timeout is not an integer or out of range", 0};
  if (*timeout < 0) return {Verdict::kBadArgument, "ERR timeout is negative", 0};
  // At least 0 replicas have always acknowledged: Redis answers at once, whatever the timeout.
  if (*numreplicas <= 0) return {Verdict::kSend, {}, 0};
  if (pool_timeout_ms <= 0) {
    // The operator set no bound on how long a server may hold a connection, and a client
    // should not pick one for everybody else.
    return {Verdict::kRefused,
            std::string(kBlocks) +
                "this pool has no timeout, so WAIT is refused (set the pool's timeout to allow "
                "WAIT up to it)",
            0};
  }
  if (*timeout == 0 || *timeout > pool_timeout_ms) {
    return {Verdict::kRefused,
            std::string(kBlocks) + "its timeout must be between 1 and the pool's timeout (" +
                std::to_string(pool_timeout_ms) + " ms)",
            0};
  }
  return {Verdict::kSend, {}, static_cast<uint64_t>(*timeout)};
}

}  // namespace shardis::proxy
