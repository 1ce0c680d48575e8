// WAIT numreplicas timeout: its arguments, checked as Redis's waitCommand checks them, before
// the proxy runs it on leased connections (wait_run.h).
//
//   numreplicas not an integer ─► "ERR value is not an integer or out of range"
//   timeout not an integer     ─► "ERR timeout is not an integer or out of range"
//   timeout negative           ─► "ERR timeout is negative"
//
// No I/O, so unit tests drive it directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shardis::proxy {

struct WaitCheck {
  std::string error;        // Redis's error (text after '-'); empty when WAIT may run
  uint64_t timeout_ms = 0;  // its timeout: 0 waits for as long as it takes
};

// `argv` is WAIT's (arity already checked: WAIT numreplicas timeout).
WaitCheck checkWait(std::span<const std::string_view> argv);

}  // namespace shardis::proxy
