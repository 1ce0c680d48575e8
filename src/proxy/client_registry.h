// ClientRegistry: every client of the process, whichever worker serves it, so that CLIENT
// LIST and CLIENT KILL see all the clients of a pool. Pools are separate tenants: the readers
// below take a pool and never see another pool's clients. A session registers when it starts
// and leaves when it is retired; CLIENT SETNAME updates its name. Each of these takes the lock
// once, never on the path of an ordinary request. A kill is handed to the owning worker
// (KillSink), which closes the session on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shardis::proxy {

// A worker's way to receive kills from other threads (Worker).
class KillSink {
 public:
  virtual void requestKill(uint64_t client_id) = 0;

 protected:
  ~KillSink() = default;
};

struct ClientEntry {
  uint64_t id = 0;
  std::string addr;
  std::string laddr;
  std::string name;
  int fd = -1;
  uint32_t pool = 0;  // index in the config
  uint64_t created_ms = 0;
  KillSink* owner = nullptr;
  // Set by kill() at once, before the owner closes the session on its own thread: a blocked
  // client's popped element is then put back rather than handed to a client being killed.
  std::atomic<bool>* kill_requested = nullptr;
  // Set by its session while the client is in subscribed mode (Redis's pubsub class, for
  // CLIENT LIST TYPE and CLIENT KILL TYPE on any worker). The session it points into may go
  // once the lock is released: a copy (find(), inPool()) has it null, and `pubsub` read.
  std::atomic<bool>* subscribed = nullptr;
  bool pubsub = false;

  // The class, from the registry's own entry (under its lock) or from a copy.
  [[nodiscard]] bool inPubSub() const {
    return subscribed != nullptr ? subscribed->load() : pubsub;
  }
  // What may be read without the registry's lock.
  [[nodiscard]] ClientEntry copy() const {
    ClientEntry out = *this;
    out.pubsub = inPubSub();
    out.subscribed = nullptr;
    out.kill_requested = nullptr;
    return out;
  }
};

class ClientRegistry {
 public:
  void add(const ClientEntry& entry) {
    std::lock_guard lock(mutex_);
    clients_[entry.id] = entry;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    clients_.erase(id);
  }
  void rename(uint64_t id, const std::string& name) {
    std::lock_guard lock(mutex_);
    auto found = clients_.find(id);
    if (found != clients_.end()) found->second.name = name;
  }
  // Asks the owners of the clients of `pool` that `match` accepts to close them, except `self`
  // (whose session closes itself after its reply); returns how many matched, self included.
  // The owners are called under the lock: a worker's clients leave the registry before the
  // worker goes away, so an owner found here is alive.
  template <typename Match>
  size_t kill(uint32_t pool, Match match, uint64_t self) {
    std::lock_guard lock(mutex_);
    size_t matched = 0;
    for (const auto& [id, entry] : clients_) {
      if (entry.pool != pool || !match(entry)) continue;
      ++matched;
      if (id == self) continue;
      if (entry.kill_requested != nullptr) entry.kill_requested->store(true);
      entry.owner->requestKill(id);
    }
    return matched;
  }
  // A copy of client `id`'s entry (CLIENT INFO, a slow log entry): nullopt if it never
  // registered.
  std::optional<ClientEntry> find(uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto found = clients_.find(id);
    if (found == clients_.end()) return std::nullopt;
    return found->second.copy();
  }
  // A copy of the entries of `pool`, in id order.
  std::vector<ClientEntry> inPool(uint32_t pool) const {
    std::lock_guard lock(mutex_);
    std::vector<ClientEntry> out;
    out.reserve(clients_.size());
    for (const auto& [id, entry] : clients_) {
      if (entry.pool == pool) out.push_back(entry.copy());
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, ClientEntry> clients_;
};

}  // namespace shardis::proxy
