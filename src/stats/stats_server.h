// StatsServer: the stats port and the admin HTTP port, on a thread and libuv loop of their
// own, so that a slow reader never holds up a worker.
//
//   stats port (config stats_addr:stats_port): on connect, the twemproxy JSON, then close.
//   admin port (config admin_listen "host:port"):
//     GET /metrics  Prometheus text       GET /stats  the twemproxy JSON
//     GET /healthz  200, or 503 when a pool has no live server (JSON body names them)
//     POST /reload  rereads the configuration file (AdminActions::reload): 200 "OK", or 400
//                   and why the file was refused
//     anything else 404 (405 for a method the path does not take, 400 for bytes that are not
//     HTTP).
// Every answer is rendered from a fresh StatsHub::snapshot(). An admin connection that does
// not read its answers is not read from either (HttpSession); connections short of their
// headers, and connections in all, are capped by closing the oldest, so that a scraper always
// gets in (stats_server.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stats/http_session.h"

namespace shardis::config {
struct Process;
}

namespace shardis::stats {

class StatsHub;

// What the admin port can ask of the proxy beyond reading its stats; each runs on the
// admin thread, and an empty one is a path that does not exist.
struct AdminActions {
  std::function<HttpResponse()> reload;
};

class StatsServer {
 public:
  // Binds both ports (a port of 0 takes a free one; stats_port < 0 or an empty admin_listen
  // turns that port off) and starts the thread. Null and `error` set when a bind fails.
  static std::unique_ptr<StatsServer> start(const config::Process& process, StatsHub& hub,
                                            std::string& error, AdminActions actions = {});
  ~StatsServer();  // stop()
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  // The bound ports, 0 when off.
  [[nodiscard]] uint16_t statsPort() const;
  [[nodiscard]] uint16_t adminPort() const;

  // Closes the listeners and every connection, and joins the thread. Safe to call twice.
  void stop();

  class Impl;

 private:
  explicit StatsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shardis::stats
