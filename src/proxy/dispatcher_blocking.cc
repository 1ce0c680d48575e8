// The Dispatcher's blocking commands (blocking_run.h): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP, and XREAD/XREADGROUP with BLOCK. Every key must be on one
// server (a hash tag puts them there); keys on several servers get -CROSSSLOT for now.
#include <memory>
#include <utility>

#include "proxy/blocking_run.h"
#include "proxy/client_session.h"
#include "proxy/router.h"
#include "proxy/worker.h"

namespace shardis::proxy {

Dispatcher::~Dispatcher() = default;

void Dispatcher::block(const CommandEntry& entry, Request& request) {
  Route route = pool_.router.route(*entry.spec, command::Routing::kPinned, request.argv, pool_);
  if (route.kind != Route::Kind::kServer) {
    if (route.kind == Route::Kind::kSeveralServers) route.error = crossSlotError();
    if (route.error.starts_with("CROSSSLOT")) {
      pool_.counters().countError(stats::ProxyError::kCrossSlot);
      request.rejected = true;
    }
    return replyError(request, route.error);
  }
  backend::Lease lease = pool_.serverPool().lease(route.server);
  if (!lease) {
    return replyError(
        request, "ERR max_leased_connections reached for server " + pool_.serverName(route.server));
  }
  PendingRequest& pending = session_.enqueue(request);
  pending.expect(1);
  pending.silent = request.silent;
  pending.command_id = request.command_id;
  pending.received_ns = request.received_ns;
  pending.server = route.server;
  blocked_ = std::make_unique<BlockingRun>(std::move(lease), pending, client_);
  session_.holdInput();
  static_cast<void>(blocked_->send(serverBytes(request)));
}

struct Dispatcher::BlockingHandlers {
  static void block(CommandCall& call) {
    call.answered = true;
    call.dispatcher->block(call.entry, call.request);
  }
};

namespace {
constexpr NamedHandler kBlockingHandlers[] = {
    {"blpop", Dispatcher::BlockingHandlers::block},
    {"brpop", Dispatcher::BlockingHandlers::block},
    {"blmove", Dispatcher::BlockingHandlers::block},
    {"brpoplpush", Dispatcher::BlockingHandlers::block},
    {"blmpop", Dispatcher::BlockingHandlers::block},
    {"bzpopmin", Dispatcher::BlockingHandlers::block},
    {"bzpopmax", Dispatcher::BlockingHandlers::block},
    {"bzmpop", Dispatcher::BlockingHandlers::block},
};
}  // namespace

std::span<const NamedHandler> blockingHandlers() { return kBlockingHandlers; }

}  // namespace shardis::proxy
