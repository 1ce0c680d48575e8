#include "proxy/pubsub_registry.h"

#include <algorithm>

#include "proxy/glob_match.h"

namespace shardis::proxy {

void PubSubRegistry::addClients(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, Count{delta, 0, 0});
}

void PubSubRegistry::addUpstream(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, Count{0, delta, 0});
}

void PubSubRegistry::addLeaving(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, Count{0, 0, delta});
}

void PubSubRegistry::addUpstreamLeaving(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, Count{0, delta, delta});
}

void PubSubRegistry::addClientsUpstream(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, Count{delta, delta, 0});
}

void PubSubRegistry::leftUpstream(SubKind kind, std::string_view name) {
  if (kind == SubKind::kShard) return addUpstreamLeaving(kind, name, -1);
  std::lock_guard lock(mutex_);
  eras_.back().kind = kind;
  eras_.back().left = name;
  eras_.emplace_back();
  endErasLocked();
}

PubSubRegistry::PublishTicket PubSubRegistry::publishing() {
  std::lock_guard lock(mutex_);
  ++eras_.back().tickets;
  return PublishTicket(this, first_era_ + eras_.size() - 1);
}

void PubSubRegistry::published(uint64_t era) {
  std::lock_guard lock(mutex_);
  --eras_[era - first_era_].tickets;
  endErasLocked();
}

// Eras end oldest first, and the current one never does.
void PubSubRegistry::endErasLocked() {
  while (eras_.size() > 1 && eras_.front().tickets == 0) {
    const Era& era = eras_.front();
    addLocked(era.kind, era.left, Count{0, -1, -1});
    eras_.pop_front();
    ++first_era_;
  }
}

void PubSubRegistry::add(SubKind kind, std::string_view name, Count delta) {
  std::lock_guard lock(mutex_);
  addLocked(kind, name, delta);
}

// An entry lives while anything counts it, so the maps hold only live subscriptions.
void PubSubRegistry::addLocked(SubKind kind, std::string_view name, Count delta) {
  Counts& counts = counts_[static_cast<size_t>(kind)];
  auto it = counts.find(name);
  if (it == counts.end()) it = counts.emplace(std::string(name), Count{}).first;
  Count& count = it->second;
  count.clients += delta.clients;
  count.upstream += delta.upstream;
  count.leaving += delta.leaving;
  if (count.clients == 0 && count.upstream == 0 && count.leaving == 0) counts.erase(it);
}

int64_t PubSubRegistry::correctionOf(const Counts& counts, std::string_view name) {
  auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second.clients - it->second.upstream;
}

int64_t PubSubRegistry::correction(SubKind kind, std::string_view name) {
  std::lock_guard lock(mutex_);
  return correctionOf(counts_[static_cast<size_t>(kind)], name);
}

int64_t PubSubRegistry::publishReceivers(std::string_view channel, int64_t receivers) {
  Count total;
  {
    std::lock_guard lock(mutex_);
    auto addUp = [&total](const Count& count) {
      total.clients += count.clients;
      total.upstream += count.upstream;
      total.leaving += count.leaving;
    };
    const Counts& channels = counts_[static_cast<size_t>(SubKind::kChannel)];
    if (auto it = channels.find(channel); it != channels.end()) addUp(it->second);
    for (const auto& [pattern, count] : counts_[static_cast<size_t>(SubKind::kPattern)]) {
      if (globMatch(pattern, channel)) addUp(count);
    }
  }
  const int64_t standing = total.upstream - total.leaving;
  const int64_t leaving_counted = std::clamp<int64_t>(receivers - standing, 0, total.leaving);
  // Never below zero, whatever a subscription changing meanwhile did to the figures.
  return std::max<int64_t>(0, receivers - standing - leaving_counted + total.clients);
}

size_t PubSubRegistry::active(SubKind kind) {
  std::lock_guard lock(mutex_);
  size_t count = 0;
  for (const auto& [name, each] : counts_[static_cast<size_t>(kind)]) count += each.clients > 0;
  return count;
}

}  // namespace shardis::proxy
