// ClientState: everything the proxy remembers about one client between its requests, in one
// place: who it is, whether it authenticated, its name, its reply mode, its session mode and its
// protocol. Owned by the client's ClientSession; the command handlers (command_handlers.h) read and
// change it. RESET brings it back to a fresh connection's state with reset().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resp/encoder.h"

namespace shardis::proxy {

// CLIENT REPLY: OFF drops every reply until ON; SKIP drops the next command's only.
enum class ReplyMode : uint8_t { kOn, kOff, kSkip };

// What the client's connection is doing: ordinary commands, queuing a transaction (MULTI),
// subscribed (pub/sub), or waiting on a blocking command or WAIT.
enum class SessionMode : uint8_t { kNormal, kTransaction, kSubscribed, kBlocked };

struct ClientState {
  uint64_t id = 0;
  bool authenticated = false;
  bool quit = false;     // set by QUIT (or a CLIENT KILL of itself): close once this reply is out
  std::string name;      // CLIENT SETNAME, HELLO SETNAME
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  // Where the client is (addr, laddr, fd, age) is in the ClientRegistry only: no copy here.
  uint64_t last_active_ms = 0;
  std::string_view last_command = "NULL";  // the command table's name (static storage)
  ReplyMode reply_mode = ReplyMode::kOn;
  SessionMode mode = SessionMode::kNormal;
  // HELLO 2 / HELLO 3: the protocol of the replies the proxy builds and of the backend
  // connections the client's commands ride.
  resp::Protocol protocol = resp::Protocol::kResp2;
  // The client sent something other than a read to a server: with read_from, its reads stay
  // on the servers from then on (RESET included), so that it reads its own writes.
  bool wrote = false;

  // Whether the reply of the request about to run is dropped; a SKIP covers that one only.
  [[nodiscard]] bool takeReplySilence() {
    if (reply_mode == ReplyMode::kOn) return false;
    if (reply_mode == ReplyMode::kSkip) reply_mode = ReplyMode::kOn;
    return true;
  }

  // RESET: a fresh connection's state (logged out when the pool has a password), as Redis
  // does. The id stays, and so does the activity CLIENT LIST shows.
  void reset(bool authenticated_without_password) {
    authenticated = authenticated_without_password;
    name.clear();
    reply_mode = ReplyMode::kOn;
    mode = SessionMode::kNormal;
    protocol = resp::Protocol::kResp2;
  }
};

}  // namespace shardis::proxy
