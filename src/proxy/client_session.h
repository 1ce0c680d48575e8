// ClientSession: one client connection, from the bytes it sends to the replies it gets back,
// in its order. It is the connection part: it owns the client's Stream, a request cut by a read
// (PartialRequest), the PendingQueue of replies owed, the output limit and the backpressure,
// and it writes completed replies in request order. What a request does is the Dispatcher's
// (dispatcher.h), which it owns with the client's ClientState (client_state.h); it implements
// the AdminHost the admin commands see (admin_commands.h). The Worker creates it on accept and
// frees it (deferred, outside any of its callbacks) after it calls SessionOwner::retire(). See
// client_session.cc for the flow of one request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "net/stream.h"
#include "proxy/admin_commands.h"
#include "proxy/client_registry.h"
#include "proxy/client_state.h"
#include "proxy/dispatcher.h"
#include "proxy/output_limit.h"
#include "proxy/partial_request.h"
#include "proxy/pending_queue.h"
#include "proxy/request.h"
#include "resp/request_decoder.h"
#include "stats/command_index.h"
#include "stats/counters.h"

namespace shardis::net {
class Loop;
}

namespace shardis::proxy {

struct PoolRuntime;
struct SharedState;
class ClientSession;

class SessionOwner {
 public:
  // The session is finished: its stream is closed or closing, its requests cancelled.
  virtual void retire(ClientSession& session) = 0;

 protected:
  ~SessionOwner() = default;
};

class ClientSession final : public net::StreamEvents,
                            public CompletionListener,
                            public backend::QueueWaiter,
                            public AdminHost,
                            public HangupCheck {
 public:
  ClientSession(net::Loop& loop, net::Stream::Kind kind, uint64_t id, PoolRuntime& pool,
                SharedState& shared, SessionOwner& owner);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  net::Stream& stream() { return *stream_; }
  [[nodiscard]] uint64_t id() const { return client_.id; }
  PoolRuntime& pool() { return pool_; }
  [[nodiscard]] bool retired() const { return lifecycle_ == Lifecycle::kRetired; }
  // Starts reading requests (after the listener accepted into stream()).
  void start();
  // Shutdown: read nothing more, close once the replies already owed are written.
  void drain();
  // Closes now, cancelling whatever is still pending.
  void close();

  // For the Dispatcher: the reply to `request`, written now when nothing is owed before it,
  // else queued in order; `close_after` (QUIT, a protocol error) closes once it is written.
  void reply(const Request& request, std::string bytes, bool close_after = false);
  // A queue entry for a request sent to servers (counted against client_queue_limit).
  PendingRequest& enqueue(const Request& request);
  // The client is not read until `connection` has room (server_queue_limit).
  void waitFor(backend::ServerConnection& connection);
  // Whether every request dispatched so far has had its reply written.
  [[nodiscard]] bool nothingOwed() const { return queue_.empty(); }
  // Dispatches nothing more until every reply owed is written: the request being dispatched
  // (when it was not) and the input after it wait (session_input_hold.cc).
  // For a request on a connection of its own (EXEC, WATCH), which must run after the client's
  // earlier requests and before its later ones, as from one Redis connection.
  void holdInput();
  // A pub/sub message for this client: written now, or after the replies still owed.
  void deliverPush(std::string_view frame);
  // The client entered (or left) subscribed mode: its mode, and the output limit of Redis's
  // pubsub class (client_output_buffer_limit_pubsub) instead of the normal one.
  void setSubscribed(bool subscribed);

  // net::StreamEvents
  uv_buf_t readBuffer(size_t suggested) override;
  void onRead(size_t nread) override;
  void onStreamEnd(int status) override;
  // CompletionListener
  void onRequestComplete(PendingRequest& request) override;
  bool writeNow(PendingRequest& request, std::string_view reply) override;
  bool canWriteNow(PendingRequest& request) override;
  void writePiece(PendingRequest& request, std::string_view bytes) override;
  void onReplyBroken(PendingRequest& request) override;
  // backend::QueueWaiter
  void onQueueRoom(backend::ServerConnection& connection) override;
  // HangupCheck
  bool clientHungUp() override {
    return kill_requested_.load() || retired() || !stream_ || stream_->peerHungUp();
  }
  // AdminHost (session_admin.cc)
  ClientRegistry& registry() override;
  stats::SlowLog& slowlog() override;
  [[nodiscard]] const config::Process& process() const override;
  [[nodiscard]] uint32_t poolIndex() const override;
  bool servedHere(const KillSink* owner) const override;
  void forEachLocalClient(const ClientVisit& visit) override;
  [[nodiscard]] ClientEntry identity() const override;
  [[nodiscard]] ClientActivity activity() const override;
  void info(Request& request, uint32_t sections) override;
  void hello(Request& request) override;
  [[nodiscard]] std::string_view serversVersion() const override;

 private:
  // Where the connection is in its life. Each state only moves forward.
  enum class Lifecycle : uint8_t {
    kOpen,      // requests are read and dispatched
    kDraining,  // shutdown or the client's EOF: reading stopped, the replies owed still go out
    kClosing,   // after QUIT or a protocol error: reads are dropped, the replies owed go out
    kRetired,   // retire() was called: nothing more happens
  };
  // No request is dispatched any more (a read is dropped).
  [[nodiscard]] bool readsDropped() const {
    return lifecycle_ == Lifecycle::kClosing || lifecycle_ == Lifecycle::kRetired;
  }

  size_t processInput(std::string_view input, resp::RequestDecoder& decoder);
  void protocolError(const resp::RequestDecoder& decoder);
  void noteAddresses();
  // Counts a reply written (or dropped by CLIENT REPLY) and logs it when slow, naming the
  // servers it went to.
  void recordReply(uint16_t command_id, uint64_t received_ns, bool rejected, std::string_view reply,
                   std::span<const std::string_view> argv = {},
                   std::span<const uint32_t> servers = {});
  // The same for a queued request's reply, with what the request kept of itself.
  void recordAnswer(const PendingRequest& request, std::string_view reply);
  void writeCompleted();
  void hold(PendingRequest& request);
  void finishAfterWrites();
  // Tells the output limit, if any, what was handed to the stream.
  void noteOutput(size_t bytes, bool piece = false);
  void checkOutputLimit();
  size_t completePartial(std::string_view input);
  void keepUndispatched(std::string_view rest, const resp::RequestDecoder& decoder);
  // The input not dispatched because of holdInput(): kept until the replies owed are written.
  void keepHeld(std::string_view first, std::string_view rest = {});
  // While input is held the client is still read, as Redis reads a blocked client, so that
  // its hang-up is seen; what it sends is kept, up to client_queue_limit.
  void keepReadWhileHeld(std::string_view input);
  [[nodiscard]] bool heldTooMuch() const;
  void releaseHeldInput();
  // Backpressure (client_queue_limit, server_queue_limit): session_backpressure.cc.
  void dequeued(const PendingRequest& request);
  void forgetQueueWaits();
  void pauseReading();
  void resumeReading();

  net::Loop& loop_;
  PoolRuntime& pool_;
  SharedState& shared_;
  SessionOwner& owner_;
  net::StreamPtr stream_;
  // A request cut by the end of a read, with its bytes and decoder state. Null otherwise:
  // input that starts at a request boundary is decoded by the worker's decoder.
  std::unique_ptr<PartialRequest> partial_;
  PendingQueue queue_;
  ClientState client_;
  Dispatcher dispatcher_;
  size_t held_reply_bytes_ = 0;
  std::unique_ptr<OutputLimit> output_limit_;  // null when the client's class has no limit
  bool subscribed_ = false;                    // the output limit is the pubsub class's
  // Backpressure: what the queue counts against client_queue_limit, and the server
  // connections over server_queue_limit that this client is not read for.
  uint64_t queued_bytes_ = 0;
  std::vector<backend::ServerConnection*> waiting_on_;
  bool reading_partial_ = false;   // the read in progress lands in partial_, not the scratch
  bool over_queue_limit_ = false;  // client_queue_limit reached, not yet back under half
  bool read_paused_ = false;       // stopped reading for backpressure
  bool input_held_ = false;        // holdInput(): nothing dispatched until the queue empties
  bool release_scheduled_ = false;
  std::unique_ptr<std::string> held_input_;  // what holdInput() left undispatched
  Lifecycle lifecycle_ = Lifecycle::kOpen;
  // CLIENT KILL from any thread sets it (ClientEntry::kill_requested) before this worker
  // closes the session.
  std::atomic<bool> kill_requested_{false};
  // subscribed_, for the other workers' CLIENT LIST TYPE and CLIENT KILL TYPE
  // (ClientEntry::subscribed).
  std::atomic<bool> subscribed_flag_{false};
};

}  // namespace shardis::proxy
