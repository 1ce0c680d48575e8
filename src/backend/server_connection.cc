#include "backend/server_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <span>
#include <string>

#include "net/loop.h"
#include "resp/encoder.h"

namespace shardis::backend {

namespace {
// A bulk reply at least this large, not yet complete in the read buffer, is passed on to its
// client piece by piece instead of being collected first.
constexpr uint64_t kStreamBulkBytes = 1 << 20;

// libuv statuses are negated errno values on unix; strerror gives the wording clients know
// from Redis and from the shell ("Connection refused", "Connection reset by peer").
std::string statusText(int status) {
  if (status == UV_EOF) return "Connection closed by server";
  return std::strerror(-status);
}
}  // namespace

void Ticket::cancel() {
  if (connection != nullptr) connection->cancel(sequence);
  connection = nullptr;
}

ServerConnection::ServerConnection(net::Loop& loop, const ServerEndpoint& endpoint,
                                   const ConnectionSettings& settings, ServerHealth& health)
    : loop_(loop),
      endpoint_(endpoint),
      settings_(settings),
      health_(health),
      timer_(net::Timer::create(loop, [this] { onTimer(); })),
      decoder_(settings.limits),
      backoff_(reinterpret_cast<uintptr_t>(this) ^ loop.now()),
      not_connected_("ERR server " + endpoint.name + ": not connected (retrying)") {}

// Whoever owns a connection shuts it down first (ServerPool::shutdown, a returned lease), so
// that every request on it has had its answer.
ServerConnection::~ServerConnection() { assert(in_flight_.empty()); }

bool ServerConnection::send(std::string_view request, ReplyTarget* target, uint32_t part,
                            Ticket& ticket, uint64_t timeout_ms) {
  // A request never waits out the backoff of a down server: it dials (or rides on the dial in
  // progress), as twemproxy does, so a server that is back serves it at once. The backoff
  // paces only the redials that no request asked for.
  if (state_ == State::kDisconnected && !startConnect()) return false;
  // A server that must prove it is a master gets no request before its ROLE answer.
  if (settings_.expect_master && !ready_) {
    held_.append(request);
  } else {
    stream_->write(request);
  }
  const auto bytes = static_cast<int64_t>(request.size());
  push(InFlight{target, part, Kind::kRequest, 0, timeout_ms, 0, request.size()});
  // A connected stream flushes its batch at the end of this loop iteration, so the request
  // counts as sent; before the connect completes it waits in the stream's queue, and counts
  // as sent only once the connection is made (onConnect).
  if (state_ == State::kConnected) {
    health_.onRequestSent(endpoint_.index, request.size());
    queueChanged(QueueDelta{0, 0, 1, bytes});
  } else {
    queueChanged(QueueDelta{1, bytes, 0, 0});
  }
  ticket = Ticket{this, first_sequence_ + in_flight_.size() - 1};
  return true;
}

void ServerConnection::cancel(uint64_t sequence) {
  if (sequence < first_sequence_) return;
  uint64_t offset = sequence - first_sequence_;
  if (offset < in_flight_.size()) in_flight_[offset].target = nullptr;
}

void ServerConnection::connect() {
  if (state_ == State::kDisconnected && loop_.now() >= retry_at_ms_) (void)startConnect();
}

void ServerConnection::probe() {
  if (probe_in_flight_) return;
  if (state_ == State::kDisconnected && !startConnect()) return;
  queueInternal(Kind::kProbe, "*1\r\n$4\r\nPING\r\n");
  probe_in_flight_ = true;
}

bool ServerConnection::sendReset(std::string_view command) {
  if (state_ == State::kDisconnected) return false;
  queueInternal(Kind::kReset, command);
  return true;
}

bool ServerConnection::sendDropped(std::string_view command) {
  if (state_ == State::kDisconnected && !startConnect()) return false;
  queueInternal(Kind::kReset, command);
  return true;
}

bool ServerConnection::sendPushed(std::string_view command) {
  if (state_ == State::kDisconnected && !startConnect()) return false;
  stream_->write(command);
  return true;
}

void ServerConnection::shutdown(std::string_view message) {
  if (state_ != State::kDisconnected || !in_flight_.empty()) {
    fail(Ending::kShutdown, message, message);
  }
  timer_.reset();
}

bool ServerConnection::startConnect() {
  stream_ = net::Stream::create(
      loop_, endpoint_.is_unix ? net::Stream::Kind::kUnix : net::Stream::Kind::kTcp, this);
  state_ = State::kConnecting;
  answered_ = false;
  ready_ = false;
  handshake_left_ = 0;
  held_.clear();  // what a failed attempt held was failed with it
  read_.clear();
  decoder_.reset();
  if (!endpoint_.resolve_error.empty()) {
    fail(Ending::kNotConnected, endpoint_.resolve_error, not_connected_);
    return false;
  }
  if (endpoint_.is_unix) {
    stream_->connectUnix(endpoint_.unix_path);
  } else if (int status =
                 stream_->connectTcp(reinterpret_cast<const sockaddr*>(&endpoint_.address));
             status != 0) {
    fail(Ending::kNotConnected, statusText(status), not_connected_);
    return false;
  }
  // The handshake goes first in the stream, so every request queued behind it runs
  // authenticated, in its protocol and in the right database (AUTH before HELLO and SELECT,
  // or they are refused).
  if (!settings_.password.empty()) {
    std::string command;
    if (settings_.username.empty()) {
      std::array<std::string_view, 2> argv{"AUTH", settings_.password};
      resp::appendCommand(command, argv);
    } else {
      std::array<std::string_view, 3> argv{"AUTH", settings_.username, settings_.password};
      resp::appendCommand(command, argv);
    }
    queueInternal(Kind::kAuth, command);
    ++handshake_left_;
  }
  if (settings_.protocol == resp::Protocol::kResp3) {
    queueInternal(Kind::kHello, resp::helloRequest(resp::Protocol::kResp3));
    ++handshake_left_;
  }
  if (settings_.db != 0) {
    std::string db = std::to_string(settings_.db);
    std::array<std::string_view, 2> argv{"SELECT", db};
    std::string command;
    resp::appendCommand(command, argv);
    queueInternal(Kind::kSelect, command);
    ++handshake_left_;
  }
  if (settings_.expect_master) {
    queueInternal(Kind::kRole, "*1\r\n$4\r\nROLE\r\n");
    ++handshake_left_;
  }
  // The timer now bounds the connect, or nothing: a pending background redial is moot.
  if (timer_ && settings_.timeout_ms > 0) {
    timer_->start(static_cast<uint64_t>(settings_.timeout_ms));
  } else if (timer_) {
    timer_->stop();
  }
  return true;
}

void ServerConnection::queueInternal(Kind kind, std::string_view request) {
  stream_->write(request);
  const uint64_t timeout =
      settings_.timeout_ms > 0 ? static_cast<uint64_t>(settings_.timeout_ms) : 0;
  push(InFlight{nullptr, 0, kind, 0, timeout, 0, 0});
}

void ServerConnection::push(InFlight entry) {
  entry.sent_ns = loop_.nowNs();
  if (entry.timeout_ms > 0) {
    entry.deadline_ms = loop_.now() + entry.timeout_ms;
    // The server answers in order: nothing queued behind a held request (a WAIT, a blocking
    // command) can be answered before it, so nothing behind it times out before it does.
    if (!in_flight_.empty()) {
      const uint64_t ahead = in_flight_.back().deadline_ms;
      entry.deadline_ms = ahead == 0 ? 0 : std::max(entry.deadline_ms, ahead);
    }
  }
  in_flight_.push_back(entry);
  if (in_flight_.size() == 1 && state_ == State::kConnected) armTimer();
}

void ServerConnection::armTimer() {
  if (!timer_) return;
  if (in_flight_.empty() || in_flight_.front().deadline_ms == 0) {
    timer_->stop();
    return;
  }
  uint64_t now = loop_.now();
  uint64_t deadline = in_flight_.front().deadline_ms;
  timer_->start(deadline > now ? deadline - now : 1);
}

void ServerConnection::onTimer() {
  if (state_ == State::kDisconnected) {
    connect();  // the backoff after a failure has run out (see fail())
    return;
  }
  if (state_ == State::kConnecting) {
    fail(Ending::kNotConnected, "Connection timed out", not_connected_);
    return;
  }
  if (in_flight_.empty()) return;
  // No entry's deadline comes before the front's (push()); it covers the whole reply, however
  // much of it is still arriving.
  const uint64_t deadline = in_flight_.front().deadline_ms;
  if (deadline == 0 || deadline > loop_.now()) {
    armTimer();
    return;
  }
  // The late reply must never reach the request queued behind this one, so the connection
  // goes, and everything queued on it with it. The server is not marked down: the next
  // request connects again at once.
  std::string cause = "no reply within " + std::to_string(in_flight_.front().timeout_ms) + " ms";
  fail(Ending::kTimeout, cause, "ERR timeout waiting for server " + endpoint_.name,
       CloseCause::kTimeout);
}

void ServerConnection::queueChanged(const QueueDelta& delta) {
  queued_.in_queue += delta.in_queue;
  queued_.in_queue_bytes += delta.in_queue_bytes;
  queued_.out_queue += delta.out_queue;
  queued_.out_queue_bytes += delta.out_queue_bytes;
  health_.onQueueChanged(endpoint_.index, delta);
  if (!waiters_.empty() && queuedBytes() <= settings_.queue_limit / 2) wakeWaiters();
}

uint64_t ServerConnection::queuedBytes() const {
  auto requests = static_cast<uint64_t>(queued_.in_queue + queued_.out_queue);
  auto bytes = static_cast<uint64_t>(queued_.in_queue_bytes + queued_.out_queue_bytes);
  return bytes + requests * kRequestOverhead;
}

void ServerConnection::stopWaiting(QueueWaiter& waiter) {
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), &waiter), waiters_.end());
}

// The queue shrank to half its limit (hysteresis: clients are not stopped and started on
// every reply) or to nothing: every waiting client may be read again. A waiter only restarts
// its reads here, so none can wait again on this connection while the list is walked.
void ServerConnection::wakeWaiters() {
  std::vector<QueueWaiter*> waiters;
  waiters.swap(waiters_);
  for (QueueWaiter* waiter : waiters) waiter->onQueueRoom(*this);
}

void ServerConnection::dequeueSent(const InFlight& entry) {
  if (entry.kind != Kind::kRequest) return;
  queueChanged(QueueDelta{0, 0, -1, -static_cast<int64_t>(entry.bytes)});
}

std::string ServerConnection::causeMessage(std::string_view cause) const {
  std::string message = "ERR server ";
  message.append(endpoint_.name).append(": ").append(cause);
  return message;
}

void ServerConnection::fail(Ending ending, std::string_view cause, std::string_view reply,
                            CloseCause close_cause) {
  if (ready_) health_.onConnectionOpen(endpoint_.index, false);
  ++closes_;
  state_ = State::kDisconnected;
  ready_ = false;
  stream_.reset();
  if (timer_) timer_->stop();
  probe_in_flight_ = false;
  stream_left_ = 0;
  const bool down = ending == Ending::kNotConnected || ending == Ending::kLost;
  if (down) {
    // A down server is redialled on the backoff schedule without waiting for traffic, so
    // that its state (and /healthz) follows it; requests do not wait for these redials.
    retry_at_ms_ = loop_.now() + backoff_.nextDelayMs();
    if (timer_) timer_->start(std::max<uint64_t>(1, retry_at_ms_ - loop_.now()));
  }
  if (queued_.in_queue != 0 || queued_.out_queue != 0) {
    queueChanged(QueueDelta{-queued_.in_queue, -queued_.in_queue_bytes, -queued_.out_queue,
                            -queued_.out_queue_bytes});
  }
  // State is settled before any callback: the pool may probe, a target may send again or
  // cancel. `cause` and `reply` may point into what those calls change: copy them first.
  const std::string reply_text(reply);
  const std::string cause_text(cause);
  tellHealth(ending, cause_text, close_cause);
  failInFlight(ending, reply_text);
  if (push_sink_ != nullptr) {
    push_sink_->onSubscriberClosed(reply_text.empty() ? causeMessage(cause_text) : reply_text);
  }
}

// Each entry leaves the live queue before its target hears, so that a target cancelling a
// later entry (a client giving up the rest of its request) is seen when that entry's turn
// comes. Only the entries queued before the failure are failed: a target may send again
// (which dials anew and queues behind them), and a nested failure of that new connection
// fails what is left itself, moving first_sequence_ past `end`.
void ServerConnection::failInFlight(Ending ending, const std::string& reply) {
  const uint64_t end = first_sequence_ + in_flight_.size();
  while (first_sequence_ < end && !in_flight_.empty()) {
    const InFlight entry = in_flight_.front();
    in_flight_.pop_front();
    ++first_sequence_;
    if (entry.target == nullptr) continue;
    if (entry.kind == Kind::kRequest && ending == Ending::kNotConnected) {
      health_.onRequestFailed(endpoint_.index, RequestFailure::kNotConnected);
    } else if (entry.kind == Kind::kRequest && ending == Ending::kTimeout) {
      health_.onRequestFailed(endpoint_.index, RequestFailure::kTimeout);
    }
    entry.target->onFailure(entry.part, reply);
  }
}

// What the pool hears: a down server and a timeout count toward ejection; a protocol error
// is this connection's alone (its requests fail, the server is not held to account).
void ServerConnection::tellHealth(Ending ending, std::string_view cause, CloseCause close_cause) {
  switch (ending) {
    case Ending::kNotConnected:
    case Ending::kLost:
      health_.onConnectionClosed(endpoint_.index, close_cause);
      health_.onServerDown(endpoint_.index, cause);
      health_.onServerFailure(endpoint_.index, cause);
      break;
    case Ending::kTimeout:
      health_.onConnectionClosed(endpoint_.index, close_cause);
      health_.onServerFailure(endpoint_.index, cause);
      break;
    case Ending::kProtocol:
      spdlog::warn("server {}: {}; connection closed", endpoint_.name, cause);
      health_.onConnectionClosed(endpoint_.index, close_cause);
      break;
    case Ending::kIdle:
    case Ending::kShutdown:
      break;
  }
}

uv_buf_t ServerConnection::readBuffer(size_t /*suggested*/) {
  // The decoder keeps offsets, not pointers, so the unconsumed bytes may move.
  std::span<char> room = read_.room();
  return uv_buf_init(room.data(), static_cast<unsigned>(room.size()));
}

void ServerConnection::onRead(size_t nread) {
  read_.commit(nread);
  while (state_ == State::kConnected && !read_.empty()) {
    if (stream_left_ > 0) {
      continueStream();
      continue;
    }
    std::string_view pending = read_.pending();
    if (beginStream(pending)) continue;
    resp::Status status = decoder_.decode(pending);
    if (status == resp::Status::kNeedMore) break;
    if (status == resp::Status::kError) {
      std::string cause(decoder_.errorMessage());
      fail(Ending::kProtocol, cause, causeMessage(cause));
      return;
    }
    // Consuming moves no bytes: the reply's views stay valid through handleReply().
    read_.consume(decoder_.consumed());
    if (!handleReply(decoder_.reply())) return;
  }
  // A buffer grown for one huge reply is not kept for the life of the connection.
  read_.shrinkWhenEmpty(4 * net::ReadBuffer::kReadChunk);
}

// A reply starts at the front of the pending bytes whenever no stream is in progress; when it is a
// large bulk whose target can take it in pieces, the decoder is bypassed for it.
bool ServerConnection::beginStream(std::string_view pending) {
  if (pending.front() != '$' || in_flight_.empty()) return false;
  const InFlight& front = in_flight_.front();
  if (front.kind != Kind::kRequest || front.target == nullptr) return false;
  size_t line_end = pending.substr(0, 24).find("\r\n");
  // Up to 19 digits cannot overflow; a longer length is for the decoder to refuse.
  if (line_end == std::string_view::npos || line_end > 20) return false;
  uint64_t length = 0;
  for (char c : pending.substr(1, line_end - 1)) {
    if (c < '0' || c > '9') return false;  // "$-1" and garbage take the decoder's path
    length = length * 10 + static_cast<uint64_t>(c - '0');
  }
  uint64_t total = line_end + 2 + length + 2;
  if (length < kStreamBulkBytes || length > settings_.limits.max_bulk_len ||
      pending.size() >= total || !front.target->canStream(front.part)) {
    return false;
  }
  decoder_.reset();
  stream_left_ = total;
  stream_bytes_ = total;
  return true;
}

void ServerConnection::continueStream() {
  std::string_view pending = read_.pending();
  size_t size = static_cast<size_t>(std::min<uint64_t>(pending.size(), stream_left_));
  std::string_view chunk = pending.substr(0, size);
  read_.consume(size);
  stream_left_ -= size;
  InFlight& front = in_flight_.front();
  bool last = stream_left_ == 0;
  if (last) {
    InFlight entry = front;
    dequeueSent(entry);
    replyDone();
    health_.onReplyRead(endpoint_.index, (loop_.nowNs() - entry.sent_ns) / 1000, stream_bytes_);
    if (entry.target != nullptr) entry.target->onReplyChunk(entry.part, chunk, true);
    return;
  }
  // The deadline stays where it was: the timeout bounds the whole reply, so the requests
  // queued behind a reply that trickles in do not wait past theirs.
  if (front.target != nullptr) front.target->onReplyChunk(front.part, chunk, false);
}

void ServerConnection::replyDone() {
  in_flight_.pop_front();
  ++first_sequence_;
  armTimer();
  backoff_.reset();
  answered_ = true;
  health_.onServerAnswered(endpoint_.index);
}

bool ServerConnection::handleReply(const resp::Reply& reply) {
  // A RESP3 push answers no request: the sink's, or dropped when nobody listens for them.
  if (reply.type == resp::ReplyType::kPush || (push_sink_ != nullptr && in_flight_.empty())) {
    if (push_sink_ != nullptr) push_sink_->onPush(reply);
    return state_ == State::kConnected;
  }
  if (in_flight_.empty()) {
    fail(Ending::kProtocol, "reply with no request waiting", causeMessage("unexpected reply"));
    return false;
  }
  InFlight entry = in_flight_.front();
  in_flight_.pop_front();
  ++first_sequence_;
  armTimer();
  switch (entry.kind) {
    case Kind::kRequest:
      dequeueSent(entry);
      health_.onReplyRead(endpoint_.index, (loop_.nowNs() - entry.sent_ns) / 1000,
                          reply.raw.size());
      if (entry.target != nullptr) entry.target->onReply(entry.part, reply);
      answered_ = true;
      break;
    case Kind::kAuth:
    case Kind::kHello:
    case Kind::kSelect:
    case Kind::kRole:
      if (!handleHandshake(entry, reply)) return false;
      break;
    case Kind::kProbe:
      probe_in_flight_ = false;
      break;
    case Kind::kReset:
      // "-ERR DISCARD without MULTI" is an answer like any other: the connection is in step.
      break;
  }
  backoff_.reset();
  health_.onServerAnswered(endpoint_.index);
  return state_ == State::kConnected;
}

// An AUTH, HELLO 3 or SELECT refused fails the connection as a connect failure would: the server is
// unusable as configured. The requests queued behind get the server's own words, since a
// wrong password or database is for the operator to fix.
bool ServerConnection::handleHandshake(const InFlight& entry, const resp::Reply& reply) {
  if (resp::isError(reply)) {
    std::string cause(entry.kind == Kind::kAuth    ? "AUTH failed: "
                      : entry.kind == Kind::kHello ? "HELLO 3 failed: "
                      : entry.kind == Kind::kRole  ? "ROLE failed: "
                                                   : "SELECT failed: ");
    cause.append(reply.raw.substr(1, reply.raw.size() - 3));
    fail(Ending::kNotConnected, cause, causeMessage(cause));
    return false;
  }
  if (entry.kind == Kind::kRole) {
    std::vector<std::string_view> elements;
    std::optional<std::string_view> role;
    if (resp::arrayElements(reply.raw, elements) && !elements.empty()) {
      role = resp::stringValue(elements[0]);
    }
    if (role != "master") {
      const std::string cause =
          "ROLE says " + std::string(role.value_or("nothing readable")) + ", not master";
      health_.onWrongRole(endpoint_.index);
      fail(Ending::kNotConnected, cause, causeMessage(cause));
      return false;
    }
  }
  if (--handshake_left_ == 0) becomeReady();
  return true;
}

// The connection can serve: counted open, and the server is up again if it was down.
void ServerConnection::becomeReady() {
  ready_ = true;
  if (!held_.empty()) {
    stream_->write(held_);
    held_.clear();
    held_.shrink_to_fit();
  }
  health_.onConnectionOpen(endpoint_.index, true);
}

void ServerConnection::onStreamEnd(int status) {
  // A server closing an idle connection (its `timeout` setting) is not a failure.
  bool idle = in_flight_.empty();
  CloseCause cause = status == UV_EOF ? CloseCause::kEof : CloseCause::kError;
  std::string text = statusText(status);
  if (idle) {
    fail(Ending::kIdle, text, "");
  } else if (!ready_) {
    fail(Ending::kNotConnected, text, not_connected_, cause);
  } else {
    fail(Ending::kLost, text, causeMessage(text), cause);
  }
  // But a server that went away closes its idle connections too: a PING on a new connection
  // tells the two apart (a dying server may still accept it, so connecting is not enough).
  // Only after a connection that served a request, so that a server which drops every new
  // connection is not redialled in a loop, and an idle proxy in front of a server with
  // `timeout` set checks once, not every `timeout` seconds.
  if (idle && answered_) probe();
}

void ServerConnection::onConnect(int status) {
  if (status != 0) {
    fail(Ending::kNotConnected, statusText(status), not_connected_);
    return;
  }
  state_ = State::kConnected;
  // What waited for the connection is now on its way to the server.
  for (const InFlight& entry : in_flight_) {
    if (entry.kind == Kind::kRequest) health_.onRequestSent(endpoint_.index, entry.bytes);
  }
  if (queued_.in_queue != 0) {
    queueChanged(QueueDelta{-queued_.in_queue, -queued_.in_queue_bytes, queued_.in_queue,
                            queued_.in_queue_bytes});
  }
  stream_->setNoDelay(true);
  if (settings_.keepalive) stream_->setKeepAlive(true, 60);
  if (int read_status = stream_->startReading(); read_status != 0) {
    std::string text = statusText(read_status);
    fail(Ending::kNotConnected, text, not_connected_);
    return;
  }
  if (handshake_left_ == 0) becomeReady();
  armTimer();
}

}  // namespace shardis::backend
