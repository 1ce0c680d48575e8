#include "proxy/wait_run.h"

#include <algorithm>
#include <utility>

#include "proxy/client_state.h"
#include "proxy/merger.h"
#include "proxy/pending_queue.h"
#include "proxy/worker.h"
#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

WaitRun::WaitRun(PoolRuntime& pool, PendingRequest& pending, ClientState& client)
    : pool_(pool), pending_(&pending), client_(client), slots_(pool.every_server.size()) {
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].server = pool.every_server[i];
  // Redis shows a client in WAIT as blocked.
  client_.mode = SessionMode::kBlocked;
  ++pool_.counters().blocked_clients;
}

WaitRun::~WaitRun() {
  for (Slot& slot : slots_) {
    for (backend::Ticket& ticket : slot.tickets) ticket.cancel();
    if (slot.lease) slot.lease.release(backend::LeaseEnd::kAbandoned);
  }
  if (!answered()) --pool_.counters().blocked_clients;
}

void WaitRun::start(std::string_view wait, uint64_t timeout_ms) {
  for (Slot& each : slots_) {
    const uint32_t server = each.server;
    // WAIT answers an integer in either protocol.
    each.lease = pool_.serverPool().lease(server, resp::Protocol::kResp2);
    if (!each.lease) {
      // Nothing was sent on the leases already taken: they serve the next holder.
      for (Slot& slot : slots_) {
        if (slot.lease) slot.lease.release(backend::LeaseEnd::kClean);
      }
      return answer("-ERR max_leased_connections reached for server " + pool_.serverName(server) +
                    "\r\n");
    }
  }
  waits_owed_ = static_cast<uint32_t>(slots_.size());
  // A WAIT that never times out has no deadline here either; a bounded one may take its
  // timeout plus the pool's.
  const uint64_t wait_timeout = timeout_ms == 0 ? 0 : pool_.requestTimeoutMs(timeout_ms);
  for (uint32_t index = 0; index < slots_.size() && !answered(); ++index) {
    send(index, kWaitMarker, kMarker, pool_.requestTimeoutMs());
    send(index, wait, kWait, wait_timeout);
  }
}

void WaitRun::send(uint32_t index, std::string_view bytes, Step step, uint64_t timeout_ms) {
  Slot& slot = slots_[index];
  const uint32_t part = index * kSteps + step;
  ++slot.owed;
  // The marker failed: its connection is gone, and the WAIT fails with it.
  if (slot.broken || !slot.lease) return onFailure(part, error_);
  if (!slot.lease.connection().send(bytes, this, part, slot.tickets[step], timeout_ms)) {
    onFailure(part, slot.lease.connection().lastError());
  }
}

void WaitRun::onReply(uint32_t part, const resp::Reply& reply) {
  Slot& slot = slots_[part / kSteps];
  slot.tickets[part % kSteps].connection = nullptr;
  const std::string& name = pool_.serverName(slot.server);
  if (resp::isError(reply)) {
    if (error_.empty()) error_ = serverError(name, reply.raw);
  } else if (part % kSteps == kWait) {
    std::optional<int64_t> count = resp::integerValue(reply.raw);
    if (count) {
      fewest_ = std::min(fewest_, *count);
    } else if (error_.empty()) {
      error_ = "ERR server " + name + " answered WAIT with something not an integer";
    }
  }
  partDone(part);
}

void WaitRun::onFailure(uint32_t part, std::string_view message) {
  Slot& slot = slots_[part / kSteps];
  slot.tickets[part % kSteps].connection = nullptr;
  slot.broken = true;
  if (error_.empty()) error_ = message;
  partDone(part);
}

// A lease goes back once nothing is owed on it: reused after a clean WAIT, closed after a
// failure. The client's answer comes once every server's WAIT has answered.
void WaitRun::partDone(uint32_t part) {
  Slot& slot = slots_[part / kSteps];
  if (--slot.owed == 0 && slot.lease) {
    slot.lease.release(slot.broken ? backend::LeaseEnd::kAbandoned : backend::LeaseEnd::kClean);
  }
  if (part % kSteps != kWait || --waits_owed_ > 0 || answered()) return;
  std::string reply;
  if (error_.empty()) {
    resp::appendInteger(reply, fewest_);
  } else {
    resp::appendError(reply, error_);
  }
  answer(reply);
}

void WaitRun::answer(std::string_view raw) {
  client_.mode = SessionMode::kNormal;
  --pool_.counters().blocked_clients;
  PendingRequest* pending = std::exchange(pending_, nullptr);
  resp::Reply reply;
  reply.type = raw.starts_with('-') ? resp::ReplyType::kError : resp::ReplyType::kInteger;
  reply.raw = raw;
  pending->onReply(0, reply);
}

}  // namespace shardis::proxy
