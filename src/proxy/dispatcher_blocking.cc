// The Dispatcher's blocking commands (block_run.h): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP, and XREAD/XREADGROUP with BLOCK, on connections leased while
// they block. Keys on one server: the command as it came. Keys on several: BLPOP, BRPOP,
// BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP and XREAD run issue 15's algorithm; BLMOVE and BRPOPLPUSH
// (a move between servers cannot be atomic) and XREADGROUP get -CROSSSLOT.
#include <memory>
#include <optional>
#include <utility>

#include "proxy/block_run.h"
#include "proxy/client_session.h"
#include "proxy/router.h"
#include "proxy/worker.h"

namespace shardis::proxy {

Dispatcher::~Dispatcher() = default;

// A run that is still giving connections back (a loser's put-back) outlives its client.
void Dispatcher::retireBlockRun(bool client_gone) {
  if (!blocked_) return;
  if (blocked_->settled()) return blocked_.reset();
  BlockRun& run = *blocked_;
  pool_.adopt(std::move(blocked_));
  if (client_gone || run.answered()) run.detach();
}

void Dispatcher::block(const CommandEntry& entry, Request& request) {
  Route route = pool_.router.route(*entry.spec, command::Routing::kPinned, request.argv, pool_);
  const bool several = route.kind == Route::Kind::kError && route.error.starts_with("CROSSSLOT");
  if (route.kind == Route::Kind::kError && !several) return replyError(request, route.error);
  std::optional<BlockShape> shape = BlockShape::of(*entry.spec, request.argv);
  if (several && (!shape || shape->keyCount() != pool_.router.keyServers().size())) {
    pool_.counters().countError(stats::ProxyError::kCrossSlot);
    request.rejected = true;
    return replyError(request, crossSlotError());
  }
  if (several && !shape->timeoutError().empty()) {
    return replyError(request, shape->timeoutError());
  }
  retireBlockRun(false);
  PendingRequest& pending = awaitReply(request);
  blocked_ = std::make_unique<BlockRun>(pool_, pending, client_, session_, std::move(shape));
  session_.holdInput();
  if (several) {
    ++pool_.counters().blocking_cross_server;
    return blocked_->startCrossServer(request.argv, pool_.router.keyServers());
  }
  ++pool_.counters().blocking_one_server;
  pending.server = route.server;
  blocked_->startOneServer(route.server, serverBytes(request));
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
