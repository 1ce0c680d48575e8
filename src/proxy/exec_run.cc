#include "proxy/exec_run.h"

#include <utility>

#include "proxy/pending_queue.h"
#include "proxy/worker.h"
#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {

constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
constexpr std::string_view kExec = "*1\r\n$4\r\nEXEC\r\n";

// EXEC's answer when a watched key changed: RESP2's null array (or RESP3's null).
bool isNullArray(const resp::Reply& reply) {
  return reply.type == resp::ReplyType::kNull ||
         (reply.type == resp::ReplyType::kArray && reply.count < 0);
}

std::string errorReply(std::string_view message) {
  std::string bytes;
  resp::appendError(bytes, message);
  return bytes;
}

}  // namespace

ExecRun::ExecRun(PoolRuntime& pool, std::vector<QueuedCommand> commands, backend::Lease watch,
                 bool watch_lost, PendingRequest& pending, resp::Protocol protocol,
                 PubSubRegistry::PublishTicket publishing)
    : pool_(pool),
      commands_(std::move(commands)),
      watch_(std::move(watch)),
      watch_lost_(watch_lost),
      pending_(&pending),
      protocol_(protocol),
      publishing_(pool.publishes.pass()),
      ticket_(std::move(publishing)) {}

ExecRun::~ExecRun() { abandon(); }

size_t ExecRun::slotOf(uint32_t server) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].server == server) return i;
  }
  return SIZE_MAX;
}

// One slot per server, in the order the transaction first names it.
void ExecRun::planSlots(uint32_t watch_server, bool watching) {
  auto slotFor = [this](uint32_t server) -> Slot& {
    size_t index = slotOf(server);
    if (index != SIZE_MAX) return slots_[index];
    slots_.emplace_back().server = server;
    return slots_.back();
  };
  for (const QueuedCommand& command : commands_) {
    if (command.local || command.merger) needs_rebuild_ = true;
    for (const QueuedPart& part : command.parts) ++slotFor(part.server).parts;
  }
  if (!watching) return;
  watch_slot_ = &slotFor(watch_server) - slots_.data();
  slots_[watch_slot_].lease = std::move(watch_);
}

void ExecRun::start() {
  const bool watching = static_cast<bool>(watch_);
  const uint32_t watch_server = watching ? watch_.server() : 0;
  planSlots(watch_server, watching);
  if (watching && watch_lost_) {
    return finishError("ERR server " + pool_.serverName(watch_server) +
                       ": connection lost after WATCH, transaction discarded");
  }
  for (Slot& slot : slots_) {
    if (!slot.lease) slot.lease = pool_.serverPool().lease(slot.server, protocol_);
    if (!slot.lease) {
      return finishError("ERR max_leased_connections reached for server " +
                         pool_.serverName(slot.server));
    }
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].queue_replies_left = 1 + slots_[i].parts;
    slots_[i].current = slots_[i].lease.connection().protocol();
    if (!send(slots_[i], kMulti, static_cast<uint32_t>(i * 2))) return;
  }
  for (const QueuedCommand& command : commands_) {
    for (const QueuedPart& part : command.parts) {
      if (!sendPart(slots_[slotOf(part.server)], part, command.protocol)) return;
    }
  }
  for (Slot& slot : slots_) {
    if (!switchProtocol(slot, slot.lease.connection().protocol())) return;
  }
  // One server decides atomicity alone: its EXEC follows at once.
  if (slots_.size() == 1) {
    phase_ = Phase::kExec;
    sendExec(slots_.front());
  }
}

bool ExecRun::send(Slot& slot, std::string_view bytes, uint32_t part) {
  backend::ServerConnection& connection = slot.lease.connection();
  if (connection.send(bytes, this, part, slot.tickets.emplace_back(), pool_.requestTimeoutMs())) {
    return true;
  }
  slot.tickets.pop_back();
  slot.broken = true;
  finishError(connection.lastError());
  return false;
}

bool ExecRun::sendPart(Slot& slot, const QueuedPart& part, resp::Protocol protocol) {
  if (!switchProtocol(slot, protocol)) return false;
  ++slot.sent;
  return send(slot, part.bytes, static_cast<uint32_t>((&slot - slots_.data()) * 2));
}

// HELLO inside the server's MULTI runs in its place, between the commands around it.
bool ExecRun::switchProtocol(Slot& slot, resp::Protocol protocol) {
  if (slot.current == protocol) return true;
  slot.current = protocol;
  slot.switches.push_back(slot.sent + slot.switches.size());
  ++slot.queue_replies_left;
  needs_rebuild_ = true;
  return send(slot, resp::helloRequest(protocol),
              static_cast<uint32_t>((&slot - slots_.data()) * 2));
}

void ExecRun::sendExec(Slot& slot) {
  slot.exec_sent = true;
  static_cast<void>(send(slot, kExec, static_cast<uint32_t>((&slot - slots_.data()) * 2 + 1)));
}

void ExecRun::onReply(uint32_t part, const resp::Reply& reply) {
  if (finished()) return;
  Slot& slot = slots_[part / 2];
  if (part % 2 == 0) {
    if (resp::isError(reply) && queue_error_.empty()) {
      std::string_view text = reply.raw.substr(1, reply.raw.size() - 3);
      queue_error_ = "EXECABORT Transaction discarded because of: server " +
                     pool_.serverName(slot.server) + ": " + std::string(text);
    }
    --slot.queue_replies_left;
    if (phase_ == Phase::kQueue) queueReplyIn();
    return;
  }
  slot.exec_done = true;
  if (phase_ == Phase::kWatchExec) {
    if (isNullArray(reply)) return finish(abortedReply(), TransactionEnd::kAborted);
    if (resp::isError(reply)) {
      return finish(errorReply(serverError(pool_.serverName(slot.server), reply.raw)),
                    TransactionEnd::kDiscarded);
    }
    phase_ = Phase::kExec;
    for (Slot& other : slots_) {
      if (!other.exec_sent) sendExec(other);
      if (finished()) return;
    }
  }
  slot.exec_reply.assign(reply.raw);
  execReplyIn(slot);
}

void ExecRun::onFailure(uint32_t part, std::string_view message) {
  if (finished()) return;
  slots_[part / 2].broken = true;
  finishError(message);
}

// Phase 1 is over once every server has answered MULTI and each of its parts.
void ExecRun::queueReplyIn() {
  for (const Slot& slot : slots_) {
    if (slot.queue_replies_left != 0) return;
  }
  if (!queue_error_.empty()) return finishError(queue_error_);
  if (watch_slot_ != SIZE_MAX) {
    phase_ = Phase::kWatchExec;
    return sendExec(slots_[watch_slot_]);
  }
  phase_ = Phase::kExec;
  for (Slot& slot : slots_) {
    sendExec(slot);
    if (finished()) return;
  }
}

void ExecRun::execReplyIn(Slot& slot) {
  if (slots_.size() == 1) {
    std::string_view raw = slot.exec_reply;
    if (raw.starts_with('-')) return finish(std::string(raw), TransactionEnd::kDiscarded);
    if (raw.starts_with("*-1") || raw.starts_with('_')) {
      return finish(abortedReply(), TransactionEnd::kAborted);
    }
    if (!needs_rebuild_) return finish(slot.exec_reply, TransactionEnd::kCommitted);
  }
  for (const Slot& each : slots_) {
    if (!each.exec_done) return;
  }
  for (const Slot& each : slots_) {
    if (each.exec_reply.starts_with('-')) {
      return finish(errorReply(serverError(pool_.serverName(each.server), each.exec_reply)),
                    TransactionEnd::kDiscarded);
    }
  }
  std::string reply = assemble();
  TransactionEnd end =
      reply.starts_with('-') ? TransactionEnd::kDiscarded : TransactionEnd::kCommitted;
  finish(reply, end);
}

// EXEC's array in the client's command order, from each server's EXEC array.
std::string ExecRun::assemble() {
  for (Slot& slot : slots_) {
    if (!resp::arrayElements(slot.exec_reply, slot.elements) ||
        slot.elements.size() != slot.parts + slot.switches.size()) {
      return errorReply("ERR server " + pool_.serverName(slot.server) +
                        ": EXEC did not answer one reply per queued command");
    }
    // The HELLOs' answers go, from the last so that the earlier places hold.
    for (auto at = slot.switches.rbegin(); at != slot.switches.rend(); ++at) {
      slot.elements.erase(slot.elements.begin() + static_cast<std::ptrdiff_t>(*at));
    }
  }
  std::string out;
  resp::appendArrayHeader(out, commands_.size());
  for (QueuedCommand& command : commands_) {
    if (command.local) {
      out += command.reply;
    } else if (!command.merger) {
      nextElement(out, command.parts.front().server);
    } else {
      mergeParts(out, command);
    }
  }
  return out;
}

void ExecRun::nextElement(std::string& out, uint32_t server) {
  Slot& slot = slots_[slotOf(server)];
  out += slot.elements[slot.next_element++];
}

// A split or whole-keyspace command inside the transaction: its parts' replies, one from each
// server's EXEC array, merged as the same command's outside MULTI.
void ExecRun::mergeParts(std::string& out, QueuedCommand& command) {
  resp::ReplyDecoder decoder(resp::serverReplyLimits());
  for (uint32_t p = 0; p < command.parts.size(); ++p) {
    Slot& slot = slots_[slotOf(command.parts[p].server)];
    std::string_view element = slot.elements[slot.next_element++];
    decoder.reset();
    if (decoder.decode(element) != resp::Status::kFrame) {
      command.merger->onPartFailure(
          p, "ERR server " + pool_.serverName(slot.server) + ": unreadable reply in EXEC");
      continue;
    }
    command.merger->onPartReply(p, decoder.reply());
  }
  std::string merged;
  command.merger->finish(merged);
  out += merged;
}

// A watched key changed: the null of the client's protocol, whichever its WATCH's connection
// speaks (a HELLO may have come between WATCH and EXEC).
std::string ExecRun::abortedReply() const {
  std::string null;
  resp::appendNullArray(null, protocol_);
  return null;
}

void ExecRun::finishError(std::string_view message) {
  finish(errorReply(message), TransactionEnd::kDiscarded);
}

// The reply goes to the client last: writing it may close the client, which frees nothing
// of this run before the loop's next turn (see Transaction), but touches nothing here after.
void ExecRun::finish(const std::string& reply, TransactionEnd end) {
  phase_ = Phase::kFinished;
  publishing_.reset();
  ticket_.release();
  for (Slot& slot : slots_) giveBack(slot);
  stats::PoolCounters& counters = pool_.counters();
  if (end == TransactionEnd::kCommitted) ++counters.transactions_committed;
  if (end == TransactionEnd::kAborted) ++counters.transactions_aborted;
  if (end == TransactionEnd::kDiscarded) ++counters.transactions_discarded;
  if (slots_.size() > 1) ++counters.transactions_cross_server;
  commands_.clear();
  PendingRequest* pending = std::exchange(pending_, nullptr);
  resp::Reply whole;
  whole.type = reply.starts_with('-') ? resp::ReplyType::kError : resp::ReplyType::kArray;
  whole.raw = reply;
  pending->onReply(0, whole);
}

void ExecRun::abandon() {
  if (finished()) return;
  phase_ = Phase::kFinished;
  publishing_.reset();
  ticket_.release();
  pending_ = nullptr;
  for (Slot& slot : slots_) giveBack(slot);
  ++pool_.counters().transactions_discarded;
}

// A connection goes back clean when its EXEC was answered; with DISCARD and UNWATCH queued
// when a MULTI or a watch may be open on it; closed when it failed.
void ExecRun::giveBack(Slot& slot) {
  for (backend::Ticket& ticket : slot.tickets) ticket.cancel();
  slot.tickets.clear();
  if (!slot.lease) return;
  if (slot.broken) return slot.lease.release(backend::LeaseEnd::kAbandoned);
  if (slot.exec_done) return slot.lease.release(backend::LeaseEnd::kClean);
  slot.lease.release(backend::LeaseEnd::kDiscard);
}

}  // namespace shardis::proxy
