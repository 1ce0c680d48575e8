#include "proxy/pubsub_hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "backend/server_pool.h"
#include "net/loop.h"
#include "proxy/pending_queue.h"
#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {

// Names per upstream command when a link re-subscribes everything it held.
constexpr size_t kNamesPerCommand = 512;

// What a pushed frame is, by its first element.
enum class Frame : uint8_t { kMessage, kConfirmSubscribe, kConfirmUnsubscribe, kOther };

struct FrameKind {
  std::string_view word;
  Frame frame;
  SubKind kind;
};

constexpr FrameKind kFrames[] = {
    {"message", Frame::kMessage, SubKind::kChannel},
    {"pmessage", Frame::kMessage, SubKind::kPattern},
    {"smessage", Frame::kMessage, SubKind::kShard},
    {"subscribe", Frame::kConfirmSubscribe, SubKind::kChannel},
    {"psubscribe", Frame::kConfirmSubscribe, SubKind::kPattern},
    {"ssubscribe", Frame::kConfirmSubscribe, SubKind::kShard},
    {"unsubscribe", Frame::kConfirmUnsubscribe, SubKind::kChannel},
    {"punsubscribe", Frame::kConfirmUnsubscribe, SubKind::kPattern},
    {"sunsubscribe", Frame::kConfirmUnsubscribe, SubKind::kShard},
};

}  // namespace

class PubSubHub::Link final : public backend::PushSink {
 public:
  Link(PubSubHub& hub, uint32_t server_in)
      : server(server_in),
        timer(net::Timer::create(hub.loop_, [&hub, this] { hub.resubscribe(*this); })),
        hub_(hub) {}
  void onPush(const resp::Reply& push) override { hub_.onPush(*this, push); }
  void onSubscriberClosed(std::string_view message) override { hub_.onLinkClosed(*this, message); }

  const uint32_t server;
  backend::ServerConnection* connection = nullptr;  // the pool's; it outlives the hub's use
  std::deque<Expected> expected;                    // confirmation frames still to come, in order
  backend::Backoff backoff;
  net::TimerPtr timer;
  std::array<uint64_t, kSubKinds> held{};  // upstream subscriptions, by kind
  bool lost = false;                       // the connection dropped: a re-subscription is due
  std::function<void()> on_quiet;          // whenQuiet()'s, until called
  net::TimerPtr quiet_bound;

 private:
  PubSubHub& hub_;
};

PubSubHub::PubSubHub(net::Loop& loop, ServerPoolRef servers, size_t server_count,
                     PubSubRegistry& registry, stats::WorkerStats& stats, uint32_t pool)
    : loop_(loop),
      servers_(std::move(servers)),
      registry_(registry),
      links_(server_count),
      stats_(stats),
      pool_(pool) {
  for (uint32_t slot = 0; slot < server_count; ++slot) live_.push_back(slot);
}

// The pool's subscriber connections outlive the hub: they must not call its links any more.
PubSubHub::~PubSubHub() {
  *alive_ = false;
  stop();
  for (auto& link : links_) {
    if (link && link->connection != nullptr) link->connection->setPushSink(nullptr);
  }
}

void PubSubHub::stop() {
  stopped_ = true;
  for (auto& link : links_) {
    if (link) link->timer.reset();
  }
}

PubSubHub::Topic* PubSubHub::find(SubKind kind, std::string_view name) {
  auto it = topics(kind).find(name);
  return it == topics(kind).end() ? nullptr : &it->second;
}

void PubSubHub::subscribe(SubKind kind, std::string_view name, uint32_t server,
                          Subscriber& client) {
  if (Topic* topic = find(kind, name)) {
    registry_.addClients(kind, name, 1);
    topic->clients.push_back(&client);
    return;
  }
  registry_.addClientsUpstream(kind, name, 1);
  auto placed = topics(kind).emplace(std::string(name), Topic{}).first;
  // References to the map's elements stay valid while other names come and go.
  const std::string& key = placed->first;
  Topic& topic = placed->second;
  topic.id = next_topic_id_++;
  topic.server = server;
  topic.clients.push_back(&client);
  if (kind != SubKind::kPattern) {
    topic.unconfirmed = 1;
    sendOne(linkFor(server), kind, true, key, topic.id);
    // A change is under way (prepare() done, no switch yet): on the home after it too, as
    // prepare() did for the channels it found.
    if (next_home_ && !stopped_) {
      if (const uint32_t later = next_home_(key); later != server && later < links_.size()) {
        move(kind, key, topic, later, false);
      }
    }
    return;
  }
  topic.unconfirmed = static_cast<uint32_t>(live_.size());
  const uint64_t id = topic.id;
  for (uint32_t each : live_) sendOne(linkFor(each), kind, true, key, id);
}

bool PubSubHub::confirming(SubKind kind, std::string_view name) const {
  auto it = topics(kind).find(name);
  return it != topics(kind).end() && it->second.unconfirmed > 0;
}

void PubSubHub::await(SubKind kind, std::string_view name, Subscriber& client,
                      PendingRequest& pending, uint32_t part) {
  Topic* topic = find(kind, name);
  Wait wait{&client, &pending, part};
  if (topic == nullptr || topic->unconfirmed == 0) {
    std::vector<Wait> now{wait};
    return release(now);
  }
  topic->waits.push_back(wait);
}

uint64_t PubSubHub::unsubscribe(SubKind kind, std::string_view name, Subscriber& client) {
  auto it = topics(kind).find(name);
  if (it == topics(kind).end()) return 0;
  Topic& topic = it->second;
  auto& clients = topic.clients;
  auto found = std::find(clients.begin(), clients.end(), &client);
  if (found == clients.end()) return 0;
  clients.erase(found);
  registry_.addClients(kind, name, -1);
  // Its SUBSCRIBE may still wait: it is answered now, ahead of this UNSUBSCRIBE's reply.
  std::vector<Wait> mine;
  std::erase_if(topic.waits, [&](const Wait& wait) {
    if (wait.client != &client) return false;
    mine.push_back(wait);
    return true;
  });
  release(mine);
  if (!clients.empty()) return 0;
  const std::string key = it->first;
  const uint64_t id = topic.id;
  const uint32_t server = topic.server;
  topics(kind).erase(it);
  // Counted upstream until the servers have left it (leftOne()); a server whose link is
  // down holds nothing and counts as left at once (sendOne()).
  const bool pattern = kind == SubKind::kPattern;
  registry_.addLeaving(kind, key, 1);
  endings_.emplace(id, Ending{kind, key, pattern ? static_cast<uint32_t>(live_.size()) : 1, {}});
  if (!pattern) {
    sendOne(linkFor(server), kind, false, key, id);
  } else {
    for (uint32_t each : live_) sendOne(linkFor(each), kind, false, key, id);
  }
  checkPrepared();
  return endings_.contains(id) ? id : 0;
}

void PubSubHub::awaitLeft(uint64_t ending, Subscriber& client, PendingRequest& pending,
                          uint32_t part) {
  auto it = endings_.find(ending);
  Wait wait{&client, &pending, part};
  if (it == endings_.end()) {
    std::vector<Wait> now{wait};
    return release(now);
  }
  it->second.waits.push_back(wait);
}

// Its waits on its topics went to ready_ as it left them (unsubscribe()); those on its
// ending topics are dropped here.
void PubSubHub::forgetWaits(Subscriber& client) {
  auto mine = [&](const Wait& wait) { return wait.client == &client; };
  std::erase_if(ready_, mine);
  for (auto& [id, ending] : endings_) std::erase_if(ending.waits, mine);
}

PubSubHub::Link& PubSubHub::linkFor(uint32_t server) {
  std::unique_ptr<Link>& link = links_[server];
  if (!link) {
    link = std::make_unique<Link>(*this, server);
    link->connection = &servers_().subscriber(server, *link);
  }
  return *link;
}

void PubSubHub::countHeld(Link& link, SubKind kind, int64_t delta) {
  link.held[static_cast<size_t>(kind)] += delta;
  stats::ServerCounters& counters = stats_.server(pool_, link.server);
  uint64_t& gauge = kind == SubKind::kChannel   ? counters.pubsub_channels
                    : kind == SubKind::kPattern ? counters.pubsub_patterns
                                                : counters.pubsub_shard_channels;
  gauge += delta;
}

void PubSubHub::sendOne(Link& link, SubKind kind, bool subscribe, const std::string& name,
                        uint64_t id) {
  countHeld(link, kind, subscribe ? 1 : -1);
  if (link.lost) {
    // The re-subscription sends what is held by then; a client does not wait for it. Nor
    // for a server that no longer holds anything of this worker's.
    if (!subscribe) return leftOne(id);
    Topic* topic = find(kind, name);
    if (topic != nullptr && topic->id == id) confirmOne(*topic);
    return;
  }
  std::array<std::string_view, 2> argv{subscriptionVerb(kind, subscribe), name};
  std::string command;
  resp::appendCommand(command, argv);
  link.expected.push_back(Expected{kind, subscribe, id, name});
  // A connect that cannot start has already told the link (onLinkClosed).
  (void)link.connection->sendPushed(command);
}

// Every name the link's server holds, `kNamesPerCommand` per command, each expecting its
// confirmation as when it was first sent.
void PubSubHub::resubscribe(Link& link) {
  if (stopped_ || !link.lost) return;
  link.lost = false;
  ++stats_.pool(pool_).pubsub_resubscribes;
  for (size_t k = 0; k < kSubKinds; ++k) {
    const auto kind = static_cast<SubKind>(k);
    std::vector<std::string_view> argv{subscriptionVerb(kind, true)};
    auto flush = [&] {
      if (argv.size() == 1 || link.lost) return;
      std::string command;
      resp::appendCommand(command, argv);
      argv.resize(1);
      (void)link.connection->sendPushed(command);
    };
    for (const auto& [name, topic] : topics(kind)) {
      if (link.lost) return;  // the connect failed at once: the next attempt sends it all
      if (kind != SubKind::kPattern && topic.server != link.server) continue;
      argv.push_back(name);
      link.expected.push_back(Expected{kind, true, topic.id, name});
      if (argv.size() > kNamesPerCommand) flush();
    }
    flush();
  }
}

void PubSubHub::onLinkClosed(Link& link, std::string_view message) {
  if (stopped_) return;
  const uint64_t held = link.held[0] + link.held[1] + link.held[2];
  // Once per loss; the redials that fail after it are the backoff's business.
  if (held > 0 && link.backoff.failures() == 0) {
    spdlog::warn("pub/sub: {}; re-subscribing its {} channels and patterns once it is back",
                 message.starts_with("ERR ") ? message.substr(4) : message, held);
  }
  settleExpected(link);
  link.lost = true;
  fireQuiet(link);
  if (link.timer) link.timer->start(link.backoff.nextDelayMs());
}

// What was waiting for the link's server is answered now: a subscription stands (and comes
// back with the connection, or on the channel's new server); one being given up is gone with
// it.
void PubSubHub::settleExpected(Link& link) {
  std::deque<Expected> expected;
  expected.swap(link.expected);
  for (const Expected& each : expected) {
    if (!each.subscribe) {
      leftOne(each.topic_id);
      continue;
    }
    Topic* topic = find(each.kind, each.name);
    if (topic != nullptr && topic->id == each.topic_id) confirmOne(*topic);
  }
  checkPrepared();
}

void PubSubHub::onPush(Link& link, const resp::Reply& push) {
  if (resp::isError(push)) {
    // A server refused a subscription (an ACL, say): its place in the order is taken, and
    // the client is answered rather than left waiting; it will get no messages.
    spdlog::warn("pub/sub: server {} refused a subscription: {}",
                 servers_().serverName(link.server), push.raw.substr(0, push.raw.size() - 2));
    return onConfirmation(link, true);
  }
  if (!resp::arrayElements(push.raw, elements_) || elements_.empty()) return;
  std::optional<std::string_view> word = resp::stringValue(elements_[0]);
  if (!word) return;
  for (const FrameKind& each : kFrames) {
    if (each.word != *word) continue;
    if (each.frame != Frame::kMessage)
      return onConfirmation(link, each.frame == Frame::kConfirmSubscribe);
    std::optional<std::string_view> name =
        elements_.size() >= 3 ? resp::stringValue(elements_[1]) : std::nullopt;
    if (!name) return;
    ++stats_.pool(pool_).pubsub_messages_in;
    return fanOut(each.kind, *name, push.raw);
  }
  // "pong" and anything else a server may push: nobody's.
}

// Each name of a (P|S)(UN)SUBSCRIBE gets one frame, in the order sent.
void PubSubHub::onConfirmation(Link& link, bool subscribe) {
  if (link.expected.empty()) return;
  Expected front = std::move(link.expected.front());
  link.expected.pop_front();
  link.backoff.reset();
  if (link.expected.empty()) fireQuiet(link);
  if (!front.subscribe) return leftOne(front.topic_id);
  if (!subscribe) return;
  Topic* topic = find(front.kind, front.name);
  if (topic != nullptr && topic->id == front.topic_id) confirmOne(*topic);
  checkPrepared();
}

void PubSubHub::confirmOne(Topic& topic) {
  if (topic.unconfirmed == 0 || --topic.unconfirmed > 0) return;
  release(topic.waits);
}

// One more server has left an ending topic (its confirmation, or its connection dropped);
// once all have, no server counts it: neither does the registry, and its clients are answered.
void PubSubHub::leftOne(uint64_t ending) {
  auto it = endings_.find(ending);
  if (it == endings_.end() || --it->second.unconfirmed > 0) return;
  registry_.leftUpstream(it->second.kind, it->second.name);
  release(it->second.waits);
  endings_.erase(it);
}

// A client may be closed by a write (its output limit): the clients are copied first, and a
// closed one is skipped by its session.
void PubSubHub::fanOut(SubKind kind, std::string_view name, std::string_view frame) {
  Topic* topic = find(kind, name);
  if (topic == nullptr) return;
  fanout_.assign(topic->clients.begin(), topic->clients.end());
  stats_.pool(pool_).pubsub_messages_delivered += fanout_.size();
  for (Subscriber* client : fanout_) client->deliver(frame);
}

void PubSubHub::release(std::vector<Wait>& waits) {
  if (waits.empty()) return;
  ready_.insert(ready_.end(), waits.begin(), waits.end());
  waits.clear();
  if (handover_scheduled_) return;
  handover_scheduled_ = true;
  loop_.defer([this, alive = alive_] {
    if (*alive) handOver();
  });
}

// One at a time from the front: a confirmation may close its client, which forgets its other
// waits here (forgetWaits()).
void PubSubHub::handOver() {
  handover_scheduled_ = false;
  while (!ready_.empty()) {
    Wait wait = ready_.front();
    ready_.erase(ready_.begin());
    resp::Reply confirmed;
    wait.pending->onReply(wait.part, confirmed);
  }
}

void PubSubHub::addServer() { links_.emplace_back(); }

// The link's connection is shut down by the pool right after this: what the link still
// expects is settled now, as if it had dropped, and it is never re-subscribed.
void PubSubHub::retire(uint32_t server) {
  std::unique_ptr<Link> link = std::move(links_[server]);
  if (!link) return;
  link->timer.reset();
  if (link->connection != nullptr) link->connection->setPushSink(nullptr);
  settleExpected(*link);
  for (size_t k = 0; k < kSubKinds; ++k) {
    countHeld(*link, static_cast<SubKind>(k), -static_cast<int64_t>(link->held[k]));
  }
}

// Publishers still use the old topology: what they publish meanwhile reaches the old homes,
// which keep their subscriptions until finishMoves().
void PubSubHub::prepare(std::span<const uint32_t> live, HomeOf home,
                        std::function<void()> prepared) {
  if (prepared_) std::exchange(prepared_, nullptr)();  // an earlier wait was given up (reload.cc)
  preparing_.clear();
  if (!stopped_) {
    for (uint32_t slot : live) {
      if (std::find(live_.begin(), live_.end(), slot) != live_.end()) continue;
      live_.push_back(slot);  // until setLive(): the old list and the new servers
      subscribePatternsOn(slot);
    }
    for (SubKind kind : {SubKind::kChannel, SubKind::kShard}) {
      for (auto& [name, topic] : topics(kind)) {
        const uint32_t now = home(name);
        if (now == topic.server || now >= links_.size()) continue;
        move(kind, name, topic, now, false);
        preparing_.push_back(Preparing{kind, topic.id, name});
      }
    }
  }
  // Only now: a link that fails at once settles its subscriptions during the loops above.
  prepared_ = std::move(prepared);
  next_home_ = std::move(home);
  checkPrepared();
}

void PubSubHub::setLive(std::span<const uint32_t> live, const HomeOf& home) {
  next_home_ = nullptr;
  std::vector<uint32_t> before = std::move(live_);
  live_.assign(live.begin(), live.end());
  if (stopped_) return;
  for (uint32_t slot : live_) {
    if (std::find(before.begin(), before.end(), slot) == before.end()) subscribePatternsOn(slot);
  }
  for (SubKind kind : {SubKind::kChannel, SubKind::kShard}) {
    for (auto& [name, topic] : topics(kind)) {
      const uint32_t now = home(name);
      if (now != topic.server) move(kind, name, topic, now, true);
    }
  }
}

void PubSubHub::finishMoves() {
  std::vector<Left> leaving;
  leaving.swap(to_leave_);
  for (const Left& each : leaving) {
    if (links_[each.server]) {
      sendOne(*links_[each.server], each.kind, false, each.name, each.ending);
    } else {
      leftOne(each.ending);
    }
  }
}

void PubSubHub::subscribePatternsOn(uint32_t server) {
  for (auto& [name, topic] : topics(SubKind::kPattern)) {
    ++topic.unconfirmed;
    sendOne(linkFor(server), SubKind::kPattern, true, name, topic.id);
    preparing_.push_back(Preparing{SubKind::kPattern, topic.id, name});
  }
}

// A channel whose server changed: subscribed on its new home, and left on the old one if that
// is still in the pool (a retired server's link is gone already): at once, or (`leave_now`
// false) once every worker routes by the new topology (finishMoves()). Until the old server
// confirms, both count upstream, as the registry's PUBSUB NUMSUB expects of a name in transit.
void PubSubHub::move(SubKind kind, const std::string& name, Topic& topic, uint32_t home,
                     bool leave_now) {
  const uint32_t old_server = topic.server;
  topic.server = home;
  ++topic.unconfirmed;
  sendOne(linkFor(home), kind, true, name, topic.id);
  if (!links_[old_server] || std::find(live_.begin(), live_.end(), old_server) == live_.end()) {
    return;
  }
  const uint64_t ending = next_topic_id_++;
  registry_.addUpstreamLeaving(kind, name, 1);
  endings_.emplace(ending, Ending{kind, name, 1, {}});
  if (leave_now) return sendOne(*links_[old_server], kind, false, name, ending);
  to_leave_.push_back(Left{ending, old_server, kind, name});
}

void PubSubHub::whenQuiet(uint32_t server, uint64_t bound_ms, std::function<void()> quiet) {
  Link* link = server < links_.size() ? links_[server].get() : nullptr;
  if (link == nullptr || link->lost || link->expected.empty()) {
    loop_.defer([alive = alive_, quiet = std::move(quiet)] {
      if (*alive) quiet();
    });
    return;
  }
  link->on_quiet = std::move(quiet);
  if (!link->quiet_bound) {
    link->quiet_bound = net::Timer::create(loop_, [this, link] { fireQuiet(*link); });
  }
  link->quiet_bound->start(bound_ms);
}

// Deferred: the callback may retire the link, which is on the stack here.
void PubSubHub::fireQuiet(Link& link) {
  if (!link.on_quiet) return;
  if (link.quiet_bound) link.quiet_bound->stop();
  loop_.defer([alive = alive_, quiet = std::exchange(link.on_quiet, nullptr)] {
    if (*alive) quiet();
  });
}

// prepare()'s callback once none of its subscriptions waits for a server (each confirmed,
// settled by a dropped link, or its topic gone).
void PubSubHub::checkPrepared() {
  if (!prepared_) return;
  std::erase_if(preparing_, [this](const Preparing& each) {
    const Topic* topic = find(each.kind, each.name);
    return topic == nullptr || topic->id != each.topic_id || topic->unconfirmed == 0;
  });
  if (!preparing_.empty()) return;
  std::exchange(prepared_, nullptr)();
}

}  // namespace shardis::proxy
