// WAIT numreplicas timeout on a pool's shared server connections.
//
// WAIT goes to every server of the pool on the connections every client of the worker
// shares, and a server answers nothing else on a connection while a WAIT blocks it: each
// request queued behind it waits as long. Until blocking commands get connections of their
// own, the session lets a WAIT run only when its timeout is bounded by what the operator
// already accepts a server may take, the pool's `timeout`:
//
//   numreplicas or timeout not a valid integer, timeout negative ─► Redis's own error
//   numreplicas <= 0 ─► sent: Redis answers it at once, it never blocks
//   no pool timeout, timeout 0 (forever), timeout > pool timeout ─► refused (one -ERR)
//   0 < timeout <= pool timeout ─► sent; its connections allow it timeout + pool timeout
//
// Called by ClientSession::fanOut; no I/O, so unit tests drive it directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace shardis::proxy {

struct WaitCheck {
  enum class Verdict : uint8_t {
    kSend,         // forward it to every server
    kBadArgument,  // Redis's own error: the call ran and failed, as on one server
    kRefused,      // the proxy's refusal (counted like an unsupported command)
  };
  Verdict verdict = Verdict::kSend;
  std::string error;        // kBadArgument, kRefused: the reply (text after '-')
  uint64_t timeout_ms = 0;  // kSend: how long the servers may hold the WAIT
};

// `argv` is WAIT's (arity already checked: WAIT numreplicas timeout); `pool_timeout_ms` is
// config::Pool::timeout_ms (-1 or 0: none).
WaitCheck checkWait(std::span<const std::string_view> argv, int64_t pool_timeout_ms);

}  // namespace shardis::proxy
