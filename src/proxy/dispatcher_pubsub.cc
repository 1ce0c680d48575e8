// The Dispatcher's pub/sub commands (pubsub_hub.h says how subscriptions are shared):
//   (P|S)SUBSCRIBE     the client's names join the worker's topics; answered, with the
//                      client's own counts, once each new name is subscribed upstream
//   (P|S)UNSUBSCRIBE   answered, with the client's own counts, once each name it gave up
//                      upstream is left by its servers; no message of a name reaches the
//                      client after it
//   PUBLISH, SPUBLISH  to the channel's server, receivers corrected (pubsub_merger.h)
//   PUBSUB ...         NUMSUB/SHARDNUMSUB from each channel's server, CHANNELS and NUMPAT
//                      from every server, merged
// A channel lives where a key of its name would: PUBLISH and SUBSCRIBE always meet.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proxy/client_session.h"
#include "proxy/pubsub_merger.h"
#include "proxy/router.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// `name` null (UNSUBSCRIBE of nothing): the frame carries a null, as Redis's does. A push in
// RESP3.
void appendConfirmation(std::string& out, resp::Protocol protocol, SubKind kind, bool subscribe,
                        const std::string_view* name, size_t count) {
  resp::appendPushHeader(out, 3, protocol);
  resp::appendBulk(out, subscriptionVerb(kind, subscribe));
  if (name != nullptr) {
    resp::appendBulk(out, *name);
  } else {
    resp::appendNullBulk(out, protocol);
  }
  resp::appendInteger(out, static_cast<int64_t>(count));
}

// A (P|S)(UN)SUBSCRIBE's reply, made when it was dispatched, written once every name it
// waited for is subscribed, or left, upstream (one part each).
class ConfirmationMerger final : public Merger {
 public:
  explicit ConfirmationMerger(std::string frames) : frames_(std::move(frames)) {}
  void onPartReply(uint32_t /*part*/, const resp::Reply& /*reply*/) override {}
  void onPartFailure(uint32_t /*part*/, std::string_view /*message*/) override {}
  void finish(std::string& reply) override { reply = std::move(frames_); }

 private:
  std::string frames_;
};

}  // namespace

void PubSubClient::deliver(std::string_view frame) { session_.deliverPush(frame); }

PubSubClient& Dispatcher::pubsubClient() {
  if (!pubsub_) pubsub_ = std::make_unique<PubSubClient>(session_);
  return *pubsub_;
}

void Dispatcher::subscriptionCounts(size_t& channels, size_t& patterns,
                                    size_t& shard_channels) const {
  if (!pubsub_) return;
  channels = pubsub_->size(SubKind::kChannel);
  patterns = pubsub_->size(SubKind::kPattern);
  shard_channels = pubsub_->size(SubKind::kShard);
}

// Ejections are ignored (the ring of every server, which always has one): a channel whose
// server is down is out of reach until it is back, rather than split between the servers its
// publishers and its subscribers found.
uint32_t Dispatcher::channelServer(std::string_view channel) {
  return pool_.ring.home(pool_.router.hashTag().routingKey(channel));
}

void Dispatcher::subscribe(CommandCall& call, SubKind kind) {
  Request& request = call.request;
  call.answered = !call.in_exec;
  Argv names = request.argv.subspan(1);
  PubSubClient& client = pubsubClient();
  std::string frames;
  std::vector<std::string_view> fresh;
  for (size_t i = 0; i < names.size(); ++i) {
    if (client.add(kind, names[i])) {
      const uint32_t server = kind == SubKind::kPattern ? 0 : channelServer(names[i]);
      pool_.pubsub.subscribe(kind, names[i], server, client);
      fresh.push_back(names[i]);
    }
    appendConfirmation(frames, client_.protocol, kind, true, &names[i], client.count(kind));
  }
  session_.setSubscribed(true);
  // Queued in MULTI, it runs with EXEC, whose array carries its confirmations: nothing waits.
  if (call.in_exec) {
    call.out += frames;
    return;
  }
  uint32_t waiting = 0;
  for (std::string_view name : fresh) waiting += pool_.pubsub.confirming(kind, name) ? 1 : 0;
  if (waiting == 0) return session_.reply(request, std::move(frames));
  PendingRequest& pending =
      awaitReply(request, waiting, std::make_unique<ConfirmationMerger>(std::move(frames)));
  uint32_t part = 0;
  for (std::string_view name : fresh) {
    if (pool_.pubsub.confirming(kind, name)) {
      pool_.pubsub.await(kind, name, client, pending, part++);
    }
  }
}

// The names given up upstream are answered once their servers have left them: the ids of
// those topics wait, one part each (PubSubHub::awaitLeft()).
void Dispatcher::unsubscribe(CommandCall& call, SubKind kind) {
  std::vector<std::string> all;
  Argv names = call.request.argv.subspan(1);
  std::vector<std::string_view> every;
  if (names.empty() && pubsub_) {
    all = pubsub_->names(kind);
    every.assign(all.begin(), all.end());
    names = every;
  }
  std::string frames;
  if (names.empty()) {
    appendConfirmation(frames, client_.protocol, kind, false, nullptr,
                       pubsub_ ? pubsub_->count(kind) : 0);
  }
  std::vector<uint64_t> endings;
  for (const std::string_view& name : names) {
    if (pubsub_ && pubsub_->remove(kind, name)) {
      const uint64_t ending = pool_.pubsub.unsubscribe(kind, name, *pubsub_);
      if (ending != 0) endings.push_back(ending);
    }
    appendConfirmation(frames, client_.protocol, kind, false, &name,
                       pubsub_ ? pubsub_->count(kind) : 0);
  }
  if (!pubsub_ || pubsub_->total() == 0) session_.setSubscribed(false);
  // In EXEC, whose array carries its confirmations, nothing waits.
  if (call.in_exec || endings.empty()) {
    call.out += frames;
    return;
  }
  call.answered = true;
  PendingRequest& pending = awaitReply(call.request, static_cast<uint32_t>(endings.size()),
                                       std::make_unique<ConfirmationMerger>(std::move(frames)));
  for (uint32_t part = 0; part < endings.size(); ++part) {
    pool_.pubsub.awaitLeft(endings[part], *pubsub_, pending, part);
  }
}

void Dispatcher::leaveSubscriptions(bool client_gone) {
  if (!pubsub_) return;
  for (size_t k = 0; k < kSubKinds; ++k) {
    const auto kind = static_cast<SubKind>(k);
    for (const std::string& name : pubsub_->names(kind)) {
      pubsub_->remove(kind, name);
      // Nothing waits for the servers to leave: RESET is answered at once.
      (void)pool_.pubsub.unsubscribe(kind, name, *pubsub_);
    }
  }
  // A SUBSCRIBE still waiting is answered (RESET's reply comes after it), unless nobody is
  // there to read it; so is an UNSUBSCRIBE, when its servers have left.
  if (client_gone) pool_.pubsub.forgetWaits(*pubsub_);
}

void Dispatcher::publish(CommandCall& call, SubKind kind) {
  Request& request = call.request;
  call.answered = true;
  uint32_t server = channelServer(request.argv[1]);
  PubSubRegistry& registry = shared_.pubsub(pool_.index);
  PubSubRegistry::PublishTicket ticket;
  if (kind == SubKind::kChannel) ticket = registry.publishing();
  sendParts(request, std::span<const uint32_t>(&server, 1),
            makePublishMerger(pool_, server, registry, kind, request.argv[1],
                              pool_.publishes.pass(), std::move(ticket)),
            serverBytes(request));
}

std::string Dispatcher::planPublish(const Request& request, QueuedCommand& command) {
  const SubKind kind = request.argv[0].size() == 7 ? SubKind::kChannel : SubKind::kShard;
  uint32_t server = channelServer(request.argv[1]);
  command.parts.push_back(QueuedPart{server, std::string(serverBytes(request))});
  command.merger =
      makePublishMerger(pool_, server, shared_.pubsub(pool_.index), kind, request.argv[1], {}, {});
  command.publishes = kind == SubKind::kChannel;
  return {};
}

// NUMSUB: every server gets the whole list; each channel's count is taken from its own server.
std::unique_ptr<Merger> Dispatcher::pubsubQueryMerger(std::string_view subcommand, Argv argv) {
  const bool numsub = subcommand == "pubsub|numsub";
  if (numsub || subcommand == "pubsub|shardnumsub") {
    Argv names = argv.subspan(2);
    std::vector<std::string> channels(names.begin(), names.end());
    std::vector<uint32_t> owners;
    owners.reserve(names.size());
    for (std::string_view name : names) owners.push_back(channelServer(name));
    return makeNumsubMerger(pool_, pool_.every_server, shared_.pubsub(pool_.index),
                            numsub ? SubKind::kChannel : SubKind::kShard, std::move(channels),
                            std::move(owners));
  }
  if (subcommand == "pubsub|numpat") return makeNumpatMerger(pool_, pool_.every_server);
  return makeChannelsMerger(pool_, pool_.every_server);
}

namespace {
// The table allows any count; Redis's PUBSUB CHANNELS takes at most a pattern.
bool tooManyPatterns(const CommandEntry& entry, std::span<const std::string_view> argv) {
  return entry.spec->name.ends_with("channels") && argv.size() > 3;
}
}  // namespace

void Dispatcher::pubsubQuery(CommandCall& call) {
  if (tooManyPatterns(call.entry, call.request.argv)) {
    return resp::appendError(call.out, "ERR unknown subcommand or wrong number of arguments for '" +
                                           std::string(call.request.argv[1]) +
                                           "'. Try PUBSUB HELP.");
  }
  call.answered = true;
  sendParts(call.request, pool_.every_server,
            pubsubQueryMerger(call.entry.spec->name, call.request.argv), serverBytes(call.request));
}

std::string Dispatcher::planPubsubQuery(const CommandEntry& entry, const Request& request,
                                        QueuedCommand& command) {
  if (tooManyPatterns(entry, request.argv)) {
    // Queued, as in Redis; its error takes its place in EXEC's array (pubsubQuery()).
    command.local = true;
    command.argv.assign(request.argv.begin(), request.argv.end());
    return {};
  }
  const std::string_view bytes = serverBytes(request);
  for (uint32_t server : pool_.every_server) {
    command.parts.push_back(QueuedPart{server, std::string(bytes)});
  }
  command.merger = pubsubQueryMerger(entry.spec->name, request.argv);
  return {};
}

struct Dispatcher::PubSubHandlers {
  template <SubKind kKind>
  static void subscribe(CommandCall& call) {
    call.dispatcher->subscribe(call, kKind);
  }
  template <SubKind kKind>
  static void unsubscribe(CommandCall& call) {
    call.dispatcher->unsubscribe(call, kKind);
  }
  template <SubKind kKind>
  static void publish(CommandCall& call) {
    call.dispatcher->publish(call, kKind);
  }
  static void query(CommandCall& call) { call.dispatcher->pubsubQuery(call); }
};

namespace {
using Handlers = Dispatcher::PubSubHandlers;
// (P|S)(UN)SUBSCRIBE queue in MULTI, as in Redis, and run with EXEC; the others send to
// servers and answer later, and are planned for EXEC there (planPublish(), planPubsubQuery()).
constexpr NamedHandler kPubSubHandlers[] = {
    {"subscribe", Handlers::subscribe<SubKind::kChannel>},
    {"psubscribe", Handlers::subscribe<SubKind::kPattern>},
    {"ssubscribe", Handlers::subscribe<SubKind::kShard>},
    {"unsubscribe", Handlers::unsubscribe<SubKind::kChannel>},
    {"punsubscribe", Handlers::unsubscribe<SubKind::kPattern>},
    {"sunsubscribe", Handlers::unsubscribe<SubKind::kShard>},
    {"publish", Handlers::publish<SubKind::kChannel>, false, true},
    {"spublish", Handlers::publish<SubKind::kShard>, false, true},
    {"pubsub|numsub", Handlers::query, false, true},
    {"pubsub|shardnumsub", Handlers::query, false, true},
    {"pubsub|channels", Handlers::query, false, true},
    {"pubsub|shardchannels", Handlers::query, false, true},
    {"pubsub|numpat", Handlers::query, false, true},
};
}  // namespace

std::span<const NamedHandler> pubsubHandlers() { return kPubSubHandlers; }

}  // namespace shardis::proxy
