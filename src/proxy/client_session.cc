// The path of one client request through the proxy:
//
//   client socket
//     │ bytes (into the worker's scratch buffer; a request cut by a read: its PartialRequest)
//     ▼
//   processInput ── RequestDecoder ──► argv views into those bytes
//     │                                   │ empty (blank line, *0): skipped
//     ▼                                   ▼
//   dispatch: resolve ─ unknown? ─ arity? ─ NOAUTH? ─► an error reply now
//     │
//     ├─ kLocal ───► runSessionCommand / runLocalCommand ─► reply now (INFO: fan-out below)
//     ├─ kPinned/kUnsupported ───────────────────────────► refusal now
//     ├─ kAllServers ─► fanOut (raw bytes to every server) / scan (one server, its cursor) ─┐
//     └─ keys ─► Router ─► one server ─► sendTo: PendingQueue.push ─► ServerConnection::send│
//                   ├─ CROSSSLOT ─► error reply now  (original bytes)       │              │
//                   └─ split ─► Splitter: one sub-command per server ─► sendParts ◄────────┘
//                                                                           │ reply / failure
//                                 PendingRequest::onReply ◄─────────────────┘ per part
//                                   │ one part: the raw reply (or written at once)
//                                   │ several: its Merger (merger.h) builds the reply
//                                   ▼
//   client socket ◄── Stream::write (batched) ◄── writeCompleted: done entries, from the
//                                                 front only, so replies keep request order
//
// A reply known at once is written directly when nothing is pending, else queued behind the
// requests sent before it. The session never frees itself: it asks the Worker to (retire),
// and the Worker does it outside every callback.
#include "proxy/client_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <new>
#include <optional>
#include <utility>

#include "net/loop.h"
#include "proxy/fanout.h"
#include "proxy/shared_state.h"
#include "proxy/wait_limit.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {
bool isLaterClientSubcommand(std::span<const std::string_view> argv) {
  auto is = [](std::string_view word, std::string_view lower) {
    return word.size() == lower.size() &&
           std::equal(word.begin(), word.end(), lower.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  };
  if (argv.size() < 2 || !is(argv[0], "client")) return false;
  return (is(argv[1], "setinfo") && argv.size() == 4) ||
         (is(argv[1], "no-touch") && argv.size() == 3);
}
}  // namespace

ClientSession::ClientSession(net::Loop& loop, net::Stream::Kind kind, uint64_t id,
                             PoolRuntime& pool, SharedState& shared, SessionOwner& owner)
    : loop_(loop),
      pool_(pool),
      shared_(shared),
      owner_(owner),
      stream_(net::Stream::create(loop, kind, this)),
      queue_(*this, pool.worker.pendingFreeList()) {
  client_.id = id;
  client_.authenticated = pool.config.redis_auth.empty();
  const config::OutputBufferLimit& limit = shared.config.process.client_output_buffer_limit;
  if (OutputLimit::enabled(limit)) output_limit_ = std::make_unique<OutputLimit>(limit);
}

ClientSession::~ClientSession() {
  forgetQueueWaits();
  queue_.cancelAll();
}

void ClientSession::start() {
  stream_->setNoDelay(true);
  if (pool_.config.tcpkeepalive) stream_->setKeepAlive(true, 60);
  noteAddresses();
  if (stream_->startReading() != 0) close();
}

void ClientSession::drain() {
  if (closing_) return;
  draining_ = true;
  stream_->stopReading();
  if (queue_.empty()) finishAfterWrites();
}

void ClientSession::close() {
  if (retired_) return;
  closing_ = true;
  retired_ = true;
  forgetQueueWaits();
  queue_.cancelAll();
  stream_.reset();
  owner_.retire(*this);
}

void ClientSession::finishAfterWrites() {
  if (retired_) return;
  closing_ = true;
  retired_ = true;
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
  if (partial_ && !closing_) {
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
  if (closing_) return;  // after QUIT or a protocol error: dropped
  if (partial_) {
    input.remove_prefix(completePartial(input));
    if (partial_ || retired_ || closing_) return;
  }
  resp::RequestDecoder& decoder = pool_.worker.requestDecoder();
  size_t used = processInput(input, decoder);
  if (!retired_ && !closing_ && used < input.size()) {
    // The cut request's state goes with its bytes, copied: the worker's decoder keeps its
    // grown argument vectors for the other clients, and starts over.
    partial_ = std::make_unique<PartialRequest>(decoder, input.substr(used));
  }
  decoder.reset();
}

// Gives the cut request the start of `input` that belongs to it, piece by piece, until it
// is complete; returns the bytes of `input` it took. Complete (dispatched, or refused as a
// protocol error), it is freed, and the rest of `input` is decoded as usual.
size_t ClientSession::completePartial(std::string_view input) {
  size_t used = 0;
  while (true) {
    size_t done = processInput(partial_->bytes(), partial_->decoder());
    if (retired_) return input.size();
    if (done != 0 || closing_) break;
    if (used == input.size()) return used;
    used += partial_->take(input.substr(used));
  }
  partial_.reset();
  return used;
}

// Decodes and dispatches every complete request in `input`; returns the bytes consumed.
size_t ClientSession::processInput(std::string_view input, resp::RequestDecoder& decoder) {
  size_t used = 0;
  while (!closing_ && used < input.size()) {
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
    request_bytes_ = raw.size();
    dispatching_ = decoder.argv();
    dispatch(decoder.argv(), raw, decoder.isInline());
    dispatching_ = {};
  }
  return used;
}

// As Redis does: say what was wrong, then hang up once the earlier replies are out.
void ClientSession::protocolError(const resp::RequestDecoder& decoder) {
  shared_.protocol_error_closes.fetch_add(1, std::memory_order_relaxed);
  pool_.counters().countError(stats::ProxyError::kProtocol);
  command_id_ = stats::unknownCommandId();
  received_ns_ = loop_.nowNs();
  rejected_ = true;
  request_bytes_ = 0;
  std::string bytes;
  resp::appendError(bytes, "ERR " + std::string(decoder.errorMessage()));
  reply(std::move(bytes), true);
}

void ClientSession::dispatch(Argv argv, std::string_view raw, bool is_inline) {
  const command::CommandSpec* spec = command::resolve(argv);
  if (pool_.worker.counting()) ++pool_.counters().requests;
  command_id_ = stats::commandId(spec);
  received_ns_ = loop_.nowNs();
  rejected_ = false;
  silent_ = client_.replies_off || client_.skip_next;
  client_.skip_next = false;
  client_.last_active_ms = received_ns_ / 1000000;
  if (spec == nullptr && isLaterClientSubcommand(argv)) {
    // CLIENT SETINFO and NO-TOUCH came with Redis 7.2; redis-py sends SETINFO on connect.
    // Like every command that is not flagged no-auth, they need AUTH first.
    if (!client_.authenticated) {
      return reject(stats::ProxyError::kAuth, "NOAUTH Authentication required.");
    }
    std::string ok;
    resp::appendStatus(ok, "OK");
    return reply(std::move(ok));
  }
  if (spec == nullptr) return reject(stats::ProxyError::kUnsupported, unknownCommandError(argv));
  if (!command::arityOk(*spec, argv.size())) {
    return reject(stats::ProxyError::kUnsupported,
                  "ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
  }
  if (!client_.authenticated && !allowedBeforeAuth(*spec)) {
    return reject(stats::ProxyError::kAuth, "NOAUTH Authentication required.");
  }
  client_.last_command = spec->name;
  command::Routing routing = command::routingOf(*spec, argv);
  switch (routing) {
    case command::Routing::kLocal:
      return runLocal(*spec, argv);
    case command::Routing::kUnsupported:
      if (spec->unsupported_reason.empty()) {
        return reject(stats::ProxyError::kUnsupported, notSupportedError(spec->name));
      }
      return reject(stats::ProxyError::kUnsupported,
                    "ERR " + std::string(spec->unsupported_reason));
    case command::Routing::kPinned:
      return reject(stats::ProxyError::kUnsupported, notSupportedError(spec->name));
    case command::Routing::kAllServers:
      if (spec->name == "scan") return scan(argv);
      return fanOut(*spec, argv, raw, is_inline);
    case command::Routing::kSingleKey:
    case command::Routing::kSameServerKeys:
    case command::Routing::kSplit:
      return forward(*spec, routing, argv, raw, is_inline);
  }
}

void ClientSession::runLocal(const command::CommandSpec& spec, Argv argv) {
  if (runSessionCommand(spec, argv)) return;
  std::string bytes;
  if (!runLocalCommand(spec, argv, pool_.config, client_, bytes)) {
    return reject(stats::ProxyError::kUnsupported, notSupportedError(spec.name));
  }
  if (spec.name == "client|setname" || spec.name == "hello" || spec.name == "reset") {
    shared_.registry.rename(client_.id, client_.name);
  }
  reply(std::move(bytes), client_.quit);
}

void ClientSession::forward(const command::CommandSpec& spec, command::Routing routing, Argv argv,
                            std::string_view raw, bool is_inline) {
  Route route = pool_.router.route(spec, routing, argv, pool_);
  if (route.kind == Route::Kind::kError) {
    bool crossed = route.error.starts_with("CROSSSLOT");
    if (crossed) pool_.counters().countError(stats::ProxyError::kCrossSlot);
    rejected_ = crossed;
    return replyError(route.error);
  }
  if (shared_.config.process.hotkeys && pool_.worker.counting()) {
    for (uint32_t i : pool_.router.keyIndexes())
      pool_.worker.stats().recordKey(pool_.index, argv[i]);
  }
  if (route.kind == Route::Kind::kSeveralServers) return split(spec, argv);
  if (is_inline) {
    // Inline requests follow Redis's quoting rules; the server gets the decoded arguments.
    pool_.request_scratch.clear();
    resp::appendCommand(pool_.request_scratch, argv);
    raw = pool_.request_scratch;
  }
  sendTo(route.server, raw);
}

void ClientSession::sendTo(uint32_t server, std::string_view request) {
  PendingRequest& pending = enqueue();
  pending.expect(1);
  pending.silent = silent_;
  pending.command_id = command_id_;
  pending.received_ns = received_ns_;
  pending.server = server;
  backend::ServerConnection& connection = pool_.servers.connectionFor(server, client_.id);
  if (!connection.send(request, &pending, 0, pending.ticket(0))) {
    pool_.counters().countError(stats::ProxyError::kBackendDown);
    pending.onFailure(0, connection.lastError());
  } else if (connection.full()) {
    waitFor(connection);
  }
}

// A request on several servers rides on the same connections as the client's single-server
// requests, so each part keeps its order with them (a client reads its own writes).
void ClientSession::sendParts(std::span<const uint32_t> parts, std::unique_ptr<Merger> merger,
                              std::string_view request, const Splitter* splitter,
                              uint64_t hold_ms) {
  PendingRequest& pending = enqueue();
  pending.expect(static_cast<uint32_t>(parts.size()), std::move(merger));
  pending.silent = silent_;
  pending.command_id = command_id_;
  pending.received_ns = received_ns_;
  pending.part_servers.assign(parts.begin(), parts.end());
  // A part refused at once completes synchronously; only the last one can complete the
  // request (and pop it), so `pending` is not touched after the loop.
  for (uint32_t p = 0; p < parts.size(); ++p) {
    backend::ServerConnection& connection = pool_.servers.connectionFor(parts[p], client_.id);
    if (!connection.send(splitter != nullptr ? splitter->partRequest(p) : request, &pending, p,
                         pending.ticket(p), hold_ms)) {
      pool_.counters().countError(stats::ProxyError::kBackendDown);
      pending.onFailure(p, connection.lastError());
    } else if (connection.full()) {
      waitFor(connection);
    }
  }
}

// MGET, MSET, DEL ... whose keys landed on several servers: one sub-command per server.
void ClientSession::split(const command::CommandSpec& spec, Argv argv) {
  MergeKind kind{};
  if (!mergeKindOf(spec.name, kind)) {
    return reject(stats::ProxyError::kUnsupported, severalServersError(spec.name));
  }
  Splitter& splitter = pool_.splitter;
  if (!splitter.split(argv, pool_.router.keyIndexes(), pool_.router.keyServers(),
                      pool_.servers.serverCount())) {
    spdlog::warn("client {}: out of memory splitting a {} over servers", client_.id, spec.name);
    return replyError(kOutOfMemoryError);
  }
  ++pool_.counters().split_commands;
  pool_.counters().fragments += splitter.parts();
  sendParts(splitter.partServers(),
            makeMerger(kind, pool_, splitter.partServers(), splitter.keyParts()), {}, &splitter);
  splitter.releaseLarge();  // the connections copied their parts
}

// Whole-keyspace commands: the request as it came, to every server of the pool.
void ClientSession::fanOut(const command::CommandSpec& spec, Argv argv, std::string_view raw,
                           bool is_inline) {
  MergeKind kind{};
  if (!mergeKindOf(spec.name, kind)) {
    return reject(stats::ProxyError::kUnsupported, severalServersError(spec.name));
  }
  uint64_t hold_ms = 0;
  if (spec.name == "wait") {
    WaitCheck wait = checkWait(argv, pool_.config.timeout_ms);
    if (wait.verdict == WaitCheck::Verdict::kRefused) {
      return reject(stats::ProxyError::kUnsupported, wait.error);
    }
    if (wait.verdict == WaitCheck::Verdict::kBadArgument) return replyError(wait.error);
    hold_ms = wait.timeout_ms;
  }
  if (is_inline) {
    pool_.request_scratch.clear();
    resp::appendCommand(pool_.request_scratch, argv);
    raw = pool_.request_scratch;
  }
  sendParts(pool_.every_server, makeMerger(kind, pool_, pool_.every_server), raw, nullptr, hold_ms);
}

// SCAN: the client's cursor names the server to ask and that server's own cursor.
void ClientSession::scan(Argv argv) {
  std::optional<ScanCursor> cursor = ScanCursor::decode(argv[1], pool_.servers.serverCount());
  if (!cursor) {
    rejected_ = true;
    return replyError("ERR invalid cursor");
  }
  std::array<char, 24> digits{};
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), cursor->cursor);
  std::vector<std::string_view>& args = pool_.argv_scratch;
  args.assign(argv.begin(), argv.end());
  args[1] = std::string_view(digits.data(), static_cast<size_t>(end - digits.data()));
  pool_.request_scratch.clear();
  resp::appendCommand(pool_.request_scratch, args);
  uint32_t server = cursor->server;
  sendParts(std::span<const uint32_t>(&server, 1), makeScanMerger(pool_, server),
            pool_.request_scratch);
}

void ClientSession::reject(stats::ProxyError kind, std::string_view message) {
  pool_.counters().countError(kind);
  rejected_ = true;
  replyError(message);
}

// Redis's commandstats rule: a rejected call counts only as rejected; a call that ran counts,
// and as failed when its reply is an error.
void ClientSession::recordReply(uint16_t command_id, uint64_t received_ns, bool rejected,
                                std::string_view reply, Argv argv,
                                std::span<const uint32_t> servers) {
  uint64_t duration_us = (loop_.nowNs() - received_ns) / 1000;
  stats::SlowLog& slowlog = shared_.slowlog(pool_.index);
  // As Redis, only commands that ran: not one refused before (unknown, arity, NOAUTH ...).
  if (!rejected && slowlog.slower(duration_us)) {
    // The request's arguments are gone by the time a server's reply arrives: the slow log
    // then names the command only.
    std::string_view name = stats::commandName(command_id);
    const command::CommandSpec* spec = command::lookup(name);
    if (argv.empty()) argv = Argv(&name, 1);
    // Redis leaves out the commands flagged skip_slowlog (EXEC ...); the log redacts
    // secrets (AUTH, HELLO AUTH ...) itself.
    if (spec == nullptr || !spec->hasFlag(command::kSkipSlowlog)) {
      std::vector<std::string_view> names;  // the slow path only
      names.reserve(servers.size());
      for (uint32_t server : servers) names.push_back(pool_.servers.serverName(server));
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

void ClientSession::replyError(std::string_view message) {
  std::string bytes;
  resp::appendError(bytes, message);
  reply(std::move(bytes));
}

void ClientSession::reply(std::string bytes, bool close_after) {
  if (queue_.empty() && !close_after) {
    recordReply(command_id_, received_ns_, rejected_, bytes, dispatching_);
    if (silent_) return;
    const size_t size = bytes.size();
    stream_->write(std::move(bytes));
    noteOutput(size);
    checkOutputLimit();
    return;
  }
  PendingRequest& pending = enqueue();
  pending.complete(std::move(bytes));
  pending.command_id = command_id_;
  pending.received_ns = received_ns_;
  pending.rejected = rejected_;
  pending.silent = silent_;
  if (close_after) {
    pending.setCloseAfter();
    // Nothing after QUIT or a protocol error is processed, or kept: it is still read (and
    // dropped), so the close that follows is a FIN, not a reset over unread bytes.
    closing_ = true;
    resumeReading();
  }
  if (&pending != &queue_.front()) return hold(pending);
  writeCompleted();
}

void ClientSession::onRequestComplete(PendingRequest& request) {
  if (retired_) return;
  if (&request != &queue_.front()) return hold(request);
  writeCompleted();
}

bool ClientSession::writeNow(PendingRequest& request, std::string_view bytes) {
  if (retired_ || &request != &queue_.front()) return false;
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
  recordReply(request.command_id, request.received_ns, request.rejected, bytes, {},
              request.servers());
  return true;
}

bool ClientSession::canWriteNow(PendingRequest& request) {
  return !retired_ && &request == &queue_.front();
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
  while (!retired_ && queue_.frontDone()) {
    PendingRequest& front = queue_.front();
    held_reply_bytes_ -= front.heldBytes();
    if (!front.written) {
      recordReply(front.command_id, front.received_ns, front.rejected, front.reply(), {},
                  front.servers());
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
  if (retired_) return;
  if (draining_ && queue_.empty()) return finishAfterWrites();
  checkOutputLimit();
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
  spdlog::warn("client {}: closed, {} bytes of replies unread (client_output_buffer_limit)",
               client_.id, unsent + held_reply_bytes_);
  close();
}

void ClientSession::onStreamEnd(int status) {
  if (status == UV_EOF) {
    ++pool_.counters().client_eof;
    // A client may shut down its write side and still read (`nc -N`, a pipeline sent then
    // SHUT_WR): as Redis does, it gets every reply it is owed, then the connection closes.
    // A write that fails meanwhile ends it with an error instead.
    return drain();
  }
  // One end per connection in the stats: a failed write after the client's EOF is not another.
  if (!draining_) ++pool_.counters().client_err;
  close();
}

}  // namespace shardis::proxy
