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
// of another worker is shown with a fresh connection's values. Each field is named after the
// Redis 7.0 field it fills; the byte counts are what the proxy holds for the client.
struct ClientActivity {
  std::string_view name;
  uint64_t idle_s = 0;
  // The session modes and protocol, set where the session builds its activity
  // (session_admin.cc).
  bool blocked = false;  // in a blocking command (flags=b)
  int64_t multi = -1;    // commands queued since MULTI; -1 outside MULTI
  size_t multi_mem = 0;  // bytes of the arguments of those commands
  size_t sub = 0;        // channels, patterns and shard channels subscribed to (flags=P)
  size_t psub = 0;
  size_t ssub = 0;
  int resp = 2;
  bool tracking = false;  // CLIENT TRACKING ON (flags=t, redir=0)
  bool bcast = false;     // in BCAST mode (flags=B)
  // The request being received: its bytes so far, the spare room of the buffer holding them,
  // and the bytes of its arguments already complete.
  size_t qbuf = 0;
  size_t qbuf_free = 0;
  size_t argv_mem = 0;
  // Replies owed: `rbs`, the memory of the buffers the client's stream holds replies in until
  // the kernel takes them, and `rbp`, the most reply bytes it has held at once; `obl`, the
  // bytes in those buffers; `oll`, the replies complete but waiting behind an earlier request;
  // `omem`, every byte owed (obl and those replies), what client_output_buffer_limit counts.
  size_t rbs = 0;
  size_t rbp = 0;
  size_t obl = 0;
  size_t oll = 0;
  size_t omem = 0;
  // Everything the proxy holds for the client but its registry entry (appendClientLine adds
  // it): session, stream, request being received, queue entries and their replies.
  size_t tot_mem = 0;
  bool reading = true;   // events: r
  bool writing = false;  // events: w (the stream waits for the socket to take replies)
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
  // HELLO's reply once every server told its version (the lowest is the one reported).
  virtual void hello(Request& request) = 0;
  // The lowest version the servers gave when last asked (empty: never asked).
  [[nodiscard]] virtual std::string_view serversVersion() const = 0;

 protected:
  ~AdminHost() = default;
};

// The caller's own activity while `request` runs: as in Redis, whose query buffer still holds
// the command being executed, its bytes count in qbuf and its arguments in argv-mem. (A
// request completed from a PartialRequest is already counted, being all its bytes.)
void countRunningRequest(const Request& request, ClientActivity& activity);

// One CLIENT LIST line, with Redis 7.0's fields in its order; the ones a proxy has no notion of
// are the values a plain connection has on a server. Appends in place: CLIENT LIST builds
// thousands.
void appendClientLine(const ClientEntry& entry, const ClientActivity& activity, int64_t db,
                      uint64_t now_ms, std::string& out);

}  // namespace shardis::proxy
