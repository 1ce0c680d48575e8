// The path of one client request through the proxy:
//
//   client socket
//     │ bytes (into the worker's scratch buffer; a request cut by a read: its PartialRequest)
//     ▼
//   ClientSession::processInput ── RequestDecoder ──► a Request: argv views into those bytes,
//     │                                               its receive time, its size
//     │ empty (blank line, *0): skipped
//     ▼
//   Dispatcher::dispatch: resolve ─ unknown? ─ arity? ─ NOAUTH? ─► an error reply now
//     │  the command's entry (command_handlers.h), by its id: route class, handler, merge
//     ├─ kLocal ─► its handler (local_commands.cc, admin_commands.cc) ─► reply now
//     │                                               (INFO: every server, merged as below)
//     ├─ kPinned/kRefused ─────────────────────────────► the entry's refusal now
//     ├─ kAllServers ─► handler: fanOut (the request to every server) / scan (one server) ─┐
//     └─ keys ─► Router ─► one server ─► sendTo: PendingQueue.push ─► ServerConnection::send│
//                   ├─ CROSSSLOT ─► error reply now  (original bytes)       │              │
//                   └─ kSplit ─► handler: Splitter, one sub-command per server ─► sendParts◄┘
//                                                                           │ reply / failure
//                                 PendingRequest::onReply ◄─────────────────┘ per part
//                                   │ one part: the raw reply (or written at once)
//                                   │ several: its Merger (merger.h) builds the reply
//                                   ▼
//   client socket ◄── Stream::write (batched) ◄── writeCompleted: done entries, from the
//                                                 front only, so replies keep request order
//
// A reply known at once is written directly when nothing is pending, else queued behind the
// requests sent before it. The Request lives on the stack of processInput; what outlives it
// (command id, receive time, silence) is copied into the PendingRequest. The session never
// frees itself: it asks the Worker to (retire), and the Worker does it outside every callback.
#include "proxy/client_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <new>
#include <utility>

#include "net/loop.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

ClientSession::ClientSession(net::Loop& loop, net::Stream::Kind kind, uint64_t id,
                             PoolRuntime& pool, SharedState& shared, SessionOwner& owner)
    : loop_(loop),
      pool_(pool),
      shared_(shared),
      owner_(owner),
      stream_(net::Stream::create(loop, kind, this)),
      queue_(*this, pool.worker.pendingFreeList()),
      dispatcher_(*this, *this, pool, shared, client_) {
  client_.id = id;
  client_.authenticated = pool.config().redis_auth.empty();
  const config::OutputBufferLimit& limit = shared.config.process.client_output_buffer_limit;
  if (OutputLimit::enabled(limit)) output_limit_ = std::make_unique<OutputLimit>(limit);
}

ClientSession::~ClientSession() {
  if (subscribed_) --pool_.counters().pubsub_clients;
  dispatcher_.clientGone();
  forgetQueueWaits();
  queue_.cancelAll();
}

void ClientSession::start() {
  stream_->setNoDelay(true);
  if (pool_.config().tcpkeepalive) stream_->setKeepAlive(true, 60);
  noteAddresses();
  if (stream_->startReading() != 0) close();
}

void ClientSession::drain() {
  if (readsDropped()) return;
  lifecycle_ = Lifecycle::kDraining;
  stream_->stopReading();
  if (queue_.empty() && !input_held_) finishAfterWrites();
}

void ClientSession::close() {
  if (retired()) return;
  lifecycle_ = Lifecycle::kRetired;
  dispatcher_.clientGone();
  forgetQueueWaits();
  queue_.cancelAll();
  stream_.reset();
  owner_.retire(*this);
}

void ClientSession::finishAfterWrites() {
  if (retired()) return;
  lifecycle_ = Lifecycle::kRetired;
  dispatcher_.clientGone();
  forgetQueueWaits();
  queue_.cancelAll();
  stream_->closeAfterWrites();
  static_cast<void>(stream_.release());  // the stream frees itself once its writes are done
  owner_.retire(*this);
}

// Reads land in the worker's scratch buffer and are decoded by the worker's decoder, so an
// idle client holds no read buffer and no decoder at all. Only a request cut by the end of a
// read keeps something of its own until it is complete: a PartialRequest with exactly its
// bytes and its decoder's state (the rest of a large bulk is read straight into it). After
// QUIT or a protocol error every read lands in the scratch buffer and is dropped.
uv_buf_t ClientSession::readBuffer(size_t /*suggested*/) {
  reading_partial_ = false;
  if (partial_ && !readsDropped()) {
    std::span<char> room = partial_->room();
    if (!room.empty()) {
      reading_partial_ = true;
      return uv_buf_init(room.data(),
                         static_cast<unsigned>(std::min<size_t>(room.size(), 1u << 30)));
    }
  }
  std::string& scratch = pool_.worker.readScratch();
  return uv_buf_init(scratch.data(), static_cast<unsigned>(scratch.size()));
}

void ClientSession::onRead(size_t nread) {
  std::string_view input;
  if (std::exchange(reading_partial_, false)) {
    partial_->commit(nread);
  } else {
    input = std::string_view(pool_.worker.readScratch().data(), nread);
  }
  if (readsDropped()) return;  // after QUIT or a protocol error: dropped
  if (input_held_) return keepReadWhileHeld(input);
  if (partial_) {
    input.remove_prefix(completePartial(input));
    if (partial_ || readsDropped()) return;
  }
  resp::RequestDecoder& decoder = pool_.worker.requestDecoder();
  size_t used = processInput(input, decoder);
  if (!readsDropped() && used < input.size()) keepUndispatched(input.substr(used), decoder);
  decoder.reset();
}

// What processInput() left: held input waits as bytes; a cut request's state goes with its
// bytes, copied (the worker's decoder keeps its grown argument vectors for the other
// clients, and starts over).
void ClientSession::keepUndispatched(std::string_view rest, const resp::RequestDecoder& decoder) {
  if (input_held_) return keepHeld(rest);
  partial_ = std::make_unique<PartialRequest>(decoder, rest);
}

// Gives the cut request the start of `input` that belongs to it, piece by piece, until it
// is complete; returns the bytes of `input` it took. Complete (dispatched, or refused as a
// protocol error), it is freed, and the rest of `input` is decoded as usual.
size_t ClientSession::completePartial(std::string_view input) {
  size_t used = 0;
  while (true) {
    size_t done = processInput(partial_->bytes(), partial_->decoder());
    if (retired()) return input.size();
    if (input_held_ && !readsDropped()) {
      // Complete but not dispatched (done == 0), or dispatched and holding what follows.
      keepHeld(partial_->bytes().substr(done), input.substr(used));
      partial_.reset();
      return input.size();
    }
    if (done != 0 || readsDropped()) break;
    if (used == input.size()) return used;
    used += partial_->take(input.substr(used));
  }
  partial_.reset();
  return used;
}

// Decodes and dispatches every complete request in `input`; returns the bytes consumed.
size_t ClientSession::processInput(std::string_view input, resp::RequestDecoder& decoder) {
  size_t used = 0;
  while (!readsDropped() && !input_held_ && used < input.size()) {
    std::string_view pending = input.substr(used);
    // Per request: an AUTH earlier in this input lifts the limits for the next one.
    decoder.setAuthenticated(client_.authenticated);
    resp::Status status = decoder.decode(pending);
    if (status == resp::Status::kNeedMore) break;
    if (status == resp::Status::kError) {
      protocolError(decoder);
      break;
    }
    std::string_view raw = pending.substr(0, decoder.consumed());
    used += decoder.consumed();
    if (decoder.argv().empty()) continue;
    Request request;
    request.argv = decoder.argv();
    request.raw = raw;
    request.is_inline = decoder.isInline();
    request.received_ns = loop_.nowNs();
    request.bytes = raw.size();
    if (!dispatcher_.dispatch(request)) return used - raw.size();  // held, not dispatched
  }
  return used;
}

// As Redis does: say what was wrong, then hang up once the earlier replies are out.
void ClientSession::protocolError(const resp::RequestDecoder& decoder) {
  shared_.protocol_error_closes.fetch_add(1, std::memory_order_relaxed);
  pool_.counters().countError(stats::ProxyError::kProtocol);
  Request request;
  request.command_id = stats::unknownCommandId();
  request.received_ns = loop_.nowNs();
  request.rejected = true;
  std::string bytes;
  resp::appendError(bytes, "ERR " + std::string(decoder.errorMessage()));
  reply(request, std::move(bytes), true);
}

// Redis's commandstats rule: a rejected call counts only as rejected; a call that ran counts,
// and as failed when its reply is an error.
void ClientSession::recordReply(uint16_t command_id, uint64_t received_ns, bool rejected,
                                std::string_view reply, std::span<const std::string_view> argv,
                                std::span<const uint32_t> servers) {
  uint64_t duration_us = (loop_.nowNs() - received_ns) / 1000;
  stats::SlowLog& slowlog = shared_.slowlog(pool_.index);
  // As Redis, only commands that ran: not one refused before (unknown, arity, NOAUTH ...).
  if (!rejected && slowlog.slower(duration_us)) {
    // The request's arguments are gone by the time a server's reply arrives: the slow log
    // then names the command only.
    std::string_view name = stats::commandName(command_id);
    const command::CommandSpec* spec = command::lookup(name);
    if (argv.empty()) argv = std::span<const std::string_view>(&name, 1);
    // Redis leaves out the commands flagged skip_slowlog (EXEC ...); the log redacts
    // secrets (AUTH, HELLO AUTH ...) itself.
    if (spec == nullptr || !spec->hasFlag(command::kSkipSlowlog)) {
      std::vector<std::string_view> names;  // the slow path only
      names.reserve(servers.size());
      for (uint32_t server : servers) names.push_back(pool_.serverName(server));
      slowlog.push(duration_us, argv, identity().addr, client_.name, names);
    }
  }
  // The slow log is a command (SLOWLOG); the counters are what `--stats off` leaves out.
  if (!pool_.worker.counting()) return;
  ++pool_.counters().replies;
  stats::CommandOutcome outcome = rejected ? stats::CommandOutcome::kRejected
                                  : (!reply.empty() && reply.front() == '-')
                                      ? stats::CommandOutcome::kFailed
                                      : stats::CommandOutcome::kOk;
  if (outcome != stats::CommandOutcome::kOk) ++pool_.counters().error_replies;
  pool_.worker.stats().recordCommand(command_id, duration_us, outcome);
}

// A queued request's reply: the slow log names its command only, unless the request kept its
// arguments (Request::log_arguments).
void ClientSession::recordAnswer(const PendingRequest& request, std::string_view reply) {
  std::vector<std::string_view> arguments;
  if (!request.arguments.empty()) {
    arguments.assign(request.arguments.begin(), request.arguments.end());
  }
  recordReply(request.command_id, request.received_ns, request.rejected, reply, arguments,
              request.servers());
}

void ClientSession::reply(const Request& request, std::string bytes, bool close_after) {
  if (queue_.empty() && !close_after) {
    recordReply(request.command_id, request.received_ns, request.rejected, bytes, request.argv);
    if (request.silent) return;
    const size_t size = bytes.size();
    stream_->write(std::move(bytes));
    noteOutput(size);
    checkOutputLimit();
    return;
  }
  PendingRequest& pending = enqueue(request);
  pending.complete(std::move(bytes));
  pending.command_id = request.command_id;
  pending.received_ns = request.received_ns;
  pending.rejected = request.rejected;
  pending.silent = request.silent;
  if (close_after) {
    pending.setCloseAfter();
    // Nothing after QUIT or a protocol error is processed, or kept: it is still read (and
    // dropped), so the close that follows is a FIN, not a reset over unread bytes.
    if (!retired()) lifecycle_ = Lifecycle::kClosing;
    resumeReading();
  }
  if (&pending != &queue_.front()) return hold(pending);
  writeCompleted();
}

void ClientSession::onRequestComplete(PendingRequest& request) {
  if (retired()) return;
  if (&request != &queue_.front()) return hold(request);
  writeCompleted();
}

bool ClientSession::writeNow(PendingRequest& request, std::string_view bytes) {
  if (retired() || &request != &queue_.front()) return false;
  if (!request.silent) {
    // The stream copies the reply, as large as the server made it. If that copy cannot be
    // allocated, the request keeps its reply instead, or an out-of-memory error in its place.
    try {
      stream_->write(bytes);
    } catch (const std::bad_alloc&) {
      return false;
    }
    noteOutput(bytes.size());
  }
  recordAnswer(request, bytes);
  return true;
}

bool ClientSession::canWriteNow(PendingRequest& request) {
  return !retired() && &request == &queue_.front();
}

void ClientSession::writePiece(PendingRequest& request, std::string_view bytes) {
  if (!canWriteNow(request) || request.silent) return;
  stream_->write(bytes);
  noteOutput(bytes.size(), true);
  checkOutputLimit();
}

void ClientSession::onReplyBroken(PendingRequest& /*request*/) {
  spdlog::warn("client {}: closed, its server failed in the middle of a reply", client_.id);
  close();
}

// A reply that cannot be written yet still costs memory: it counts against the client's output
// limit like bytes written but not yet read.
void ClientSession::hold(PendingRequest& request) {
  request.setHeldBytes(request.reply().size());
  held_reply_bytes_ += request.heldBytes();
  if (output_limit_) output_limit_->noteHeld(request.heldBytes());
  checkOutputLimit();
}

void ClientSession::writeCompleted() {
  while (!retired() && queue_.frontDone()) {
    PendingRequest& front = queue_.front();
    held_reply_bytes_ -= front.heldBytes();
    if (!front.written) {
      if (!front.push) recordAnswer(front, front.reply());
      if (!front.silent) {
        const size_t size = front.reply().size();
        stream_->write(std::move(front.reply()));
        noteOutput(size);
      }
    }
    bool close_after = front.closeAfter();
    dequeued(front);
    queue_.pop();
    if (close_after) return finishAfterWrites();
  }
  if (retired()) return;
  if (input_held_ && queue_.empty()) {
    releaseHeldInput();  // a drain finishes once the held requests are answered too
  } else if (lifecycle_ == Lifecycle::kDraining && queue_.empty()) {
    return finishAfterWrites();
  }
  checkOutputLimit();
}

void ClientSession::deliverPush(std::string_view frame) {
  if (readsDropped()) return;  // after QUIT, or closed
  // The hub's upstream speaks RESP2: a RESP3 client gets the same elements as a push.
  bool as_push = client_.protocol == resp::Protocol::kResp3 && frame.starts_with('*');
  if (queue_.empty()) {
    if (as_push) {
      stream_->write(std::string_view(">"));
      stream_->write(frame.substr(1));
    } else {
      stream_->write(frame);
    }
    noteOutput(frame.size());
    return checkOutputLimit();
  }
  // Behind a reply still owed (a SUBSCRIBE waiting for its server): in its place.
  PendingRequest& entry = queue_.push();
  entry.complete(as_push ? ">" + std::string(frame.substr(1)) : std::string(frame));
  entry.push = true;
  hold(entry);
}

void ClientSession::setSubscribed(bool subscribed) {
  if (subscribed) {
    client_.mode = SessionMode::kSubscribed;
  } else if (client_.mode == SessionMode::kSubscribed) {
    client_.mode = SessionMode::kNormal;
  }
  if (subscribed == subscribed_) return;
  subscribed_ = subscribed;
  subscribed_flag_.store(subscribed);
  if (subscribed) {
    ++pool_.counters().pubsub_clients;
  } else {
    --pool_.counters().pubsub_clients;
  }
  const config::Process& process = shared_.config.process;
  const config::OutputBufferLimit& limit =
      subscribed ? process.client_output_buffer_limit_pubsub : process.client_output_buffer_limit;
  output_limit_.reset();
  if (OutputLimit::enabled(limit)) output_limit_ = std::make_unique<OutputLimit>(limit);
}

void ClientSession::noteOutput(size_t bytes, bool piece) {
  if (!output_limit_) return;
  if (piece) return output_limit_->notePiece(bytes);
  output_limit_->noteReply(bytes);
}

// Redis checks its limits as replies are added; so does the session, after each write.
void ClientSession::checkOutputLimit() {
  if (!output_limit_) return;
  const uint64_t unsent = stream_->pendingBytes();
  if (!output_limit_->exceeded(unsent, held_reply_bytes_, loop_.nowNs() / 1000000)) return;
  shared_.output_limit_closes.fetch_add(1, std::memory_order_relaxed);
  if (subscribed_) ++pool_.counters().pubsub_slow_closes;
  spdlog::warn("client {}: closed, {} bytes of replies unread ({})", client_.id,
               unsent + held_reply_bytes_,
               subscribed_ ? "client_output_buffer_limit_pubsub" : "client_output_buffer_limit");
  close();
}

void ClientSession::onStreamEnd(int status) {
  if (status == UV_EOF) {
    ++pool_.counters().client_eof;
    // A blocked client that hangs up is freed at once, as by Redis: its blocking command is
    // cancelled on the server (its connection closed), so nothing is popped for nobody.
    if (client_.mode == SessionMode::kBlocked) return close();
    // A client may shut down its write side and still read (`nc -N`, a pipeline sent then
    // SHUT_WR): as Redis does, it gets every reply it is owed, then the connection closes.
    // A write that fails meanwhile ends it with an error instead.
    return drain();
  }
  // One end per connection in the stats: a failed write after the client's EOF is not another.
  if (lifecycle_ != Lifecycle::kDraining) ++pool_.counters().client_err;
  close();
}

}  // namespace shardis::proxy
