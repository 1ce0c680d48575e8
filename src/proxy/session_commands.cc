// The local commands that need more than the client's own state: INFO (the servers' versions
// and keyspace, the stats), CLIENT LIST/INFO/KILL/REPLY (the worker's other sessions),
// CONFIG GET (the process config) and SLOWLOG (the pool's, shared by every worker). The commands
// that need only ClientState are in local_commands.cc.
#include <fnmatch.h>
#include <sys/socket.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <unordered_map>

#include "proxy/client_session.h"
#include "proxy/info.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"
#include "resp/encoder.h"
#include "stats/slow_log.h"

namespace shardis::proxy {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string addressText(const sockaddr_storage& address, int length) {
  if (length <= 0) return "?";
  char host[64] = {0};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    uv_ip4_name(&in, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    uv_ip6_name(&in6, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in6.sin6_port));
  }
  return "/unixsocket:0";  // Redis's wording for a unix socket client
}

uint64_t nowMs() { return uv_hrtime() / 1000000; }

}  // namespace

// Where the client is, for CLIENT INFO / LIST / KILL ADDR.
void ClientSession::noteAddresses() {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream_->raw()), &fd) != 0) return;
  ClientEntry entry;
  entry.id = client_.id;
  entry.fd = fd;
  entry.owner = &pool_.worker;
  entry.pool = pool_.index;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  int got = getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length);
  entry.addr = addressText(address, got == 0 ? static_cast<int>(length) : 0);
  length = sizeof address;
  got = getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  entry.laddr = addressText(address, got == 0 ? static_cast<int>(length) : 0);
  entry.created_ms = client_.last_active_ms = nowMs();
  shared_.registry.add(entry);
}

// The registry holds the only copy of where the client is; it is asked on the rare paths
// that print it.
ClientEntry ClientSession::identity() const {
  std::optional<ClientEntry> entry = shared_.registry.find(client_.id);
  if (entry) return *entry;
  ClientEntry unregistered;  // its socket had no descriptor to ask (see noteAddresses)
  unregistered.id = client_.id;
  return unregistered;
}

namespace {

// What only the owning worker knows of a client; a client of another worker is shown with a
// fresh connection's values.
struct ClientActivity {
  std::string_view name;
  uint64_t idle_s = 0;
  size_t qbuf = 0;
  size_t oll = 0;
  size_t omem = 0;
  std::string_view cmd = "NULL";
};

template <typename Integer>
void appendNumber(std::string& out, std::string_view field, Integer value) {
  char digits[24];
  auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(field).append(digits, end);
}

// One CLIENT LIST line, with Redis 7.0's fields; the ones a proxy has no notion of are the
// values a plain connection has on a server. Appends in place: CLIENT LIST builds thousands.
void appendClientLine(const ClientEntry& entry, const ClientActivity& activity, int64_t db,
                      uint64_t now_ms, std::string& out) {
  appendNumber(out, "id=", entry.id);
  out.append(" addr=").append(entry.addr).append(" laddr=").append(entry.laddr);
  appendNumber(out, " fd=", entry.fd);
  out.append(" name=").append(activity.name);
  appendNumber(out, " age=", (now_ms - entry.created_ms) / 1000);
  appendNumber(out, " idle=", activity.idle_s);
  appendNumber(out, " flags=N db=", db);
  appendNumber(out, " sub=0 psub=0 ssub=0 multi=-1 qbuf=", activity.qbuf);
  appendNumber(out, " obl=0 oll=", activity.oll);
  appendNumber(out, " omem=", activity.omem);
  out.append(" events=r cmd=").append(activity.cmd);
  out.append(" user=default redir=-1 resp=2\n");
}

}  // namespace

void ClientSession::describe(const ClientEntry& entry, std::string& out) const {
  uint64_t now = nowMs();
  ClientActivity activity;
  activity.name = client_.name;
  activity.idle_s = (now - client_.last_active_ms) / 1000;
  activity.qbuf = partial_ ? partial_->bytes().size() : 0;
  activity.oll = queue_.size();
  activity.omem = stream_->pendingBytes() + held_reply_bytes_;
  activity.cmd = client_.last_command;
  appendClientLine(entry, activity, pool_.config.redis_db, now, out);
}

// The pool's clients: this worker's with every field, other workers' from the registry with
// the fields only their own thread knows (idle, qbuf, cmd ...) at a fresh connection's
// values. This worker's sessions are indexed once, so the listing is linear in the clients.
void ClientSession::clientList(Argv argv, std::string& out) {
  if (argv.size() > 2 && !(argv.size() == 4 && equalsIgnoreCase(argv[2], "TYPE") &&
                           equalsIgnoreCase(argv[3], "normal"))) {
    return resp::appendError(out, "ERR syntax error");
  }
  std::unordered_map<uint64_t, const ClientSession*> local;
  pool_.worker.forEachSession([&](const ClientSession& session) {
    if (session.pool_.index == pool_.index) local.emplace(session.id(), &session);
  });
  std::vector<ClientEntry> entries = shared_.registry.inPool(pool_.index);
  std::string text;
  text.reserve(entries.size() * 192);  // about one line each
  uint64_t now = nowMs();
  for (const ClientEntry& entry : entries) {
    auto found = entry.owner == &pool_.worker ? local.find(entry.id) : local.end();
    if (found != local.end()) {
      found->second->describe(entry, text);
      continue;
    }
    if (entry.owner == &pool_.worker) continue;  // retired, not yet out of the registry
    ClientActivity activity;
    activity.name = entry.name;
    appendClientLine(entry, activity, pool_.config.redis_db, now, text);
  }
  resp::appendBulk(out, text);
}

// CLIENT KILL addr:port (old form: +OK or an error), or filters ID / ADDR / LADDR / SKIPME
// (new form: the number killed), on every worker.
void ClientSession::clientKill(Argv argv, std::string& out) {
  bool old_form = argv.size() == 3;
  uint64_t id = 0;
  std::string_view addr, laddr;
  bool skip_me = !old_form;
  if (old_form) addr = argv[2];
  for (size_t i = 2; !old_form && i < argv.size(); i += 2) {
    if (i + 1 >= argv.size()) return resp::appendError(out, "ERR syntax error");
    std::string_view option = argv[i], value = argv[i + 1];
    if (equalsIgnoreCase(option, "ID")) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
      if (ec != std::errc() || end != value.data() + value.size() || id == 0) {
        return resp::appendError(out, "ERR client-id should be greater than 0");
      }
    } else if (equalsIgnoreCase(option, "ADDR")) {
      addr = value;
    } else if (equalsIgnoreCase(option, "LADDR")) {
      laddr = value;
    } else if (equalsIgnoreCase(option, "SKIPME") &&
               (equalsIgnoreCase(value, "yes") || equalsIgnoreCase(value, "no"))) {
      skip_me = equalsIgnoreCase(value, "yes");
    } else {
      return resp::appendError(out, "ERR syntax error");
    }
  }
  auto match = [&](const ClientEntry& entry) {
    return (id == 0 || entry.id == id) && (addr.empty() || entry.addr == addr) &&
           (laddr.empty() || entry.laddr == laddr) && !(skip_me && entry.id == client_.id);
  };
  size_t killed = shared_.registry.kill(pool_.index, match, client_.id);
  // Killing itself: closed once this reply is written, as Redis does.
  if (match(identity())) client_.quit = true;
  if (!old_form) return resp::appendInteger(out, static_cast<int64_t>(killed));
  if (killed == 0) return resp::appendError(out, "ERR No such client");
  resp::appendStatus(out, "OK");
}

void ClientSession::clientReply(Argv argv, std::string& out) {
  if (equalsIgnoreCase(argv[2], "ON")) {
    client_.replies_off = false;
    silent_ = false;
    resp::appendStatus(out, "OK");
  } else if (equalsIgnoreCase(argv[2], "OFF")) {
    client_.replies_off = true;
    silent_ = true;
  } else if (equalsIgnoreCase(argv[2], "SKIP")) {
    client_.skip_next = true;
    silent_ = true;
  } else {
    resp::appendError(out, "ERR syntax error");
  }
}

// Keys clients read at start. databases is 1: the proxy serves its pool's one database.
void ClientSession::configGet(Argv argv, std::string& out) {
  const config::Process& process = shared_.config.process;
  const std::pair<std::string_view, std::string> known[] = {
      {"databases", "1"},
      {"maxmemory", "0"},
      {"maxclients", std::to_string(process.max_clients)},
      {"port", std::to_string(pool_.config.listen.port)},
      {"timeout", "0"},
      {"save", ""},
      {"appendonly", "no"},
      {"cluster-enabled", "no"},
      {"slowlog-log-slower-than", std::to_string(process.slowlog_log_slower_than_us)},
      {"slowlog-max-len", std::to_string(process.slowlog_max_len)},
  };
  std::string body;
  size_t found = 0;
  for (const auto& [name, value] : known) {
    for (std::string_view pattern : argv.subspan(2)) {
      std::string glob(pattern);
      if (fnmatch(glob.c_str(), std::string(name).c_str(), FNM_CASEFOLD) != 0) continue;
      resp::appendBulk(body, name);
      resp::appendBulk(body, value);
      ++found;
      break;
    }
  }
  resp::appendArrayHeader(out, found * 2);
  out += body;
}

void ClientSession::info(Argv argv) {
  uint32_t sections = infoSections(argv);
  if (!infoNeedsServers(sections)) {
    std::string out;
    appendInfo(pool_, sections, out);
    return reply(std::move(out));
  }
  sendParts(pool_.every_server, makeInfoMerger(pool_, sections), kServerInfoRequest);
}

struct ClientSession::AdminHandlers {
  static void info(CommandCall& call) {
    call.session->info(call.argv);
    call.answered = true;
  }
  static void clientList(CommandCall& call) { call.session->clientList(call.argv, call.out); }
  static void clientInfo(CommandCall& call) {
    std::string line;
    call.session->describe(call.session->identity(), line);
    resp::appendBulk(call.out, line);
  }
  static void clientKill(CommandCall& call) { call.session->clientKill(call.argv, call.out); }
  static void clientReply(CommandCall& call) { call.session->clientReply(call.argv, call.out); }
  static void configGet(CommandCall& call) { call.session->configGet(call.argv, call.out); }
  static void slowlog(CommandCall& call) {
    ClientSession& session = *call.session;
    stats::slowlogCommand(session.shared_.slowlog(session.pool_.index), call.argv, call.out);
  }
};

namespace {
using Admin = ClientSession::AdminHandlers;
constexpr NamedHandler kSessionHandlers[] = {
    {"info", Admin::info},
    {"client|list", Admin::clientList},
    {"client|info", Admin::clientInfo},
    {"client|kill", Admin::clientKill, true},
    {"client|reply", Admin::clientReply, true},
    {"config|get", Admin::configGet},
    {"slowlog|get", Admin::slowlog},
    {"slowlog|len", Admin::slowlog},
    {"slowlog|reset", Admin::slowlog},
    {"slowlog|help", Admin::slowlog},
};
}  // namespace

std::span<const NamedHandler> sessionHandlers() { return kSessionHandlers; }

}  // namespace shardis::proxy
