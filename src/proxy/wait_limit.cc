#include "proxy/wait_limit.h"

#include "resp/integer.h"

namespace shardis::proxy {

WaitCheck checkWait(std::span<const std::string_view> argv) {
  // Redis's waitCommand: numreplicas first (a long), then the timeout in milliseconds.
  if (!resp::parseInteger(argv[1])) return {"ERR value is not an integer or out of range", 0};
  const auto timeout = resp::parseInteger(argv[2]);
  if (!timeout) return {"ERR timeout is not an integer or out of range", 0};
  if (*timeout < 0) return {"ERR timeout is negative", 0};
  return {{}, static_cast<uint64_t>(*timeout)};
}

}  // namespace shardis::proxy
