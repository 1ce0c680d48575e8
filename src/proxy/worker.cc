#include "proxy/worker.h"

#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

#include "proxy/listen_address.h"

#if defined(__SANITIZE_ADDRESS__)
#define SHARDIS_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHARDIS_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(SHARDIS_ADDRESS_SANITIZER)
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else
// libasan's own; GCC ships no header for it.
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming)
extern "C" void __sanitizer_purge_allocator();
#endif
#endif

namespace shardis::proxy {

namespace {
// A worker that read at least kBurstBytes since it last trimmed, and less than kQuietBytes
// in the last kTrimCheckMs, gives back what the burst left behind.
constexpr uint64_t kTrimCheckMs = 1000;
constexpr uint64_t kQuietBytes = uint64_t{64} << 10;
constexpr uint64_t kBurstBytes = uint64_t{1} << 20;
// How long a stopping worker waits for replies already owed to its clients.
constexpr uint64_t kDrainTimeoutMs = 3000;
constexpr uint64_t kDrainCheckMs = 20;
constexpr std::string_view kMaxClientsReply = "-ERR max number of clients reached\r\n";

// Gives the allocator's free memory back to the system. Under AddressSanitizer (the build
// the tests run) malloc is the sanitizer's, which keeps freed memory in its quarantine and
// caches until purged.
void trimAllocator() {
#if defined(SHARDIS_ADDRESS_SANITIZER)
  __sanitizer_purge_allocator();
#elif defined(__GLIBC__)
  malloc_trim(0);
#endif
}

resp::Limits limitsOf(const config::ProtocolLimits& limits) {
  resp::Limits out;
  out.max_bulk_len = limits.max_bulk_len;
  out.max_array_len = limits.max_array_len;
  out.max_depth = limits.max_depth;
  out.max_inline_len = limits.max_inline_len;
  return out;
}
}  // namespace

// How long a server out of use waits for the answers to its UNSUBSCRIBEs before it is retired
// anyway (it does not answer: what it still had to push is lost with it).
constexpr uint64_t kRetireWaitMs = 5000;

PoolRuntime::PoolRuntime(Worker& worker_in, uint32_t index_in,
                         std::shared_ptr<const PoolTopology> topology_in)
    : worker(worker_in),
      index(index_in),
      topology(std::move(topology_in)),
      servers(worker_in.loop(), backendSettings(*topology->config, queueLimit())),
      ring(worker_in.loop(), topology, servers, worker_in.shared().ejections[index_in].get()),
      router(*topology->config),
      pubsub(
          worker_in.loop(), [this]() -> backend::ServerPool& { return serverPool(); },
          servers.serverCount(), worker_in.shared().pubsub(index_in), worker_in.stats(), index_in),
      every_server(topology->live) {
  servers.setFailureListener(&ring);
  // Sentinel has not told us of a failover yet (or we missed it): ask it again now, with
  // statistics on or off.
  servers.setWrongRoleHandler([&shared = worker_in.shared()](uint32_t /*server*/) {
    if (shared.on_wrong_role) shared.on_wrong_role();
  });
  // The first topology's replicas (read_from) are the slots after its servers (topology.cc).
  addSlots(*topology);
}

// Slots `topology` has and this worker does not yet: new servers, replicas.
void PoolRuntime::addSlots(const PoolTopology& topology_in) {
  for (auto slot = static_cast<uint32_t>(servers.serverCount()); slot < topology_in.slots.size();
       ++slot) {
    servers.addServer(topology_in.slots[slot]);
    pubsub.addServer();
  }
  worker.stats().ensureServers(index, topology_in.slots.size());
}

// Replicas in turn, each up one taken; none up: `replica` still picks one in turn (the request
// dials it, and gets its error if it cannot), `prefer_replica` reads from the server itself.
uint32_t PoolRuntime::readSlot(uint32_t server) {
  if (server >= topology->replicas.size()) return server;
  const std::vector<uint32_t>& replicas = topology->replicas[server];
  if (replicas.empty()) return server;
  const uint32_t start = next_replica++;
  for (size_t i = 0; i < replicas.size(); ++i) {
    const uint32_t replica = replicas[(start + i) % replicas.size()];
    if (!serverPool().serverDown(replica)) return replica;
  }
  if (config().read_from == config::ReadFrom::kPreferReplica) return server;
  return replicas[start % replicas.size()];
}

uint64_t PoolRuntime::queueLimit() const {
  return worker.shared().config.process.server_queue_limit;
}

void PoolRuntime::prepare(const std::shared_ptr<const PoolTopology>& next,
                          std::function<void()> prepared) {
  preparing = next;
  addSlots(*next);
  for (uint32_t slot = 0; slot < topology->slots.size(); ++slot) {
    if (!topology->inUse(slot) && next->inUse(slot)) servers.revive(slot);
  }
  // Kept by the hub until the switch: it owns what it uses.
  auto next_router = std::make_shared<const Router>(*next->config);
  pubsub.prepare(
      next->live,
      [next, next_router](std::string_view channel) {
        const uint32_t member = next->ring->locate(next_router->hashTag().routingKey(channel));
        return member == hash::Ring::kNoLiveMember ? member : next->live[member];
      },
      std::move(prepared));
}

void PoolRuntime::apply(std::shared_ptr<const PoolTopology> next, std::function<void()> drained) {
  preparing.reset();
  addSlots(*next);  // prepare() added them; a no-op then
  for (uint32_t slot = 0; slot < topology->slots.size(); ++slot) {
    const bool was = topology->inUse(slot);
    const bool is = next->inUse(slot);
    if (!was && is) servers.revive(slot);
    if (was && !is) retiring.push_back(slot);
  }
  servers.updateSettings(backendSettings(*next->config, queueLimit()));
  ring.apply(next);
  router = Router(*next->config);
  every_server = next->live;
  pubsub.setLive(every_server, [this](std::string_view channel) {
    return ring.home(router.hashTag().routingKey(channel));
  });
  topology = std::move(next);
  publishes.close(std::move(drained));
}

// A server out of use is retired once it answered the UNSUBSCRIBEs finishMoves() sent it:
// what it pushed before them (messages published while the workers switched) is delivered.
void PoolRuntime::finish() {
  pubsub.finishMoves();
  for (uint32_t slot : retiring) {
    pubsub.whenQuiet(slot, kRetireWaitMs, [this, slot] {
      // Back in use since, or about to be: a later change prepared with it (revived, its
      // link subscribing again) must not lose it at its switch.
      if (topology->inUse(slot) || (preparing && preparing->inUse(slot))) return;
      pubsub.retire(slot);
      servers.retire(slot);
    });
  }
  retiring.clear();
}

void PoolRuntime::replaceServerPool(backend::ServerPool& fake) {
  assert(fake.serverCount() == servers.serverCount());
  server_pool_ = &fake;
}

void PoolRuntime::onConnection(net::Listener& accepted_on) { worker.accept(*this, accepted_on); }

stats::PoolCounters& PoolRuntime::counters() { return worker.stats().pool(index); }

void PoolRuntime::onRequestSent(uint32_t server, size_t bytes) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  ++counters.requests;
  counters.request_bytes += bytes;
}

void PoolRuntime::onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) {
  worker.stats().recordServerReply(index, server, round_trip_us, bytes);
}

void PoolRuntime::onConnectionOpen(uint32_t server, bool open) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  if (open) {
    ++counters.server_connections;
    ++counters.server_connections_total;
  } else if (counters.server_connections > 0) {
    --counters.server_connections;
  }
}

void PoolRuntime::onConnectionClosed(uint32_t server, backend::CloseCause cause) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  switch (cause) {
    case backend::CloseCause::kTimeout:
      ++counters.server_timedout;
      break;
    case backend::CloseCause::kEof:
      ++counters.server_eof;
      break;
    case backend::CloseCause::kError:
      ++counters.server_err;
      break;
  }
}

// Down and up come from the pool, which tells a timeout (this connection only) from a server
// that cannot be reached; an ejected server stays reported ejected until it returns.
void PoolRuntime::onServerState(uint32_t server, bool up) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  if (counters.state == stats::ServerState::kEjected) return;
  counters.state = up ? stats::ServerState::kUp : stats::ServerState::kDown;
}

void PoolRuntime::onRequestFailed(uint32_t /*server*/, backend::RequestFailure why) {
  counters().countError(why == backend::RequestFailure::kTimeout ? stats::ProxyError::kTimeout
                                                                 : stats::ProxyError::kBackendDown);
}

void PoolRuntime::onQueueChanged(uint32_t server, const backend::QueueDelta& delta) {
  // Deltas are signed; the totals never go below zero, so unsigned wrap-around cancels out.
  stats::ServerCounters& counters = worker.stats().server(index, server);
  counters.in_queue += static_cast<uint64_t>(delta.in_queue);
  counters.in_queue_bytes += static_cast<uint64_t>(delta.in_queue_bytes);
  counters.out_queue += static_cast<uint64_t>(delta.out_queue);
  counters.out_queue_bytes += static_cast<uint64_t>(delta.out_queue_bytes);
}

void PoolRuntime::onLeasesChanged(uint32_t server, size_t in_use, size_t idle) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  counters.leases_in_use = in_use;
  counters.leases_idle = idle;
}

void PoolRuntime::onEjected(uint32_t server, bool ejected, bool decided_here) {
  stats::ServerCounters& counters = worker.stats().server(index, server);
  if (!ejected) {
    counters.state = stats::ServerState::kUp;
    return;
  }
  counters.state = stats::ServerState::kEjected;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  counters.server_ejected_at_us = now.tv_sec * 1000000 + now.tv_nsec / 1000;
  if (decided_here) ++this->counters().server_ejects;
}

Worker::Worker(uint32_t index, SharedState& shared, const Topology& topology, stats::StatsHub* hub)
    : index_(index),
      shared_(shared),
      limits_(limitsOf(shared.config.process.limits)),
      stats_(shared.config),
      hub_(hub) {
  for (uint32_t i = 0; i < topology.size(); ++i) {
    pools_.push_back(std::make_unique<PoolRuntime>(*this, i, topology[i]));
    if (counting()) {
      pools_.back()->servers.setObserver(pools_.back().get());
      pools_.back()->ring.setObserver(pools_.back().get());
    }
  }
  if (hub != nullptr)
    publisher_ = std::make_unique<stats::StatsPublisher>(loop_, *hub, index, stats_);
  stop_wakeup_ = net::Wakeup::create(loop_, [this] { beginStop(); });
  kill_wakeup_ = net::Wakeup::create(loop_, [this] { runKills(); });
  topology_wakeup_ = net::Wakeup::create(loop_, [this] { applyPosted(); });
}

void Worker::post(TopologyStep step, Topology topology, std::vector<int> listen_fds,
                  std::shared_ptr<Countdown> applied) {
  {
    std::lock_guard<std::mutex> hold(post_mutex_);
    posted_.push_back(Posted{step, std::move(topology), std::move(listen_fds), std::move(applied)});
  }
  topology_wakeup_->send();
}

// On the loop, between two callbacks: no request is half routed.
void Worker::applyPosted() {
  std::vector<Posted> posted;
  {
    std::lock_guard<std::mutex> hold(post_mutex_);
    posted.swap(posted_);
  }
  for (Posted& each : posted) {
    switch (each.step) {
      case TopologyStep::kPrepare:
        prepare(each.topology, each.applied);
        continue;  // `applied` is told once the servers confirmed
      case TopologyStep::kSwitch:
        switchTo(each.topology, each.listen_fds, each.applied);
        continue;  // told once the PUBLISHes routed by the old topology are answered
      case TopologyStep::kFinish:
        for (auto& pool : pools_) pool->finish();
        break;
    }
    if (each.applied) each.applied->done();
  }
}

namespace {
// What each of `pools` pools calls once its part of a step is done; `applied` (may be null) is
// told when the last one has.
std::function<void()> eachPoolDone(size_t pools, const std::shared_ptr<Countdown>& applied) {
  auto left = std::make_shared<size_t>(pools);
  return [left, applied] {
    if (--*left == 0 && applied) applied->done();
  };
}
}  // namespace

// Told once, when every pool's pub/sub has its new subscriptions confirmed.
void Worker::prepare(const Topology& topology, const std::shared_ptr<Countdown>& applied) {
  auto one_prepared = eachPoolDone(pools_.size(), applied);
  for (uint32_t p = 0; p < pools_.size(); ++p) pools_[p]->prepare(topology[p], one_prepared);
}

// Told once, when no PUBLISH routed by the old topology is still on its way (publish_fence.h).
void Worker::switchTo(const Topology& topology, const std::vector<int>& listen_fds,
                      const std::shared_ptr<Countdown>& applied) {
  auto one_drained = eachPoolDone(pools_.size(), applied);
  for (uint32_t p = 0; p < pools_.size(); ++p) {
    pools_[p]->apply(topology[p], one_drained);
    const int fd = p < listen_fds.size() ? listen_fds[p] : -1;
    std::string error;
    if (fd < 0) continue;
    if (stopping_) {
      ::close(fd);
    } else if (!listen(p, fd, error)) {
      spdlog::error("pool '{}': cannot listen on {}: {}", pools_[p]->config().name,
                    pools_[p]->config().listen.text, error);
    }
  }
}

Worker::~Worker() {
  // run() normally leaves nothing behind; this covers a worker that never ran.
  finish();
}

bool Worker::listen(uint32_t pool, int fd, std::string& error) {
  PoolRuntime& runtime = *pools_[pool];
  runtime.listener = net::Listener::open(loop_, listenAddressOf(runtime.config().listen), fd,
                                         runtime.config().backlog, &runtime, error);
  return runtime.listener != nullptr;
}

void Worker::run() {
  // "shardis-w0", "shardis-w1" ...: what top -H, perf and /proc/PID/task show per worker.
  std::string name = "shardis-w" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // Linux's limit: 15 chars
  for (auto& pool : pools_) {
    if (pool->config().preconnect) pool->servers.preconnect();
  }
  trim_timer_ = net::Timer::create(loop_, [this] { trimWhenIdle(); });
  trim_timer_->start(kTrimCheckMs, kTrimCheckMs);
  loop_.run();
  spdlog::debug("worker {} stopped", index_);
}

void Worker::requestStop() { stop_wakeup_->send(); }

// What a burst leaves behind once it is over: the worker's spare output chunks and request
// entries, and the memory the allocator keeps after everything was freed (glibc keeps freed
// heap memory, and 64 KiB chunks come from the heap). Nothing here is in use by then, and the
// next burst allocates it again; a steady load never looks quiet, so it never pays for this.
void Worker::trimWhenIdle() {
  uint64_t read = loop_.readBytes();
  uint64_t last_second = read - read_bytes_checked_;
  read_bytes_checked_ = read;
  read_since_trim_ += last_second;
  if (last_second >= kQuietBytes || read_since_trim_ < kBurstBytes) return;
  read_since_trim_ = 0;
  loop_.releaseSpareChunks();
  pending_free_.releaseSpare();
  request_decoder_ = resp::RequestDecoder(limits_);
  trimAllocator();
}

void Worker::accept(PoolRuntime& pool, net::Listener& listener) {
  if (stopping_) return;
  uint32_t max_clients = shared_.config.process.max_clients;
  uint32_t pool_limit = pool.config().client_connections;
  uint32_t total = shared_.clients.fetch_add(1, std::memory_order_relaxed) + 1;
  uint32_t in_pool = shared_.pool_clients[pool.index].fetch_add(1, std::memory_order_relaxed) + 1;
  if ((max_clients != 0 && total > max_clients) || (pool_limit != 0 && in_pool > pool_limit)) {
    shared_.clients.fetch_sub(1, std::memory_order_relaxed);
    shared_.pool_clients[pool.index].fetch_sub(1, std::memory_order_relaxed);
    reject(pool, listener);
    return;
  }
  auto kind = pool.config().listen.kind == config::ListenAddress::Kind::kUnix
                  ? net::Stream::Kind::kUnix
                  : net::Stream::Kind::kTcp;
  uint64_t id = shared_.next_client_id.fetch_add(1, std::memory_order_relaxed);
  auto session = std::make_unique<ClientSession>(loop_, kind, id, pool, shared_, *this);
  ClientSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  ++pool.counters().client_connections;
  ++pool.counters().client_connections_total;
  if (listener.accept(raw->stream()) != 0) {
    raw->close();
    return;
  }
  raw->start();
}

void Worker::reject(PoolRuntime& pool, net::Listener& listener) {
  shared_.rejected_clients.fetch_add(1, std::memory_order_relaxed);
  if (loop_.now() >= next_reject_log_ms_) {
    next_reject_log_ms_ = loop_.now() + 1000;
    spdlog::warn("pool '{}': refusing clients: max_clients ({}) or client_connections ({}) reached",
                 pool.config().name, shared_.config.process.max_clients,
                 pool.config().client_connections);
  }
  auto kind = listener.address().kind == net::ListenAddress::Kind::kUnix ? net::Stream::Kind::kUnix
                                                                         : net::Stream::Kind::kTcp;
  net::StreamPtr stream = net::Stream::create(loop_, kind, nullptr);
  if (listener.accept(*stream) != 0) return;
  stream->write(kMaxClientsReply);
  stream->closeAfterWrites();
  (void)stream.release();  // frees itself once the reply is written
}

void Worker::retire(ClientSession& session) {
  shared_.registry.remove(session.id());
  shared_.clients.fetch_sub(1, std::memory_order_relaxed);
  shared_.pool_clients[session.pool().index].fetch_sub(1, std::memory_order_relaxed);
  stats::PoolCounters& counters = session.pool().counters();
  if (counters.client_connections > 0) --counters.client_connections;
  ClientSession* key = &session;
  // The session is somewhere up the call stack: free it once the stack has unwound.
  loop_.defer([this, key] { sessions_.erase(key); });
}

void Worker::requestKill(uint64_t client_id) {
  {
    std::lock_guard lock(kill_mutex_);
    kills_.push_back(client_id);
  }
  kill_wakeup_->send();
}

void Worker::runKills() {
  std::vector<uint64_t> kills;
  {
    std::lock_guard lock(kill_mutex_);
    kills.swap(kills_);
  }
  // Sorted, so that killing every client (CLIENT KILL SKIPME yes) stays linear-logarithmic.
  std::sort(kills.begin(), kills.end());
  std::vector<ClientSession*> victims;
  for (auto& [raw, owned] : sessions_) {
    if (std::binary_search(kills.begin(), kills.end(), raw->id())) victims.push_back(raw);
  }
  for (ClientSession* victim : victims) victim->close();
}

void Worker::beginStop() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& pool : pools_) pool->listener.reset();
  std::vector<ClientSession*> sessions;
  for (auto& [raw, owned] : sessions_) sessions.push_back(raw);
  for (ClientSession* session : sessions) session->drain();
  drain_deadline_ms_ = loop_.now() + kDrainTimeoutMs;
  drain_timer_ = net::Timer::create(loop_, [this] { checkDrained(); });
  drain_timer_->start(kDrainCheckMs, kDrainCheckMs);
}

void Worker::checkDrained() {
  if (!sessions_.empty() && loop_.now() < drain_deadline_ms_) return;
  if (!sessions_.empty()) {
    spdlog::warn("worker {}: {} clients still waiting after {} ms; closing them", index_,
                 sessions_.size(), kDrainTimeoutMs);
  }
  finish();
}

void Worker::finish() {
  std::vector<ClientSession*> sessions;
  for (auto& [raw, owned] : sessions_) sessions.push_back(raw);
  for (ClientSession* session : sessions) session->close();
  for (auto& pool : pools_) {
    pool->listener.reset();
    pool->ring.shutdown();
    pool->pubsub.stop();
    pool->servers.shutdown();
    pool->servers.setObserver(nullptr);
    pool->ring.setObserver(nullptr);
  }
  if (publisher_) {
    publisher_->publishNow();
    publisher_->close();
  }
  drain_timer_.reset();
  trim_timer_.reset();
  stop_wakeup_.reset();
  kill_wakeup_.reset();
  topology_wakeup_.reset();
  {
    // Sockets of a listen change that came too late to be used.
    std::lock_guard<std::mutex> hold(post_mutex_);
    for (Posted& each : posted_) {
      for (int fd : each.listen_fds) {
        if (fd >= 0) ::close(fd);
      }
      if (each.applied) each.applied->done();
    }
    posted_.clear();
  }
  // With every handle closing, the loop runs the close callbacks and run() returns.
}

}  // namespace shardis::proxy

namespace shardis::proxy {

void PoolRuntime::adopt(std::unique_ptr<BlockRun> run) { orphans_.push_back(std::move(run)); }

void PoolRuntime::forget(BlockRun& run) {
  worker.loop().defer([this, &run] {
    std::erase_if(orphans_,
                  [&run](const std::unique_ptr<BlockRun>& each) { return each.get() == &run; });
  });
}

}  // namespace shardis::proxy
