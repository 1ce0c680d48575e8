// ServerConnection: one pipelined connection from a worker to one Redis server.
//
// Requests from many clients are written back to back; the connection keeps one InFlight
// entry per request in write order, and since Redis answers in order, the reply decoded next
// belongs to the entry at the front. An entry whose client went away stays in the queue with
// no target, so its reply is read and dropped; a reply with no entry at all means the stream
// is out of step, and the connection is closed.
//
// Owned by ServerPool (one object per server, worker and connection slot, alive as long as
// the worker); the object survives reconnects, only its Stream is replaced. On connect it
// sends AUTH, HELLO 3 (a RESP3 connection) and SELECT itself when configured and consumes
// their replies.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backoff.h"
#include "backend/reply_target.h"
#include "net/read_buffer.h"
#include "net/stream.h"
#include "net/timer.h"
#include "resp/encoder.h"
#include "resp/limits.h"
#include "resp/reply_decoder.h"

namespace shardis::net {
class Loop;
}

namespace shardis::backend {

// Where a server is, resolved once when the worker starts.
struct ServerEndpoint {
  std::string name;
  uint32_t index = 0;  // in the pool's server list (and ring members)
  bool is_unix = false;
  std::string unix_path;
  sockaddr_storage address{};
  std::string resolve_error;  // non-empty: the host name did not resolve
};

// What the proxy keeps for each request waiting for its reply besides the request's bytes
// (the client's PendingRequest and the connection's InFlight entry, with malloc's share).
// The queue limits count it, so that a pipeline of tiny requests is bounded too.
inline constexpr uint64_t kRequestOverhead = 256;

struct ConnectionSettings {
  std::string username;  // AUTH username password when set, else AUTH password
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT when non-zero
  // Bounds a connect with its AUTH and SELECT, and a health probe; <= 0: no bound. A client
  // request's bound is its own (send()).
  int64_t timeout_ms = -1;
  bool keepalive = false;
  resp::Limits limits;
  uint64_t queue_limit = 0;  // server_queue_limit; 0 = none
  // RESP3: the connection says HELLO 3 after AUTH, so that RESP3 clients' commands get the
  // server's typed replies.
  resp::Protocol protocol = resp::Protocol::kResp2;
  // Sentinel's masters: the handshake ends with ROLE, and a server that is not a master (a
  // demoted one, still reachable at the old address) fails the connection before anything
  // is written to it.
  bool expect_master = false;
};

// Why a connection closed, for the counters (twemproxy's server_timedout/eof/err).
enum class CloseCause : uint8_t { kTimeout, kEof, kError };

// Why a client request failed without its server's reply, for the pool's error counters.
enum class RequestFailure : uint8_t {
  kNotConnected,  // the connection it waited for could not be made: it did not run
  kTimeout,       // its timeout passed first (it may have run)
};

// A change of a connection's queues, in twemproxy's terms: in_queue holds requests waiting
// to be sent (queued while the connection is still being made), out_queue requests sent and
// awaiting their reply. Deltas, so that the counters stay O(1) per event.
struct QueueDelta {
  int64_t in_queue = 0;
  int64_t in_queue_bytes = 0;
  int64_t out_queue = 0;
  int64_t out_queue_bytes = 0;
};

// What a connection tells its pool about the server: health (down, ejection) and what the
// stats count. ServerPool implements it and passes the counting on to a ServerObserver.
// `cause` is plain text without the server's name ("Connection refused").
class ServerHealth {
 public:
  // The server looks down: a connection could not be made (refused, timed out, AUTH or
  // SELECT refused), or an open one broke with requests on it.
  virtual void onServerDown(uint32_t server, std::string_view cause) = 0;
  // One more failure in a row toward server_failure_limit: a down as above, or a timeout.
  virtual void onServerFailure(uint32_t server, std::string_view cause) = 0;
  virtual void onServerAnswered(uint32_t server) = 0;
  virtual void onRequestSent(uint32_t server, size_t bytes) = 0;
  virtual void onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) = 0;
  // A connection became ready (connected, and AUTH and SELECT accepted: the server is up), or
  // a ready one closed.
  virtual void onConnectionOpen(uint32_t server, bool open) = 0;
  virtual void onConnectionClosed(uint32_t server, CloseCause cause) = 0;
  virtual void onRequestFailed(uint32_t /*server*/, RequestFailure /*why*/) {}
  virtual void onQueueChanged(uint32_t /*server*/, const QueueDelta& /*delta*/) {}
  // A connection found a replica where a master was expected (ConnectionSettings).
  virtual void onWrongRole(uint32_t /*server*/) {}

 protected:
  ~ServerHealth() = default;
};

class ServerConnection;

// Told when a connection that was over its queue limit is back under half of it, or has
// failed (which answers everything queued on it with an error). ClientSession: a client is
// not read while a server connection it sent to is over the limit.
class QueueWaiter {
 public:
  virtual void onQueueRoom(ServerConnection& connection) = 0;

 protected:
  ~QueueWaiter() = default;
};

// Where a subscriber connection's pushes go (ServerPool::subscriber): what the server sends on
// its own (pub/sub messages, RESP3 pushes), answering no request.
class PushSink {
 public:
  // `push.raw` points into the connection's read buffer: valid only during the call.
  virtual void onPush(const resp::Reply& push) = 0;
  // The connection closed, and every subscription on it with it. `message` is an error
  // reply's text without '-' and CRLF.
  virtual void onSubscriberClosed(std::string_view message) = 0;

 protected:
  ~PushSink() = default;
};

class ServerConnection final : public net::StreamEvents {
 public:
  ServerConnection(net::Loop& loop, const ServerEndpoint& endpoint,
                   const ConnectionSettings& settings, ServerHealth& health);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Queues `request` (complete RESP bytes). Not connected, it connects now for the request,
  // whatever the backoff: a server that is back is used at once. False only when the connect
  // cannot even start (an unresolved host name): nothing is queued; reply with lastError().
  // `timeout_ms`: how long its reply may take from now, 0 for no limit (a blocking command);
  // callers pass the pool's timeout, plus how long the server may hold the request on purpose
  // (WAIT's timeout). A request cannot time out before one queued ahead of it.
  [[nodiscard]] bool send(std::string_view request, ReplyTarget* target, uint32_t part,
                          Ticket& ticket, uint64_t timeout_ms);
  void cancel(uint64_t sequence);
  // The error reply for a request refused without being sent:
  // "ERR server s1: not connected (retrying)".
  [[nodiscard]] const std::string& lastError() const { return not_connected_; }

  // Connects now if not connected and the backoff allows (preconnect, background redial).
  void connect();
  // Sends a PING, connecting first regardless of backoff (health probe of an ejected server,
  // and of a server that closed an idle connection).
  void probe();
  // Sends `command` (complete RESP bytes) as the connection's own request: its reply, an
  // error reply too, is read and dropped. What a lease's holder left on the server (a WATCH,
  // an open MULTI) is undone before any request queued after it. False when not connected:
  // nothing is sent.
  bool sendReset(std::string_view command);
  // The same, connecting first if need be (a tracking client's CLIENT TRACKING, sent again
  // after its connection was lost). False when the connect cannot even start.
  bool sendDropped(std::string_view command);
  // Subscriber mode: sends `command` (SUBSCRIBE, UNSUBSCRIBE ...), whose answers come as
  // pushes to the sink, connecting first if need be. False when the connect cannot even
  // start: nothing is sent, and the sink has heard onSubscriberClosed().
  bool sendPushed(std::string_view command);
  [[nodiscard]] size_t inFlight() const { return in_flight_.size(); }
  // Connected, and AUTH and SELECT accepted.
  [[nodiscard]] bool connected() const { return ready_; }
  // How many times this connection was closed (failed, timed out, shut down): whatever a
  // client left on the server over it (WATCH) is gone when this has moved.
  [[nodiscard]] uint64_t closes() const { return closes_; }
  [[nodiscard]] resp::Protocol protocol() const { return settings_.protocol; }
  // Subscriber mode: a reply that answers no request (none waiting, or a RESP3 push) goes to
  // `sink` instead of closing the connection as out of step. Null: shared or leased mode,
  // where a RESP3 push (which answers no request) is dropped.
  void setPushSink(PushSink* sink) { push_sink_ = sink; }
  // Closes the connection; requests still in flight get `message`.
  void shutdown(std::string_view message);

  // Backpressure: the bytes of the client requests queued here and not answered yet (each
  // with kRequestOverhead, whether still in the stream's output or sent), and whether they
  // reached settings.queue_limit. A waiter is told once, when they are back under half of
  // the limit or the connection fails; it must stop waiting before it goes away.
  [[nodiscard]] uint64_t queuedBytes() const;
  [[nodiscard]] bool full() const {
    return settings_.queue_limit != 0 && queuedBytes() >= settings_.queue_limit;
  }
  void waitForRoom(QueueWaiter& waiter) { waiters_.push_back(&waiter); }
  void stopWaiting(QueueWaiter& waiter);

  // net::StreamEvents
  uv_buf_t readBuffer(size_t suggested) override;
  void onRead(size_t nread) override;
  void onStreamEnd(int status) override;
  void onConnect(int status) override;

 private:
  enum class State : uint8_t { kDisconnected, kConnecting, kConnected };
  enum class Kind : uint8_t { kRequest, kAuth, kHello, kSelect, kRole, kProbe, kReset };
  // How a connection ended; decides what the pool hears and what its requests are told.
  enum class Ending : uint8_t {
    kNotConnected,  // the connect or its AUTH/SELECT failed: server down, nothing ran
    kLost,          // an open connection broke with requests on it: server down
    kTimeout,       // a request's deadline passed: this connection only
    kProtocol,      // the server sent bytes that are not RESP: this connection only
    kIdle,          // the server closed a connection with nothing on it
    kShutdown,      // the proxy is stopping
  };
  struct InFlight {
    ReplyTarget* target;
    uint32_t part;
    Kind kind;
    uint64_t deadline_ms;  // 0: no timeout
    uint64_t timeout_ms;   // what the deadline was made of, for the log
    uint64_t sent_ns;      // Loop::nowNs() when queued, for the round-trip histogram
    uint64_t bytes;        // a client request's size, for the counters; 0 for our own
  };

  bool startConnect();
  void queueInternal(Kind kind, std::string_view request);
  void push(InFlight entry);
  [[nodiscard]] bool handleReply(const resp::Reply& reply);
  [[nodiscard]] bool handleHandshake(const InFlight& entry, const resp::Reply& reply);
  void becomeReady();
  bool beginStream(std::string_view pending);
  void continueStream();
  void replyDone();
  void armTimer();
  void onTimer();
  // Closes the connection. `cause` (plain text) goes to the pool and the log, `reply` (an
  // error reply's text without '-' and CRLF) to every request still on the connection.
  void fail(Ending ending, std::string_view cause, std::string_view reply,
            CloseCause close_cause = CloseCause::kError);
  void failInFlight(Ending ending, const std::string& reply);
  void tellHealth(Ending ending, std::string_view cause, CloseCause close_cause);
  [[nodiscard]] std::string causeMessage(std::string_view cause) const;
  void queueChanged(const QueueDelta& delta);
  void dequeueSent(const InFlight& entry);
  void wakeWaiters();

  net::Loop& loop_;
  const ServerEndpoint& endpoint_;
  const ConnectionSettings& settings_;
  ServerHealth& health_;
  State state_ = State::kDisconnected;
  net::StreamPtr stream_;
  net::TimerPtr timer_;
  resp::ReplyDecoder decoder_;
  net::ReadBuffer read_;
  std::deque<InFlight> in_flight_;
  uint64_t first_sequence_ = 0;  // sequence number of in_flight_.front()
  // expect_master: requests sent before the handshake's ROLE answer, written once it says
  // master (their in-flight entries are queued already, behind the handshake's).
  std::string held_;
  Backoff backoff_;
  uint64_t retry_at_ms_ = 0;  // the next background redial of a down server
  const std::string not_connected_;
  uint32_t handshake_left_ = 0;  // AUTH/HELLO/SELECT replies still to come on this connection
  bool ready_ = false;           // connected and the handshake accepted
  bool probe_in_flight_ = false;
  bool answered_ = false;  // a client request got its reply since this connection was made
  uint64_t closes_ = 0;
  uint64_t stream_left_ = 0;   // bytes of the bulk reply being streamed still to come
  uint64_t stream_bytes_ = 0;  // its whole size, for the stats
  // What this connection adds to its server's in_queue/out_queue gauges (client requests
  // only), kept so that a failure can take back exactly its share.
  QueueDelta queued_;
  std::vector<QueueWaiter*> waiters_;  // clients not read until this queue has room
  PushSink* push_sink_ = nullptr;
};

}  // namespace shardis::backend
