#include "proxy/block_run.h"

#include <string>
#include <utility>

#include "proxy/client_state.h"
#include "proxy/pending_queue.h"
#include "proxy/worker.h"
#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {

constexpr std::string_view kClientId = "*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n";

// RESP2's null array or bulk, or RESP3's null.
bool isNull(std::string_view raw) {
  return raw.starts_with("*-1") || raw.starts_with("$-1") || raw.starts_with('_');
}

}  // namespace

BlockRun::BlockRun(PoolRuntime& pool, PendingRequest& pending, ClientState& client,
                   HangupCheck& hangup, std::optional<BlockShape> shape)
    : pool_(pool), pending_(&pending), client_(client), hangup_(hangup), shape_(std::move(shape)) {
  client_.mode = SessionMode::kBlocked;
  ++pool_.counters().blocked_clients;
}

BlockRun::~BlockRun() {
  for (Slot& slot : slots_) {
    for (backend::Ticket& ticket : slot.tickets) ticket.cancel();
    if (slot.lease) slot.lease.release(backend::LeaseEnd::kAbandoned);
  }
}

BlockRun::Slot& BlockRun::slotFor(uint32_t server) {
  for (Slot& slot : slots_) {
    if (slot.server == server) return slot;
  }
  slots_.emplace_back().server = server;
  return slots_.back();
}

bool BlockRun::leaseAll() {
  for (Slot& slot : slots_) {
    slot.lease = pool_.serverPool().lease(slot.server, client_.protocol);
    if (!slot.lease) {
      answerError("ERR max_leased_connections reached for server " + pool_.serverName(slot.server));
      return false;
    }
    send(slot, kClientId, Step::kClientId, pool_.requestTimeoutMs());
  }
  return true;
}

void BlockRun::send(Slot& slot, std::string_view bytes, Step step, uint64_t timeout_ms) {
  const auto index = static_cast<uint32_t>(&slot - slots_.data());
  const uint32_t part = index * kSteps + static_cast<uint32_t>(step);
  backend::ServerConnection& connection =
      step == Step::kUnblock
          ? pool_.serverPool().connectionFor(slot.server, 0, resp::Protocol::kResp2)
          : slot.lease.connection();
  if (!connection.send(bytes, this, part, slot.tickets.emplace_back(), timeout_ms)) {
    slot.tickets.pop_back();
    return onFailure(part, connection.lastError());
  }
  if (step == Step::kUnblock) {
    slot.unblock_owed = true;
  } else {
    ++slot.owed;
    slot.blocked |= step == Step::kBlock;
  }
}

void BlockRun::startOneServer(uint32_t server, std::string_view bytes) {
  slotFor(server).blocking = bytes;
  if (!leaseAll()) return;
  send(slots_.front(), slots_.front().blocking, Step::kBlock, 0);
}

void BlockRun::startCrossServer(std::span<const std::string_view> argv,
                                std::span<const uint32_t> key_servers) {
  slots_.reserve(key_servers.size());
  std::vector<uint32_t> run_keys;
  for (uint32_t k = 0; k < key_servers.size(); ++k) {
    Slot& slot = slotFor(key_servers[k]);
    slot.keys.push_back(k);
    const size_t index = static_cast<size_t>(&slot - slots_.data());
    // Consecutive keys on one server form one run of the non-blocking pass.
    if (runs_.empty() || runs_.back().slot != index) {
      if (!runs_.empty()) shape_->appendNonBlocking(runs_.back().request, argv, run_keys);
      runs_.push_back(Run{index, {}});
      run_keys.clear();
    }
    run_keys.push_back(k);
  }
  shape_->appendNonBlocking(runs_.back().request, argv, run_keys);
  for (Slot& slot : slots_) shape_->appendBlocking(slot.blocking, argv, slot.keys);
  if (!leaseAll()) return;
  if (shape_->kind() != BlockKind::kStreamRead) return sendPass();
  // XREAD consumes nothing: every server is asked at once, and every stream with data answers.
  stream_replies_.assign(slots_.size(), {});
  for (Slot& slot : slots_) {
    std::vector<uint32_t> keys = slot.keys;
    std::string request;
    shape_->appendNonBlocking(request, argv, keys);
    ++passes_owed_;
    send(slot, request, Step::kPass, pool_.requestTimeoutMs());
  }
}

void BlockRun::sendPass() {
  if (next_run_ == runs_.size()) return block();
  const Run& run = runs_[next_run_++];
  send(slots_[run.slot], run.request, Step::kPass, pool_.requestTimeoutMs());
}

void BlockRun::block() {
  for (Slot& slot : slots_) {
    if (answered()) return;
    send(slot, slot.blocking, Step::kBlock, 0);
  }
}

void BlockRun::onReply(uint32_t part, const resp::Reply& reply) {
  Slot& slot = slots_[part / kSteps];
  const auto step = static_cast<Step>(part % kSteps);
  if (step == Step::kUnblock) {
    slot.unblock_owed = false;
    return settle(slot);
  }
  --slot.owed;
  switch (step) {
    case Step::kClientId:
      slot.client_id = resp::integerValue(reply.raw).value_or(-1);
      if (answered() && slot.blocked) wake(slot);
      break;
    case Step::kPass:
      if (shape_->kind() == BlockKind::kStreamRead) {
        stream_replies_[part / kSteps].assign(reply.raw);
        if (--passes_owed_ == 0) onPassReply({});
      } else {
        onPassReply(reply.raw);
      }
      break;
    case Step::kBlock:
      slot.blocked = false;
      onBlockReply(slot, reply);
      break;
    case Step::kPutBack:
    case Step::kUnblock:
      break;
  }
  settle(slot);
}

// A pop's pass: the run's reply, nothing yet (next run), or the answer. XREAD's: every
// server's streams with data, in the client's key order.
void BlockRun::onPassReply(std::string_view raw) {
  if (shape_->kind() == BlockKind::kStreamRead) {
    if (answered()) return;
    std::vector<std::string_view> streams;
    std::vector<std::string_view> found;
    for (const std::string& each : stream_replies_) {
      if (each.starts_with('-')) return answer(each);
      if (!isNull(each) && resp::arrayElements(each, found)) {
        streams.insert(streams.end(), found.begin(), found.end());
      }
    }
    if (streams.empty()) return block();
    std::string out;
    resp::appendArrayHeader(out, streams.size());
    for (std::string_view stream : streams) out += stream;
    return answer(out);
  }
  std::optional<std::string> data = shape_->blockingReply(raw);
  if (answered()) {
    // The client left during the pass: what the pass took goes back.
    if (data) putBack(slots_[runs_[next_run_ - 1].slot], *data);
    return;
  }
  if (data && keptFromGoneClient(slots_[runs_[next_run_ - 1].slot], *data)) return;
  if (data) return answer(*data);
  sendPass();
}

void BlockRun::onBlockReply(Slot& slot, const resp::Reply& reply) {
  if (answered()) return putBack(slot, reply.raw);  // a loser, or the client is gone
  if (keptFromGoneClient(slot, reply.raw)) return;
  if (!isNull(reply.raw)) return answer(reply.raw);  // data, or an error (WRONGTYPE ...)
  for (const Slot& other : slots_) {
    if (other.blocked) return;  // another server may still answer
  }
  answer(reply.raw);  // every server timed out
}

void BlockRun::putBack(Slot& slot, std::string_view raw) {
  if (!shape_ || slot.broken || !slot.lease) return;
  std::string commands = shape_->putBack(raw);
  if (commands.empty()) return;
  ++pool_.counters().blocking_put_back;
  send(slot, commands, Step::kPutBack, pool_.requestTimeoutMs());
}

void BlockRun::wakeOthers() {
  for (Slot& slot : slots_) {
    if (slot.blocked && !slot.unblock_owed) wake(slot);
  }
}

// CLIENT UNBLOCK over the shared connection; before CLIENT ID's reply it waits for it.
void BlockRun::wake(Slot& slot) {
  if (slot.client_id < 0) return;
  std::string request;
  const std::string id = std::to_string(slot.client_id);
  const std::string_view args[] = {"CLIENT", "UNBLOCK", id};
  resp::appendCommand(request, args);
  send(slot, request, Step::kUnblock, pool_.requestTimeoutMs());
}

void BlockRun::answer(std::string_view raw) {
  client_.mode = SessionMode::kNormal;
  --pool_.counters().blocked_clients;
  PendingRequest* pending = std::exchange(pending_, nullptr);
  wakeOthers();
  resp::Reply reply;
  reply.type = raw.starts_with('-') ? resp::ReplyType::kError : resp::ReplyType::kArray;
  reply.raw = raw;
  pending->onReply(0, reply);
}

// The client's hang-up is in its socket but not read yet (the element arrived in the same
// turn of the loop): the element goes back, the other servers are woken, and the session
// closes the client when it reads the hang-up (Dispatcher::clientGone detaches this run).
bool BlockRun::keptFromGoneClient(Slot& slot, std::string_view raw) {
  if (isNull(raw) || raw.starts_with('-') || !hangup_.clientHungUp()) return false;
  putBack(slot, raw);
  wakeOthers();
  return true;
}

void BlockRun::answerError(std::string_view message) {
  std::string bytes;
  resp::appendError(bytes, message);
  answer(bytes);
}

void BlockRun::onFailure(uint32_t part, std::string_view message) {
  Slot& slot = slots_[part / kSteps];
  const auto step = static_cast<Step>(part % kSteps);
  if (step == Step::kUnblock) {
    // Not woken: its connection is closed, which unblocks it (an element popped in that
    // instant is the one loss this path can have).
    slot.unblock_owed = false;
    slot.broken = true;
  } else {
    if (slot.owed > 0) --slot.owed;
    if (step == Step::kBlock) slot.blocked = false;
    slot.broken = true;
    if (!answered()) answerError(message);
  }
  settle(slot);
}

bool BlockRun::settled() const {
  for (const Slot& slot : slots_) {
    if (slot.lease) return false;
  }
  return true;
}

// A connection goes back once nothing of this run is owed on it or about it.
void BlockRun::settle(Slot& slot) {
  if (!answered() || !slot.lease || slot.unblock_owed) return;
  if (slot.broken) {
    for (backend::Ticket& ticket : slot.tickets) ticket.cancel();
    slot.blocked = false;
    slot.lease.release(backend::LeaseEnd::kAbandoned);
  } else if (slot.owed == 0 && !slot.blocked) {
    slot.lease.release(backend::LeaseEnd::kClean);
  } else {
    return;
  }
  slot.tickets.clear();
  if (detached_ && settled()) pool_.forget(*this);
}

void BlockRun::detach() {
  detached_ = true;
  if (!answered()) {
    pending_ = nullptr;
    --pool_.counters().blocked_clients;
    wakeOthers();
  }
  for (Slot& slot : slots_) settle(slot);
}

}  // namespace shardis::proxy
