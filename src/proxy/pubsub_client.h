// PubSubClient: one client's subscriptions (its channels, patterns and shard channels), as
// Redis keeps them per client, and the Subscriber the worker's PubSubHub writes its messages
// to. Owned by the client's Dispatcher from its first subscription; the counts in the
// confirmations Redis sends are this client's own, so they are counted here, not upstream.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "proxy/pubsub_hub.h"

namespace shardis::proxy {

class ClientSession;

class PubSubClient final : public Subscriber {
 public:
  explicit PubSubClient(ClientSession& session) : session_(session) {}

  void deliver(std::string_view frame) override;

  // Adds `name`; false when the client already has it.
  bool add(SubKind kind, std::string_view name) { return set(kind).emplace(name).second; }
  // Removes `name`; false when the client did not have it.
  bool remove(SubKind kind, std::string_view name) {
    auto it = set(kind).find(name);
    if (it == set(kind).end()) return false;
    set(kind).erase(it);
    return true;
  }
  // The count a confirmation of `kind` carries: channels and patterns together, shard channels
  // on their own, as in Redis.
  [[nodiscard]] size_t count(SubKind kind) const {
    if (kind == SubKind::kShard) return set(kind).size();
    return set(SubKind::kChannel).size() + set(SubKind::kPattern).size();
  }
  // Its names of `kind` (CLIENT LIST's sub, psub, ssub).
  [[nodiscard]] size_t size(SubKind kind) const { return set(kind).size(); }
  // Subscribed to anything: the client is in subscribed mode.
  [[nodiscard]] size_t total() const { return sets_[0].size() + sets_[1].size() + sets_[2].size(); }
  // Its names of `kind`, for UNSUBSCRIBE without arguments and RESET.
  [[nodiscard]] std::vector<std::string> names(SubKind kind) const {
    return {set(kind).begin(), set(kind).end()};
  }

 private:
  using Names = std::unordered_set<std::string, NameHash, std::equal_to<>>;
  Names& set(SubKind kind) { return sets_[static_cast<size_t>(kind)]; }
  [[nodiscard]] const Names& set(SubKind kind) const { return sets_[static_cast<size_t>(kind)]; }

  ClientSession& session_;
  std::array<Names, kSubKinds> sets_;
};

}  // namespace shardis::proxy
