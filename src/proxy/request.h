// Request: the context of one client request while it is dispatched, passed explicitly from
// the decoder to the handler that answers or sends it on. Lives on the stack of the dispatch:
// its argv and raw bytes point into the read buffer and are valid only until the handler
// returns. What must outlive that (the command id, the receive time, the silence) is copied
// into the PendingRequest that waits for the servers' replies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "stats/command_index.h"

namespace shardis::proxy {

struct Request {
  std::span<const std::string_view> argv;  // empty for a protocol error
  std::string_view raw;                    // the bytes as they came (RESP or inline)
  bool is_inline = false;
  stats::CommandId command_id = 0;  // for the command stats of its reply
  uint64_t received_ns = 0;
  size_t bytes = 0;       // what the request costs the client's queue (client_queue_limit)
  bool rejected = false;  // refused before it ran: counted as rejected, not logged as slow
  bool silent = false;    // CLIENT REPLY OFF/SKIP: the reply is counted, not written
  // The slow log names its arguments even when its reply comes from servers (HELLO, whose
  // reply waits for their versions): they are copied into its PendingRequest.
  bool log_arguments = false;
};

}  // namespace shardis::proxy
