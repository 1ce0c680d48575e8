// serve(): opens the listening sockets, starts one Worker per thread and waits for SIGTERM or
// SIGINT; then every worker stops accepting, finishes the replies it owes (a few seconds at
// most) and returns, and serve() returns 0. Meanwhile SIGHUP reopens the log file (logrotate)
// and reloads the configuration, SIGUSR1 reloads it (twemproxy's signal; reload.h), SIGTTIN/
// SIGTTOU make the log more or less verbose, as in twemproxy, and SIGUSR2 is logged and
// otherwise ignored.
//
// Signals are blocked in every thread and taken synchronously by this one with sigtimedwait(), so
// no handler runs on a worker thread in the middle of the data path, and the work a signal
// asks for runs as ordinary code on this thread (no async-signal-safety limits). See
// app/signals.h for the set and for the fatal signals.
#include "app/serve.h"

#include <sys/resource.h>
#include <unistd.h>
#include <csignal>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/cpus.h"
#include "app/listen_sockets.h"
#include "app/logging.h"
#include "app/master_follower.h"
#include "app/reload.h"
#include "app/sentinel_monitor.h"
#include "app/signals.h"
#include "net/listener.h"
#include "proxy/listen_address.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"
#include "stats/hub.h"
#include "stats/stats_server.h"

namespace shardis::app {

namespace {

int threadCount(const config::Config& config, const Options& options) {
  if (options.threads > 0) return options.threads;
  if (config.process.threads > 0) return config.process.threads;
  CpuLimits limits = readCpuLimits();
  unsigned cpus = usableCpus(limits);
  spdlog::info("one worker per usable CPU: {} (affinity {}, cgroup quota {})", cpus,
               limits.affinity, limits.quota ? fmt::format("{:g}", *limits.quota) : "none");
  return static_cast<int>(cpus);
}

// Gives each worker its listening socket for each pool (listen_sockets.h).
bool openListeners(const config::Config& config,
                   std::vector<std::unique_ptr<proxy::Worker>>& workers) {
  for (uint32_t p = 0; p < config.pools.size(); ++p) {
    const config::Pool& pool = config.pools[p];
    std::vector<int> fds;
    std::string error;
    bool listening = openPoolSockets(pool, workers.size(), fds, error);
    for (size_t w = 0; listening && w < workers.size(); ++w) {
      listening = workers[w]->listen(p, fds[w], error);
      if (!listening) {
        for (size_t rest = w + 1; rest < fds.size(); ++rest) ::close(fds[rest]);
      }
    }
    if (!listening) {
      spdlog::critical("pool '{}': {}", pool.name, error);
      return false;
    }
    spdlog::info("pool '{}' listening on {} ({} server(s))", pool.name, pool.listen.text,
                 pool.servers.size());
  }
  return true;
}

// Every client and backend connection is a descriptor: take the hard limit, so that the
// default max_clients (10,000) fits without the operator raising `ulimit -n` first.
void raiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the descriptor limit");
}

stats::Identity identity() {
  stats::Identity identity;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) identity.source = host;
#ifdef SHARDIS_VERSION
  identity.version = SHARDIS_VERSION;
#endif
  return identity;
}

stats::AdminActions adminActions(Reloader& reloader) {
  stats::AdminActions actions;
  actions.reload = [&reloader] {
    stats::HttpResponse response;
    ReloadResult result = reloader.reload("POST /reload");
    if (result.applied) {
      response.body = "OK\n";
    } else {
      response.status = 400;
      response.body = result.message + "\n";
    }
    return response;
  };
  return actions;
}

// Takes the signals serve() blocked, one at a time, until SIGTERM or SIGINT.
void waitForStop(const sigset_t& signals, Reloader& reloader) {
  for (;;) {
    const timespec flush_interval{1, 0};
    int received = sigtimedwait(&signals, nullptr, &flush_interval);
    if (received < 0) {
      // EAGAIN: a quiet second, a good time to push out buffered debug lines.
      spdlog::default_logger_raw()->flush();
      continue;
    }
    switch (received) {
      case SIGHUP: {
        std::string error;
        if (reopenLogFile(error)) {
          spdlog::info("received SIGHUP; log file reopened");
        } else {
          // Into the file still open (renamed, perhaps), and to stderr, which may be watched.
          spdlog::error("received SIGHUP; {}; still writing to the file already open", error);
          std::fprintf(stderr, "shardis: %s\n", error.c_str());
        }
        static_cast<void>(reloader.reload("SIGHUP"));
        break;
      }
      case SIGTTIN:
      case SIGTTOU:
        // warn, so that the change shows at the default level either way.
        spdlog::warn("received {}; log level is now {}", signalName(received),
                     stepLogLevel(received == SIGTTIN));
        break;
      case SIGUSR1:  // twemproxy's reload signal
        static_cast<void>(reloader.reload("SIGUSR1"));
        break;
      case SIGUSR2:
        // Its default action would kill the proxy.
        spdlog::warn("received SIGUSR2; ignored: shardis gives it no meaning");
        break;
      default:
        spdlog::info("received {}; finishing replies in flight", signalName(received));
        return;
    }
  }
}

}  // namespace

int serve(const config::Config& config, const Options& options) {
  // A client that hangs up while a reply is being written must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  raiseDescriptorLimit();
  // main() blocked them already, before the pid file said we are here; again for any other
  // caller, before the first thread starts.
  blockControlSignals();
  const sigset_t signals = controlSignals();

  proxy::SharedState shared(config);
  proxy::TopologyOwner topology(config);
  const int threads = threadCount(config, options);
  stats::StatsHub hub(config, static_cast<size_t>(threads), identity());
  // --stats off: no worker publishes, and there is nothing to serve on the stats ports.
  stats::StatsHub* publish_to = options.stats ? &hub : nullptr;
  std::vector<std::unique_ptr<proxy::Worker>> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<proxy::Worker>(static_cast<uint32_t>(i), shared,
                                                      topology.current(), publish_to));
  }
  TopologyPublisher publisher(topology, workers, hub);
  // Follows the sentinel pools' masters and their healthy replicas into new topologies, and
  // the pools a reload changes; started before anything can ask for a reload.
  MasterFollower follower(publisher);
  SentinelMonitor sentinel_monitor;
  Reloader reloader(config, publisher, hub, [&sentinel_monitor](const config::Config& applied) {
    sentinel_monitor.follow(applied);
  });
  auto follow = [&follower](uint32_t pool, const std::string& server, const std::string& host,
                            uint16_t port) { follower.onMasterChanged(pool, server, host, port); };
  auto follow_replicas = [&follower](uint32_t pool, const std::string& server,
                                     std::vector<config::Server::Replica> replicas) {
    follower.onReplicasChanged(pool, server, std::move(replicas));
  };
  if (std::string error; !sentinel_monitor.start(config, follow, follow_replicas, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  shared.on_wrong_role = [&sentinel_monitor] { sentinel_monitor.recheck(); };
  if (!openListeners(config, workers)) return 1;
  config::Process process = config.process;
  if (options.stats_port >= 0) process.stats_port = options.stats_port;
  if (!options.stats_addr.empty()) process.stats_addr = options.stats_addr;
  std::string stats_error;
  std::unique_ptr<stats::StatsServer> stats_server;
  if (options.stats) {
    stats_server = stats::StatsServer::start(process, hub, stats_error, adminActions(reloader));
    if (!stats_server) {
      spdlog::critical("{}", stats_error);
      return 1;
    }
  } else {
    spdlog::info("statistics off (--stats off): no stats port, no admin port");
  }

  std::vector<std::thread> runners;
  runners.reserve(workers.size());
  for (auto& worker : workers) {
    runners.emplace_back([&worker] { worker->run(); });
  }
  spdlog::info("serving with {} worker thread(s)", threads);

  waitForStop(signals, reloader);
  sentinel_monitor.stop();
  {
    std::lock_guard<std::mutex> hold(topology.lock());
    publisher.stop();
  }
  for (auto& worker : workers) worker->requestStop();
  for (auto& runner : runners) runner.join();
  if (stats_server) stats_server->stop();
  workers.clear();
  // The socket files are ours; a stale one would only confuse the next start's operator.
  for (const auto& pool : topology.current()) {
    const config::ListenAddress& listen = pool->config->listen;
    if (listen.kind == config::ListenAddress::Kind::kUnix) ::unlink(listen.path.c_str());
  }
  return 0;
}

}  // namespace shardis::app
