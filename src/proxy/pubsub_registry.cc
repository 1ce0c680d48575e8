#include "proxy/pubsub_registry.h"

#include "proxy/glob_match.h"

namespace shardis::proxy {

void PubSubRegistry::addClients(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, delta, 0);
}

void PubSubRegistry::addUpstream(SubKind kind, std::string_view name, int64_t delta) {
  add(kind, name, 0, delta);
}

// An entry lives while anything counts it, so the maps hold only live subscriptions.
void PubSubRegistry::add(SubKind kind, std::string_view name, int64_t clients, int64_t upstream) {
  std::lock_guard lock(mutex_);
  Counts& counts = counts_[static_cast<size_t>(kind)];
  auto it = counts.find(name);
  if (it == counts.end()) it = counts.emplace(std::string(name), Count{}).first;
  it->second.clients += clients;
  it->second.upstream += upstream;
  if (it->second.clients == 0 && it->second.upstream == 0) counts.erase(it);
}

int64_t PubSubRegistry::correctionOf(const Counts& counts, std::string_view name) {
  auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second.clients - it->second.upstream;
}

int64_t PubSubRegistry::correction(SubKind kind, std::string_view name) {
  std::lock_guard lock(mutex_);
  return correctionOf(counts_[static_cast<size_t>(kind)], name);
}

int64_t PubSubRegistry::publishCorrection(std::string_view channel) {
  std::lock_guard lock(mutex_);
  int64_t total = correctionOf(counts_[static_cast<size_t>(SubKind::kChannel)], channel);
  for (const auto& [pattern, count] : counts_[static_cast<size_t>(SubKind::kPattern)]) {
    if (globMatch(pattern, channel)) total += count.clients - count.upstream;
  }
  return total;
}

size_t PubSubRegistry::active(SubKind kind) {
  std::lock_guard lock(mutex_);
  size_t count = 0;
  for (const auto& [name, each] : counts_[static_cast<size_t>(kind)]) count += each.clients > 0;
  return count;
}

}  // namespace shardis::proxy
