// Dispatcher: what the proxy does with one decoded request of one client. Resolves the command
// once, takes its entry from the command table (command_handlers.h) by index, checks arity and
// AUTH, then answers it (a local handler), refuses it, or sends it on: to one server
// (forwarded), split over several (split), or to every server (whole-keyspace). Each call gets
// its Request explicitly; nothing of a request is kept here between two requests. Owned by the
// client's ClientSession, which it calls back (not virtually) to reply and to queue a request
// that waits for servers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "proxy/client_state.h"
#include "proxy/command_handlers.h"
#include "proxy/fanout.h"
#include "proxy/merger.h"
#include "proxy/request.h"
#include "stats/counters.h"

namespace shardis::proxy {

class AdminHost;
class ClientSession;
struct PoolRuntime;
struct SharedState;

class Dispatcher {
 public:
  Dispatcher(ClientSession& session, AdminHost& admin, PoolRuntime& pool, SharedState& shared,
             ClientState& client)
      : session_(session), admin_(admin), pool_(pool), shared_(shared), client_(client) {}
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // A decoded, non-empty request: `request.argv`, `raw` and `is_inline` are set.
  void dispatch(Request& request);

  // Sends one request per part to parts[p]: the splitter's part p when given, else `bytes` to
  // each. `merger` makes the client's reply. `hold_ms`: how long each server may hold the
  // request on purpose (WAIT's timeout, see wait_limit.h).
  void sendParts(const Request& request, std::span<const uint32_t> parts,
                 std::unique_ptr<Merger> merger, std::string_view bytes,
                 const Splitter* splitter = nullptr, uint64_t hold_ms = 0);
  void reject(Request& request, stats::ProxyError kind, std::string_view message);
  void replyError(Request& request, std::string_view message);
  // The pool this client's requests go to (handlers of their own unit: function_commands.cc).
  PoolRuntime& poolRuntime() { return pool_; }

  // The handlers of split and whole-keyspace commands (command_handlers.h).
  struct RoutingHandlers;

 private:
  using Argv = std::span<const std::string_view>;

  void runLocal(const CommandEntry& entry, Request& request);
  void runHandler(const CommandEntry& entry, Request& request);
  void forward(const CommandEntry& entry, command::Routing routing, Request& request);
  void sendTo(const Request& request, uint32_t server, std::string_view bytes);
  void split(const CommandEntry& entry, Request& request);
  void fanOut(const CommandEntry& entry, Request& request, uint64_t hold_ms = 0);
  void wait(const CommandEntry& entry, Request& request);
  void scan(Request& request);
  // The request as the server gets it: an inline one re-encoded as a multibulk.
  std::string_view serverBytes(const Request& request);

  ClientSession& session_;
  AdminHost& admin_;
  PoolRuntime& pool_;
  SharedState& shared_;
  ClientState& client_;
};

}  // namespace shardis::proxy
