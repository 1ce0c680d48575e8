#include "proxy/client_tracking.h"

#include <utility>

#include "proxy/client_session.h"

namespace shardis::proxy {

namespace {

constexpr std::string_view kTrackingOff = "*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$3\r\noff\r\n";
// What Redis pushes when every key must go (FLUSHALL): an invalidation of null.
constexpr std::string_view kInvalidateAll = ">2\r\n$10\r\ninvalidate\r\n_\r\n";

}  // namespace

ClientTracking::~ClientTracking() {
  // The client's requests were cancelled before its dispatcher goes; the connections hold
  // tracking state, so they close.
  for (Link& link : links_) {
    if (link.lease) {
      link.lease.connection().setPushSink(nullptr);
      link.lease.release(backend::LeaseEnd::kAbandoned);
    }
  }
}

bool ClientTracking::leaseAll(backend::ServerPool& pool, std::span<const uint32_t> live,
                              resp::Protocol protocol, std::string& error) {
  if (!links_.empty() && protocol == protocol_) return true;
  // By slot; only the live servers' links hold a lease.
  std::vector<Link> links(pool.serverCount());
  for (uint32_t server : live) {
    links[server].lease = pool.lease(server, protocol);
    if (!links[server].lease) {
      error = "ERR max_leased_connections reached for server " + pool.serverName(server);
      // Nothing was sent on the leases taken so far: they serve the next holder.
      for (Link& taken : links) {
        if (taken.lease) taken.lease.release(backend::LeaseEnd::kClean);
      }
      return false;
    }
  }
  for (Link& link : links) {
    if (!link.lease) continue;
    link.lease.connection().setPushSink(this);
    link.closes = link.lease.connection().closes();
  }
  // A client that switched protocol since: its old connections go (CLIENT TRACKING waits
  // until nothing is owed, so no request is on them).
  links_.swap(links);
  for (Link& link : links) {
    if (!link.lease) continue;
    link.lease.connection().setPushSink(nullptr);
    link.lease.release(backend::LeaseEnd::kAbandoned);
  }
  protocol_ = protocol;
  return true;
}

backend::ServerConnection* ClientTracking::connection(uint32_t server, resp::Protocol protocol) {
  if (links_.empty() || protocol != protocol_) return nullptr;
  // A server that joined the pool after CLIENT TRACKING (a reload): its keys ride the shared
  // connections, untracked, until the client turns tracking on again.
  if (server >= links_.size() || !links_[server].lease) return nullptr;
  Link& link = links_[server];
  backend::ServerConnection& connection = link.lease.connection();
  if (link.closes != connection.closes()) {
    link.closes = connection.closes();
    if (on_) static_cast<void>(connection.sendDropped(command_));
  }
  return &connection;
}

void ClientTracking::accepted(std::string_view command, bool on, bool bcast) {
  command_ = command;
  on_ = on;
  bcast_ = on && bcast;
}

void ClientTracking::reset() {
  if (!on_) return;
  for (Link& link : links_) {
    if (link.lease) static_cast<void>(link.lease.connection().sendDropped(kTrackingOff));
  }
  on_ = false;
  bcast_ = false;
}

void ClientTracking::onPush(const resp::Reply& push) { session_.deliverPush(push.raw); }

void ClientTracking::onSubscriberClosed(std::string_view /*message*/) {
  // Whatever the client cached from that server may have changed unseen; connection() sends
  // CLIENT TRACKING again before the next command there.
  if (on_ && protocol_ == resp::Protocol::kResp3) session_.deliverPush(kInvalidateAll);
}

}  // namespace shardis::proxy
