// Worker: one thread's share of the proxy. Owns a Loop, and on it: per pool a listener, the
// backend connections (ConnectionPool), the ring with its ejections (PoolRing) and the Router; and
// every ClientSession it accepted. Nothing here is touched by another thread except through
// requestStop() (a uv_async) and SharedState's atomics. serve() builds the workers, runs each on
// its own thread and joins them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/connection_pool.h"
#include "net/async.h"
#include "net/listener.h"
#include "net/loop.h"
#include "net/timer.h"
#include "proxy/block_run.h"
#include "proxy/client_session.h"
#include "proxy/fanout.h"
#include "proxy/merger.h"
#include "proxy/pool_ring.h"
#include "proxy/publish_fence.h"
#include "proxy/pubsub_hub.h"
#include "proxy/router.h"
#include "proxy/shared_state.h"
#include "proxy/topology.h"
#include "stats/counters.h"
#include "stats/hub.h"

namespace shardis::proxy {

class Worker;

// One pool as one worker sees it.
struct PoolRuntime final : ServerLocator,
                           ServerNames,
                           net::ListenerEvents,
                           backend::ServerObserver,
                           EjectionObserver {
  PoolRuntime(Worker& worker_in, uint32_t index_in, std::shared_ptr<const PoolTopology> topology);

  // The pool's options and servers as of the topology this worker applied last.
  [[nodiscard]] const config::Pool& config() const { return *topology->config; }
  // Where a read-only command for `server` goes under `read_from` (topology.h's replicas):
  // one of its replicas in turn, skipping those down, or `server` itself.
  uint32_t readSlot(uint32_t server);
  [[nodiscard]] bool readsFromReplicas() const {
    return config().read_from != config::ReadFrom::kMaster;
  }
  // The epoch of the live server list (SCAN cursors carry it).
  [[nodiscard]] uint32_t listEpoch() const { return topology->list_epoch; }
  // A new topology, in TopologyStep's order. prepare(): new servers get a backend slot, and
  // pub/sub subscribes where the new topology will need it; `prepared` is called once the
  // servers confirmed. apply(): switches between two requests (the ring, options, router).
  // `drained` is called once every PUBLISH routed before it is answered (publish_fence.h).
  // finish(): servers no longer in use are retired (drained), and pub/sub leaves old homes.
  void prepare(const std::shared_ptr<const PoolTopology>& next, std::function<void()> prepared);
  void apply(std::shared_ptr<const PoolTopology> topology, std::function<void()> drained);
  void finish();

  uint32_t locate(std::string_view routing_key) override {
    ring.refresh();
    return ring.locate(routing_key);
  }
  [[nodiscard]] const std::string& serverName(uint32_t server) const override {
    return server_pool_->serverName(server);
  }
  [[nodiscard]] size_t serverCount() const override { return server_pool_->serverCount(); }
  // The backend as this pool's requests reach it (one virtual call per send): `servers`, or
  // the fake a unit test put in its place.
  backend::ServerPool& serverPool() { return *server_pool_; }
  // server_queue_limit, the process's (not reloaded).
  [[nodiscard]] uint64_t queueLimit() const;
  // Tests: requests go to `fake` from now on (as many servers as the config, and outliving
  // this pool's sessions). Whoever sets it shuts it down; the ring still probes `servers`.
  void replaceServerPool(backend::ServerPool& fake);
  // How long a request to this pool's servers may wait for its reply (0 = no limit): the
  // pool's timeout, plus `hold_ms` the server holds it on purpose (WAIT's timeout).
  uint64_t requestTimeoutMs(uint64_t hold_ms = 0) const {
    const int64_t timeout_ms = config().timeout_ms;
    return timeout_ms > 0 ? static_cast<uint64_t>(timeout_ms) + hold_ms : 0;
  }
  void onConnection(net::Listener& listener) override;
  // backend::ServerObserver: the worker's server counters.
  void onRequestSent(uint32_t server, size_t bytes) override;
  void onReplyRead(uint32_t server, uint64_t round_trip_us, size_t bytes) override;
  void onConnectionOpen(uint32_t server, bool open) override;
  void onConnectionClosed(uint32_t server, backend::CloseCause cause) override;
  void onServerState(uint32_t server, bool up) override;
  void onRequestFailed(uint32_t server, backend::RequestFailure why) override;
  void onQueueChanged(uint32_t server, const backend::QueueDelta& delta) override;
  void onLeasesChanged(uint32_t server, size_t in_use, size_t idle) override;
  // EjectionObserver
  void onEjected(uint32_t server, bool ejected, bool decided_here) override;
  stats::PoolCounters& counters();

  Worker& worker;
  uint32_t index;
  // The topology applied last (apply()); before the members built from it.
  std::shared_ptr<const PoolTopology> topology;
  // The real backend, which the worker starts (preconnect), observes and shuts down.
  backend::ConnectionPool servers;
  PoolRing ring;  // after `servers`, which it probes
  Router router;
  // The worker's subscriptions to this pool's servers (after `servers`, whose subscriber
  // connections it uses).
  PubSubHub pubsub;
  // The PUBLISHes in flight, by the topology that routed them.
  PublishFence publishes;
  // Scratch for the requests of this pool that become several sub-commands (one request is
  // encoded at a time per worker, so one of each is enough).
  Splitter splitter;
  // The live slots in ring order: the parts of a whole-keyspace command.
  std::vector<uint32_t> every_server;
  // Slots the switch took out of use, retired by finish().
  std::vector<uint32_t> retiring;
  // The topology prepare() took and apply() has not yet: from kPrepare to kSwitch.
  std::shared_ptr<const PoolTopology> preparing;
  std::vector<std::string_view> argv_scratch;
  // A request re-encoded for the server (an inline one as multibulk, SCAN with the server's
  // cursor); the connection copies it, so one serves every session of the worker.
  std::string request_scratch;
  net::ListenerPtr listener;
  // The lowest version the servers gave when last asked (INFO, HELLO): what a HELLO run by
  // EXEC reports. Empty until asked.
  std::string servers_version;
  uint32_t next_replica = 0;  // readSlot()'s turn

  // Gives the backend, the hub and the counters the slots `topology` adds.
  void addSlots(const PoolTopology& topology);
  // A blocking command whose client has gone, or that is still giving its connections back
  // after answering: kept until every connection is back (BlockRun::settled()).
  void adopt(std::unique_ptr<BlockRun> run);
  // Called by an adopted run once settled; it is freed on the loop's next turn.
  void forget(BlockRun& run);

 private:
  backend::ServerPool* server_pool_ = &servers;
  std::vector<std::unique_ptr<BlockRun>> orphans_;  // freed before `servers`
};

class Worker final : public SessionOwner, public KillSink {
 public:
  // `topology`: the first one, shared by every worker.
  // `hub` (may be null) receives this worker's counters once a second.
  Worker(uint32_t index, SharedState& shared, const Topology& topology, stats::StatsHub* hub);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Takes ownership of `fd`, a listening socket for pool `pool`. False and `error` on failure.
  bool listen(uint32_t pool, int fd, std::string& error);
  // The thread body: serves until requestStop() and the drain that follows are done.
  void run();
  // Any thread: stop accepting, let replies in flight finish (bounded), then return from run().
  void requestStop();
  // Any thread: this worker takes `step` of the change to `topology` between two requests;
  // at kSwitch pool p also listens on `listen_fds[p]` instead of its current socket where
  // that is not -1 (a changed `listen`: the old listener closes, its clients stay). `applied`
  // is told once the step is done.
  void post(TopologyStep step, Topology topology, std::vector<int> listen_fds,
            std::shared_ptr<Countdown> applied);

  void accept(PoolRuntime& pool, net::Listener& listener);
  // Pool `index` as this worker runs it (sessions made without a listener: fuzz/).
  PoolRuntime& pool(uint32_t index) { return *pools_[index]; }
  void retire(ClientSession& session) override;
  // Any thread: close client `client_id` if this worker serves it (CLIENT KILL).
  void requestKill(uint64_t client_id) override;
  const resp::Limits& limits() const { return limits_; }
  net::Loop& loop() { return loop_; }
  stats::WorkerStats& stats() { return stats_; }
  // Where client reads land (one read callback runs at a time per loop); see ClientSession.
  std::string& readScratch() { return read_scratch_; }
  // Decodes client input that starts at a request boundary (see ClientSession::readBuffer).
  resp::RequestDecoder& requestDecoder() { return request_decoder_; }
  // Spare PendingQueue entries of every session of this worker.
  PendingFreeList& pendingFreeList() { return pending_free_; }
  SharedState& shared() { return shared_; }
  stats::StatsHub* hub() { return hub_; }
  // Whether requests are counted (`--stats off` runs without: the bench measures the cost).
  bool counting() const { return hub_ != nullptr; }
  // This worker's live client sessions (CLIENT LIST / KILL see these only).
  template <typename Visit>
  void forEachSession(Visit visit) {
    for (auto& [raw, owned] : sessions_) {
      if (!raw->retired()) visit(*raw);
    }
  }

 private:
  void beginStop();
  void runKills();
  void applyPosted();
  void prepare(const Topology& topology, const std::shared_ptr<Countdown>& applied);
  void switchTo(const Topology& topology, const std::vector<int>& listen_fds,
                const std::shared_ptr<Countdown>& applied);
  void checkDrained();
  void finish();
  void reject(PoolRuntime& pool, net::Listener& listener);
  void trimWhenIdle();

  uint32_t index_;
  SharedState& shared_;
  resp::Limits limits_;
  net::Loop loop_;
  stats::WorkerStats stats_;
  stats::StatsHub* hub_;
  std::string read_scratch_ = std::string(size_t{64} * 1024, '\0');
  resp::RequestDecoder request_decoder_{limits_};
  PendingFreeList pending_free_;  // outlives the sessions and connections below
  std::unique_ptr<stats::StatsPublisher> publisher_;
  std::vector<std::unique_ptr<PoolRuntime>> pools_;
  std::unordered_map<ClientSession*, std::unique_ptr<ClientSession>> sessions_;
  net::WakeupPtr stop_wakeup_;
  net::WakeupPtr kill_wakeup_;
  uint64_t next_reject_log_ms_ = 0;  // refusals are logged at most once a second per worker
  std::mutex kill_mutex_;
  std::vector<uint64_t> kills_;  // client ids to close, from other threads
  struct Posted {
    TopologyStep step;
    Topology topology;
    std::vector<int> listen_fds;
    std::shared_ptr<Countdown> applied;
  };
  std::mutex post_mutex_;
  std::vector<Posted> posted_;  // topologies from other threads, in the order posted
  net::WakeupPtr topology_wakeup_;
  net::TimerPtr drain_timer_;
  // Memory returned after a burst: loop_.readBytes() at the last check, and since the last
  // trim.
  net::TimerPtr trim_timer_;
  uint64_t read_bytes_checked_ = 0;
  uint64_t read_since_trim_ = 0;
  uint64_t drain_deadline_ms_ = 0;
  bool stopping_ = false;
};

}  // namespace shardis::proxy
