// PubSubHub: one worker's pub/sub for one pool. Per server it holds one subscriber connection
// (backend::ServerPool::subscriber) that carries the subscriptions of all the worker's
// clients: a channel or shard channel on the server its name hashes to, a pattern on every
// server. Each name counts its clients (a Topic); the first client sends SUBSCRIBE upstream,
// the last one's leaving sends UNSUBSCRIBE, and every message the servers push is written to
// each client of its topic. 10,000 clients on one channel cost one upstream subscription.
//
// A client's SUBSCRIBE is answered once its names are subscribed upstream, so that a message
// published after the client read its confirmation reaches it (await()). Likewise the
// UNSUBSCRIBE that gives up a name upstream is answered once every server it went to has left
// it (awaitLeft()): a PUBLISH or PUBSUB NUMSUB the client issues after reading it must not
// count the proxy's subscription, and the server reads the PUBLISH on another connection.
// Until then the registry keeps counting that upstream subscription. Confirmations are
// matched to what was sent by order: a server answers each name of a SUBSCRIBE, UNSUBSCRIBE
// ... with one frame, in order, so each link keeps the frames it still expects; an ending
// topic is known by its id, since a new SUBSCRIBE of the name may make a new topic meanwhile.
//
// A link whose connection drops re-subscribes everything it held once its backoff runs out;
// what was published meanwhile is lost, as for a client of that server. Calls back into
// sessions (a message, a confirmation) never happen inside a call from a session: a
// confirmation is handed over on the loop's next turn, a message from the connection's read.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/backoff.h"
#include "backend/server_connection.h"
#include "net/timer.h"
#include "proxy/pubsub_registry.h"
#include "stats/counters.h"

namespace shardis::net {
class Loop;
}

namespace shardis::backend {
class ServerPool;
}

namespace shardis::proxy {

class PendingRequest;

// A client as the hub sees it.
class Subscriber {
 public:
  // A message, pmessage or smessage frame (a RESP2 array as the server pushed it).
  virtual void deliver(std::string_view frame) = 0;

 protected:
  ~Subscriber() = default;
};

class PubSubHub {
 public:
  // Where the hub's subscriber connections come from (the pool, or a unit test's fake).
  using ServerPoolRef = std::function<backend::ServerPool&()>;
  // Counts in `stats`, pool `pool`: messages in and delivered, re-subscriptions, and each
  // server's upstream subscriptions.
  PubSubHub(net::Loop& loop, ServerPoolRef servers, size_t server_count, PubSubRegistry& registry,
            stats::WorkerStats& stats, uint32_t pool);
  ~PubSubHub();
  PubSubHub(const PubSubHub&) = delete;
  PubSubHub& operator=(const PubSubHub&) = delete;

  // Adds `client` to `name` (a channel or shard channel on `server`; a pattern on every
  // server, `server` unused), subscribing upstream if it is the first.
  void subscribe(SubKind kind, std::string_view name, uint32_t server, Subscriber& client);
  // Whether `name`'s upstream subscription still waits for a server's confirmation.
  [[nodiscard]] bool confirming(SubKind kind, std::string_view name) const;
  // Part `part` of `pending` is answered once `name` is subscribed upstream (or its server
  // is down: the subscription then comes with the reconnection).
  void await(SubKind kind, std::string_view name, Subscriber& client, PendingRequest& pending,
             uint32_t part);
  // Removes `client` from `name`, unsubscribing upstream if it was the last. Returns the id to
  // pass to awaitLeft() while that upstream UNSUBSCRIBE waits for a server, else 0.
  [[nodiscard]] uint64_t unsubscribe(SubKind kind, std::string_view name, Subscriber& client);
  // Part `part` of `pending` is answered once every server has left the topic `ending` (an
  // id unsubscribe() returned), or its connection dropped.
  void awaitLeft(uint64_t ending, Subscriber& client, PendingRequest& pending, uint32_t part);
  // The client is gone, and has left every name (unsubscribe()): no confirmation is handed
  // to it any more.
  void forgetWaits(Subscriber& client);
  // The proxy is stopping: links are not re-subscribed any more.
  void stop();

  // A new topology, in the steps of topology.h's TopologyStep. addServer(): one more slot.
  // prepare() (before any worker routes by the new topology): patterns are subscribed on the
  // servers new to `live`, and each channel whose home moves is subscribed on its new home
  // as well as its old one; `prepared` is called once every server has confirmed (or its
  // link dropped). Until the switch, a channel first subscribed is subscribed on both homes
  // too (`home` is kept until then). setLive() (the switch): the live slots now.
  // finishMoves() (every worker has switched): the old homes are left. retire(): `server`
  // left the pool; its link is dropped (what it owed is settled as when a connection drops).
  using HomeOf = std::function<uint32_t(std::string_view channel)>;
  void addServer();
  void prepare(std::span<const uint32_t> live, HomeOf home, std::function<void()> prepared);
  void setLive(std::span<const uint32_t> live, const HomeOf& home);
  void finishMoves();
  // Calls `quiet` once the link to `server` owes no confirmation (the UNSUBSCRIBEs
  // finishMoves() sent are answered, so every message the server pushed before them has been
  // delivered), or its connection dropped, or `bound_ms` passed; on the loop's next turn,
  // and not after the hub is gone. A later call for the same server replaces it.
  void whenQuiet(uint32_t server, uint64_t bound_ms, std::function<void()> quiet);
  void retire(uint32_t server);

 private:
  struct Wait {
    Subscriber* client;
    PendingRequest* pending;
    uint32_t part;
  };
  struct Topic {
    uint64_t id = 0;                   // tells a confirmation for an older topic of the name
    uint32_t server = 0;               // a channel's; patterns are on every server
    uint32_t unconfirmed = 0;          // servers whose confirmation is still to come
    std::vector<Subscriber*> clients;  // in subscription order
    std::vector<Wait> waits;
  };
  struct Ending {  // a topic given up upstream, until every server it was sent to has left it
    SubKind kind;
    std::string name;
    uint32_t unconfirmed = 0;  // servers whose confirmation is still to come
    std::vector<Wait> waits;
  };
  struct Left {  // an old home a prepared channel leaves once every worker has switched
    uint64_t ending;
    uint32_t server;
    SubKind kind;
    std::string name;
  };
  struct Preparing {  // a subscription prepare() sent, until confirmed
    SubKind kind;
    uint64_t topic_id;
    std::string name;
  };
  struct Expected {  // a confirmation frame a link is owed
    SubKind kind;
    bool subscribe;
    uint64_t topic_id;
    std::string name;
  };
  class Link;
  using Topics = std::unordered_map<std::string, Topic, NameHash, std::equal_to<>>;

  Topics& topics(SubKind kind) { return topics_[static_cast<size_t>(kind)]; }
  const Topics& topics(SubKind kind) const { return topics_[static_cast<size_t>(kind)]; }
  Topic* find(SubKind kind, std::string_view name);
  Link& linkFor(uint32_t server);
  // Sends (P|S)(UN)SUBSCRIBE `name` to the link, expecting its confirmation frame.
  void sendOne(Link& link, SubKind kind, bool subscribe, const std::string& name, uint64_t id);
  void onPush(Link& link, const resp::Reply& push);
  void countHeld(Link& link, SubKind kind, int64_t delta);
  void onConfirmation(Link& link, bool subscribe);
  void fanOut(SubKind kind, std::string_view name, std::string_view frame);
  void onLinkClosed(Link& link, std::string_view message);
  void settleExpected(Link& link);
  void resubscribe(Link& link);
  void confirmOne(Topic& topic);
  void leftOne(uint64_t ending);
  void release(std::vector<Wait>& waits);
  void handOver();
  void subscribePatternsOn(uint32_t server);
  void move(SubKind kind, const std::string& name, Topic& topic, uint32_t home, bool leave_now);
  void checkPrepared();
  void fireQuiet(Link& link);

  net::Loop& loop_;
  ServerPoolRef servers_;
  PubSubRegistry& registry_;
  std::vector<std::unique_ptr<Link>> links_;  // one per slot, made on first use
  std::vector<uint32_t> live_;                // the slots patterns are subscribed on
  Topics topics_[kSubKinds];
  std::unordered_map<uint64_t, Ending> endings_;  // by the id their topic had
  std::vector<Left> to_leave_;                    // prepared moves' old homes (finishMoves())
  std::vector<Preparing> preparing_;              // prepare()'s subscriptions not yet confirmed
  std::function<void()> prepared_;                // prepare()'s callback, until it is called
  HomeOf next_home_;  // from prepare() to the switch: where channels live after it
  uint64_t next_topic_id_ = 1;
  std::vector<Wait> ready_;  // confirmations to hand over on the loop's next turn
  bool handover_scheduled_ = false;
  bool stopped_ = false;
  std::vector<std::string_view> elements_;  // scratch: a pushed frame's elements
  std::vector<Subscriber*> fanout_;         // scratch: a topic's clients during a fan-out
  stats::WorkerStats& stats_;
  const uint32_t pool_;
  // Set while the hub exists; the handover task checks it, since it may run after the hub.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shardis::proxy
