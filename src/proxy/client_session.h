// ClientSession: one client connection, from the bytes it sends to the replies it gets back,
// in its order. Owns the client's Stream, a request cut by a read, and PendingQueue. The
// Worker creates it on accept and frees it (deferred, outside any of its callbacks) after it
// calls SessionOwner::retire(). See client_session.cc for the flow of one request.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/server_connection.h"
#include "net/stream.h"
#include "proxy/client_registry.h"
#include "proxy/command_handlers.h"
#include "proxy/fanout.h"
#include "proxy/local_commands.h"
#include "proxy/merger.h"
#include "proxy/output_limit.h"
#include "proxy/partial_request.h"
#include "proxy/pending_queue.h"
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
                            public backend::QueueWaiter {
 public:
  ClientSession(net::Loop& loop, net::Stream::Kind kind, uint64_t id, PoolRuntime& pool,
                SharedState& shared, SessionOwner& owner);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  net::Stream& stream() { return *stream_; }
  uint64_t id() const { return client_.id; }
  PoolRuntime& pool() { return pool_; }
  bool retired() const { return retired_; }
  // Starts reading requests (after the listener accepted into stream()).
  void start();
  // Shutdown: read nothing more, close once the replies already owed are written.
  void drain();
  // Closes now, cancelling whatever is still pending.
  void close();

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

  // The handlers of the commands that need the session (command_handlers.h), defined next to
  // what they call: client_session.cc (split, fan-out) and session_commands.cc (admin).
  struct RoutingHandlers;
  struct AdminHandlers;

 private:
  using Argv = std::span<const std::string_view>;

  size_t processInput(std::string_view input, resp::RequestDecoder& decoder);
  void protocolError(const resp::RequestDecoder& decoder);
  void dispatch(Argv argv, std::string_view raw, bool is_inline);
  void runLocal(const CommandEntry& entry, Argv argv);
  void runHandler(const CommandEntry& entry, Argv argv, std::string_view raw, bool is_inline);
  void forward(const CommandEntry& entry, command::Routing routing, Argv argv, std::string_view raw,
               bool is_inline);
  void sendTo(uint32_t server, std::string_view request);
  void split(const CommandEntry& entry, Argv argv);
  void fanOut(const CommandEntry& entry, Argv argv, std::string_view raw, bool is_inline,
              uint64_t hold_ms = 0);
  void wait(const CommandCall& call);
  void scan(Argv argv);
  // session_commands.cc
  void info(Argv argv);
  void noteAddresses();
  ClientEntry identity() const;
  void describe(const ClientEntry& entry, std::string& out) const;
  void clientList(Argv argv, std::string& out);
  void clientKill(Argv argv, std::string& out);
  void clientReply(Argv argv, std::string& out);
  void configGet(Argv argv, std::string& out);
  // Sends one request per part to parts[p]: the splitter's part p when given, else `request`
  // to each. `merger` makes the client's reply. `hold_ms`: how long each server may hold the
  // request on purpose (WAIT's timeout, see wait_limit.h).
  void sendParts(std::span<const uint32_t> parts, std::unique_ptr<Merger> merger,
                 std::string_view request, const Splitter* splitter = nullptr,
                 uint64_t hold_ms = 0);
  void replyError(std::string_view message);
  void reject(stats::ProxyError kind, std::string_view message);
  // Counts a reply written (or dropped by CLIENT REPLY) and logs it when slow, naming the
  // servers it went to.
  void recordReply(uint16_t command_id, uint64_t received_ns, bool rejected, std::string_view reply,
                   Argv argv = {}, std::span<const uint32_t> servers = {});
  void reply(std::string bytes, bool close_after = false);
  void writeCompleted();
  void hold(PendingRequest& request);
  void finishAfterWrites();
  // Tells the output limit, if any, what was handed to the stream.
  void noteOutput(size_t bytes, bool piece = false);
  void checkOutputLimit();
  size_t completePartial(std::string_view input);
  // Backpressure (client_queue_limit, server_queue_limit): session_backpressure.cc.
  PendingRequest& enqueue();
  void dequeued(const PendingRequest& request);
  void waitFor(backend::ServerConnection& connection);
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
  size_t held_reply_bytes_ = 0;
  std::unique_ptr<OutputLimit> output_limit_;  // null without client_output_buffer_limit
  // Backpressure: what the queue counts against client_queue_limit, and the server
  // connections over server_queue_limit that this client is not read for.
  uint64_t queued_bytes_ = 0;
  std::vector<backend::ServerConnection*> waiting_on_;
  size_t request_bytes_ = 0;  // the size of the request being dispatched
  // The request being dispatched, for the command stats of its reply.
  stats::CommandId command_id_ = 0;
  uint64_t received_ns_ = 0;
  bool rejected_ = false;
  bool silent_ = false;  // CLIENT REPLY OFF/SKIP: the request being dispatched gets no reply
  Argv dispatching_;     // the request being dispatched: its reply, if immediate, is logged whole
  bool reading_partial_ = false;   // the read in progress lands in partial_, not the scratch
  bool over_queue_limit_ = false;  // client_queue_limit reached, not yet back under half
  bool read_paused_ = false;       // stopped reading for backpressure
  bool closing_ = false;           // no more requests are read; retire() is called or coming
  bool draining_ = false;
  bool retired_ = false;
};

}  // namespace shardis::proxy
