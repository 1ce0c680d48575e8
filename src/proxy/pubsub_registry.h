// PubSubRegistry: this process's subscriptions as the servers see them, summed over the
// workers, one per pool, so that the counts servers give can be corrected to what one Redis would
// answer. A server counts each worker's shared upstream subscription as one subscriber; behind it
// stand that worker's clients. So a server's count of a channel becomes the count less this
// process's upstream subscriptions to it plus their clients (correction()); PUBLISH's
// receivers also take every pattern of this process that matches the channel
// (publishCorrection()). Subscriptions of other proxy processes still count one each.
//
// Shared by the workers behind one mutex, taken when a client subscribes or leaves, when a
// count is corrected, and when a PUBLISH takes and gives back its ticket: never per message
// delivered.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace shardis::proxy {

// Redis's three subscription kinds: SUBSCRIBE's channels, PSUBSCRIBE's patterns, SSUBSCRIBE's
// shard channels.
enum class SubKind : uint8_t { kChannel, kPattern, kShard };
inline constexpr size_t kSubKinds = 3;

// Channel and pattern names as unordered keys, looked up by string_view without a copy.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// The command that subscribes to (or leaves) a name of `kind`, as a server's confirmation frame
// names it: "subscribe", "punsubscribe" ... (servers take command names in any case).
constexpr std::string_view subscriptionVerb(SubKind kind, bool subscribe) {
  switch (kind) {
    case SubKind::kChannel:
      return subscribe ? "subscribe" : "unsubscribe";
    case SubKind::kPattern:
      return subscribe ? "psubscribe" : "punsubscribe";
    case SubKind::kShard:
      return subscribe ? "ssubscribe" : "sunsubscribe";
  }
  return {};
}

class PubSubRegistry {
 public:
  // Held by a PUBLISH (or an EXEC that runs one) from before it is sent until it is answered
  // or failed; leftUpstream() waits for those taken before it. Empty when default-made.
  class PublishTicket {
   public:
    PublishTicket() = default;
    ~PublishTicket() { release(); }
    PublishTicket(PublishTicket&& other) noexcept
        : registry_(std::exchange(other.registry_, nullptr)), era_(other.era_) {}
    PublishTicket& operator=(PublishTicket&& other) noexcept {
      if (this != &other) {
        release();
        registry_ = std::exchange(other.registry_, nullptr);
        era_ = other.era_;
      }
      return *this;
    }
    PublishTicket(const PublishTicket&) = delete;
    PublishTicket& operator=(const PublishTicket&) = delete;
    void release() {
      if (registry_ != nullptr) std::exchange(registry_, nullptr)->published(era_);
    }

   private:
    friend class PubSubRegistry;
    PublishTicket(PubSubRegistry* registry, uint64_t era) : registry_(registry), era_(era) {}
    PubSubRegistry* registry_ = nullptr;
    uint64_t era_ = 0;
  };

  // Clients (of any worker) subscribed to `name`: +1 as one subscribes, -1 as one leaves.
  void addClients(SubKind kind, std::string_view name, int64_t delta);
  // Upstream subscriptions to `name` the servers hold for a worker: +1 as it is sent, -1 once
  // every server it was on has confirmed leaving it, or dropped the connection meanwhile (a
  // server still counts it until it has read the UNSUBSCRIBE).
  void addUpstream(SubKind kind, std::string_view name, int64_t delta);
  // Of those, the ones being given up: +1 as the UNSUBSCRIBE is sent, -1 with the upstream
  // one, once every server confirmed leaving. A server may or may not count them meanwhile.
  void addLeaving(SubKind kind, std::string_view name, int64_t delta);
  // Both at once, for a subscription counted upstream only while it is given up (a moved
  // channel's old home), and for one that has been left: a PUBLISH corrected between two
  // separate calls would count one standing subscription too many or too few.
  void addUpstreamLeaving(SubKind kind, std::string_view name, int64_t delta);
  // A client and the upstream subscription it is the first to need, at once: between two
  // calls, a PUBLISH the server answered without it would count the client as a receiver.
  void addClientsUpstream(SubKind kind, std::string_view name, int64_t delta);
  // Every server has left an upstream subscription that was being given up (its
  // confirmation, or its connection dropped): addUpstreamLeaving(-1), once every PUBLISH that
  // began before this call is answered. One of them may have been read by its server before
  // the UNSUBSCRIBE, and so count it, with its reply read by another worker after this
  // confirmation: corrected without the leaving figure, it would count the client that left
  // as a receiver. Shard channels are counted off at once (SPUBLISH's correction has no
  // leaving figure).
  void leftUpstream(SubKind kind, std::string_view name);
  [[nodiscard]] PublishTicket publishing();
  // What to add to a server's subscriber count of `name` (PUBSUB NUMSUB, SHARDNUMSUB,
  // SPUBLISH's receivers).
  [[nodiscard]] int64_t correction(SubKind kind, std::string_view name);
  // PUBLISH's answer on `channel` when its server said `receivers`: the proxy's clients that
  // get the message (the channel's and the matching patterns'), less what the server misses
  // of the upstream subscriptions that stand. Those being given up count as the server counts
  // them: all when it says enough, none when it says only the standing ones (it already read
  // their UNSUBSCRIBE), whatever this worker has read of its confirmation.
  [[nodiscard]] int64_t publishReceivers(std::string_view channel, int64_t receivers);
  // Names of `kind` some client subscribes to (INFO's pubsub_channels ...).
  [[nodiscard]] size_t active(SubKind kind);

 private:
  struct Count {
    int64_t clients = 0;
    int64_t upstream = 0;
    int64_t leaving = 0;  // of `upstream`
  };
  using Counts = std::unordered_map<std::string, Count, NameHash, std::equal_to<>>;
  // The PUBLISHes begun between two leftUpstream() calls: how many are still out, and the
  // subscription left at the era's end, counted off once this era and every older one have
  // none out.
  struct Era {
    int64_t tickets = 0;
    SubKind kind = SubKind::kChannel;
    std::string left;  // set as the era ends (leftUpstream())
  };
  void add(SubKind kind, std::string_view name, Count delta);
  void addLocked(SubKind kind, std::string_view name, Count delta);
  void published(uint64_t era);
  void endErasLocked();
  static int64_t correctionOf(const Counts& counts, std::string_view name);

  std::mutex mutex_;
  Counts counts_[kSubKinds];
  std::deque<Era> eras_{Era{}};  // the oldest first; the last is the current one
  uint64_t first_era_ = 0;       // the number of eras_.front()
};

}  // namespace shardis::proxy
