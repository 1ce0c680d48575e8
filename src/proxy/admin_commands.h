// The admin commands: INFO, CLIENT LIST/INFO/KILL/REPLY, CONFIG GET and SLOWLOG. Unlike the
// commands answered from ClientState alone (local_commands.h), they see other clients, the
// pool's slow log and the process config; they reach those only through AdminHost, which the
// client's session implements. Their handlers are listed by sessionHandlers()
// (command_handlers.h). Admin commands are rare: the virtual calls here are off the path of
// ordinary requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/client_registry.h"
#include "proxy/request.h"
#include "stats/slow_log.h"

namespace shardis::proxy {

// What only the worker serving a client knows of it, for CLIENT LIST and CLIENT INFO; a client
// of another worker is shown with a fresh connection's values.
struct ClientActivity {
  std::string_view name;
  uint64_t idle_s = 0;
  size_t qbuf = 0;
  size_t oll = 0;
  size_t omem = 0;
  std::string_view cmd = "NULL";
};

// What an admin command may ask of the session that runs it, its worker and the registry.
class AdminHost {
 public:
  using ClientVisit = std::function<void(uint64_t id, const ClientActivity& activity)>;

  // Every client of the process (CLIENT LIST, CLIENT KILL).
  virtual ClientRegistry& registry() = 0;
  // The pool's SLOWLOG.
  virtual stats::SlowLog& slowlog() = 0;
  [[nodiscard]] virtual const config::Process& process() const = 0;
  [[nodiscard]] virtual uint32_t poolIndex() const = 0;
  // Whether `owner` is this session's worker, whose clients forEachLocalClient() describes.
  virtual bool servedHere(const KillSink* owner) const = 0;
  // The activity of each of this worker's clients of the pool, this one included.
  virtual void forEachLocalClient(const ClientVisit& visit) = 0;
  // This client's registry entry (an unregistered one has only its id) and activity.
  [[nodiscard]] virtual ClientEntry identity() const = 0;
  [[nodiscard]] virtual ClientActivity activity() const = 0;
  // INFO's reply: the proxy's own sections now, or after every server's INFO is in.
  virtual void info(Request& request, uint32_t sections) = 0;

 protected:
  ~AdminHost() = default;
};

// One CLIENT LIST line, with Redis 7.0's fields; the ones a proxy has no notion of are the
// values a plain connection has on a server. Appends in place: CLIENT LIST builds thousands.
void appendClientLine(const ClientEntry& entry, const ClientActivity& activity, int64_t db,
                      uint64_t now_ms, std::string& out);

}  // namespace shardis::proxy
