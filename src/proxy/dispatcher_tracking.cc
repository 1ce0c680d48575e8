// The Dispatcher's client-side caching commands (client_tracking.h says how tracking works
// through the proxy):
//   CLIENT TRACKING          sent to every server over the client's own connections; +OK
//                            when every server accepted it, else the error they gave
//   CLIENT TRACKINGINFO,     answered by the client's connection to the first server, whose
//   GETREDIR, CACHING        state is every server's
// What a proxy cannot offer is refused up front: REDIRECT (its ids are the proxy's clients',
// not a server's), and OPTIN/OPTOUT (CLIENT CACHING applies to a connection's next command,
// which is on one server only). Every other error is the servers' own.
#include <memory>
#include <string>
#include <utility>

#include "command/ascii.h"
#include "proxy/dispatcher.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

constexpr std::string_view kNoRedirect =
    "ERR CLIENT TRACKING REDIRECT is not supported by this proxy (client ids are the proxy's, "
    "not a server's): use RESP3 (HELLO 3), which delivers invalidations as push messages";
constexpr std::string_view kNoOptIn =
    "ERR CLIENT TRACKING OPTIN and OPTOUT are not supported by this proxy (CLIENT CACHING "
    "reaches one server only): use the default mode or BCAST";

// What the proxy reads in CLIENT TRACKING's options: whether it refuses them (the servers
// judge everything else), and BCAST, which CLIENT LIST shows.
struct TrackingOptions {
  std::string_view refusal;
  bool bcast = false;
};

TrackingOptions readOptions(std::span<const std::string_view> options) {
  TrackingOptions read;
  for (size_t i = 0; i < options.size() && read.refusal.empty(); ++i) {
    std::string_view option = options[i];
    if (command::isKeyword(option, "redirect")) {
      read.refusal = kNoRedirect;
    } else if (command::isKeyword(option, "optin") || command::isKeyword(option, "optout")) {
      read.refusal = kNoOptIn;
    } else if (command::isKeyword(option, "bcast")) {
      read.bcast = true;
    } else if (command::isKeyword(option, "prefix")) {
      ++i;  // its argument is a prefix, not an option
    }
  }
  return read;
}

// Every server holds the same tracking state, so they answer alike: +OK, or the same error
// (a syntax error, PREFIX without BCAST ...), passed on as the server wrote it. A server that
// cannot be reached makes the reply its error.
class TrackingMerger final : public Merger {
 public:
  TrackingMerger(ClientTracking& tracking, std::string command, bool on, bool bcast)
      : tracking_(tracking), command_(std::move(command)), on_(on), bcast_(bcast) {}

  void onPartReply(uint32_t /*part*/, const resp::Reply& reply) override {
    if (resp::isError(reply) && error_.empty()) error_ = reply.raw;
  }
  void onPartFailure(uint32_t /*part*/, std::string_view message) override {
    if (error_.empty()) resp::appendError(error_, message);
  }
  void finish(std::string& reply) override {
    if (!error_.empty()) {
      reply = std::move(error_);
      return;
    }
    tracking_.accepted(command_, on_, bcast_);
    reply.clear();
    resp::appendStatus(reply, "OK");
  }

 private:
  ClientTracking& tracking_;
  std::string command_;
  bool on_;
  bool bcast_;
  std::string error_;
};

}  // namespace

void Dispatcher::clientTracking(CommandCall& call) {
  Request& request = call.request;
  TrackingOptions options = readOptions(request.argv.subspan(3));
  if (!options.refusal.empty()) return resp::appendError(call.out, options.refusal);
  bool on = command::isKeyword(request.argv[2], "on");
  // Turning off what was never on needs no connection of its own.
  if (!on && !tracking_) return askTrackingState(call);
  if (!tracking_) tracking_ = std::make_unique<ClientTracking>(session_);
  std::string error;
  if (!tracking_->leaseAll(pool_.serverPool(), pool_.every_server, client_.protocol, error)) {
    return resp::appendError(call.out, error);
  }
  call.answered = true;
  std::string bytes(serverBytes(request));
  auto merger = std::make_unique<TrackingMerger>(*tracking_, bytes, on, options.bcast);
  sendParts(request, pool_.every_server, std::move(merger), bytes);
}

void Dispatcher::askTrackingState(CommandCall& call) {
  call.answered = true;
  sendTo(call.request, pool_.every_server.front(), serverBytes(call.request));
}

struct Dispatcher::TrackingHandlers {
  static void tracking(CommandCall& call) { call.dispatcher->clientTracking(call); }
  static void state(CommandCall& call) { call.dispatcher->askTrackingState(call); }
};

namespace {
using Handlers = Dispatcher::TrackingHandlers;
// They send to servers and answer later: refused in MULTI.
constexpr NamedHandler kTrackingHandlers[] = {
    {"client|tracking", Handlers::tracking, false, true},
    {"client|trackinginfo", Handlers::state, false, true},
    {"client|getredir", Handlers::state, false, true},
    {"client|caching", Handlers::state, false, true},
};
}  // namespace

std::span<const NamedHandler> trackingHandlers() { return kTrackingHandlers; }

}  // namespace shardis::proxy
