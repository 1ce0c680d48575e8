#include "proxy/admin_commands.h"

#include <fnmatch.h>
#include <uv.h>

#include <charconv>
#include <iterator>
#include <unordered_map>
#include <utility>

#include "command/ascii.h"
#include "proxy/client_state.h"
#include "proxy/command_handlers.h"
#include "proxy/info.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

using Argv = std::span<const std::string_view>;
using command::equalsIgnoreCase;

uint64_t nowMs() { return uv_hrtime() / 1000000; }

template <typename Integer>
void appendNumber(std::string& out, std::string_view field, Integer value) {
  char digits[24];
  auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(field).append(digits, end);
}

// The pool's clients: this worker's with every field, other workers' from the registry with
// the fields only their own thread knows (idle, qbuf, cmd ...) at a fresh connection's
// values. This worker's clients are indexed once, so the listing is linear in the clients.
void clientList(CommandCall& call) {
  Argv argv = call.request.argv;
  if (argv.size() > 2 && !(argv.size() == 4 && equalsIgnoreCase(argv[2], "TYPE") &&
                           equalsIgnoreCase(argv[3], "normal"))) {
    return resp::appendError(call.out, "ERR syntax error");
  }
  AdminHost& host = *call.admin;
  std::unordered_map<uint64_t, ClientActivity> local;
  host.forEachLocalClient(
      [&](uint64_t id, const ClientActivity& activity) { local.emplace(id, activity); });
  std::vector<ClientEntry> entries = host.registry().inPool(host.poolIndex());
  std::string text;
  text.reserve(entries.size() * 192);  // about one line each
  uint64_t now = nowMs();
  for (const ClientEntry& entry : entries) {
    bool here = host.servedHere(entry.owner);
    auto found = here ? local.find(entry.id) : local.end();
    if (found != local.end()) {
      appendClientLine(entry, found->second, call.pool.redis_db, now, text);
    } else if (!here) {  // a client of this worker not found is retired, still registered
      ClientActivity activity;
      activity.name = entry.name;
      appendClientLine(entry, activity, call.pool.redis_db, now, text);
    }
  }
  resp::appendBulk(call.out, text);
}

void clientInfo(CommandCall& call) {
  std::string line;
  appendClientLine(call.admin->identity(), call.admin->activity(), call.pool.redis_db, nowMs(),
                   line);
  resp::appendBulk(call.out, line);
}

struct KillFilter {
  bool old_form = false;
  uint64_t id = 0;
  std::string_view addr, laddr;
  bool skip_me = true;
};

// CLIENT KILL's filters; false (with the error in `out`) when they do not parse.
bool parseKillFilter(Argv argv, KillFilter& filter, std::string& out) {
  filter.old_form = argv.size() == 3;
  filter.skip_me = !filter.old_form;
  if (filter.old_form) filter.addr = argv[2];
  for (size_t i = 2; !filter.old_form && i < argv.size(); i += 2) {
    if (i + 1 >= argv.size()) return resp::appendError(out, "ERR syntax error"), false;
    std::string_view option = argv[i], value = argv[i + 1];
    if (equalsIgnoreCase(option, "ID")) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), filter.id);
      if (ec != std::errc() || end != value.data() + value.size() || filter.id == 0) {
        return resp::appendError(out, "ERR client-id should be greater than 0"), false;
      }
    } else if (equalsIgnoreCase(option, "ADDR")) {
      filter.addr = value;
    } else if (equalsIgnoreCase(option, "LADDR")) {
      filter.laddr = value;
    } else if (equalsIgnoreCase(option, "SKIPME") &&
               (equalsIgnoreCase(value, "yes") || equalsIgnoreCase(value, "no"))) {
      filter.skip_me = equalsIgnoreCase(value, "yes");
    } else {
      return resp::appendError(out, "ERR syntax error"), false;
    }
  }
  return true;
}

// CLIENT KILL addr:port (old form: +OK or an error), or filters ID / ADDR / LADDR / SKIPME
// (new form: the number killed), on every worker.
void clientKill(CommandCall& call) {
  KillFilter filter;
  if (!parseKillFilter(call.request.argv, filter, call.out)) return;
  uint64_t self = call.client.id;
  auto match = [&](const ClientEntry& entry) {
    return (filter.id == 0 || entry.id == filter.id) &&
           (filter.addr.empty() || entry.addr == filter.addr) &&
           (filter.laddr.empty() || entry.laddr == filter.laddr) &&
           !(filter.skip_me && entry.id == self);
  };
  AdminHost& host = *call.admin;
  size_t killed = host.registry().kill(host.poolIndex(), match, self);
  // Killing itself: closed once this reply is written, as Redis does.
  if (match(host.identity())) call.client.quit = true;
  if (!filter.old_form) return resp::appendInteger(call.out, static_cast<int64_t>(killed));
  if (killed == 0) return resp::appendError(call.out, "ERR No such client");
  resp::appendStatus(call.out, "OK");
}

// As Redis: OFF and SKIP are not answered; SKIP while OFF changes nothing.
void clientReply(CommandCall& call) {
  std::string_view mode = call.request.argv[2];
  ClientState& client = call.client;
  if (equalsIgnoreCase(mode, "ON")) {
    client.reply_mode = ReplyMode::kOn;
    call.request.silent = false;
    resp::appendStatus(call.out, "OK");
  } else if (equalsIgnoreCase(mode, "OFF")) {
    client.reply_mode = ReplyMode::kOff;
    call.request.silent = true;
  } else if (equalsIgnoreCase(mode, "SKIP")) {
    if (client.reply_mode == ReplyMode::kOn) client.reply_mode = ReplyMode::kSkip;
    call.request.silent = true;
  } else {
    resp::appendError(call.out, "ERR syntax error");
  }
}

// Keys clients read at start. databases is 1: the proxy serves its pool's one database.
void configGet(CommandCall& call) {
  const config::Process& process = call.admin->process();
  const std::pair<std::string_view, std::string> known[] = {
      {"databases", "1"},
      {"maxmemory", "0"},
      {"maxclients", std::to_string(process.max_clients)},
      {"port", std::to_string(call.pool.listen.port)},
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
    for (std::string_view pattern : call.request.argv.subspan(2)) {
      std::string glob(pattern);
      if (fnmatch(glob.c_str(), std::string(name).c_str(), FNM_CASEFOLD) != 0) continue;
      resp::appendBulk(body, name);
      resp::appendBulk(body, value);
      ++found;
      break;
    }
  }
  resp::appendArrayHeader(call.out, found * 2);
  call.out += body;
}

void info(CommandCall& call) {
  call.admin->info(call.request, infoSections(call.request.argv));
  call.answered = true;
}

void slowlog(CommandCall& call) {
  stats::slowlogCommand(call.admin->slowlog(), call.request.argv, call.out);
}

constexpr NamedHandler kSessionHandlers[] = {
    {"info", info},
    {"client|list", clientList},
    {"client|info", clientInfo},
    {"client|kill", clientKill, true},
    {"client|reply", clientReply, true},
    {"config|get", configGet},
    {"slowlog|get", slowlog},
    {"slowlog|len", slowlog},
    {"slowlog|reset", slowlog},
    {"slowlog|help", slowlog},
};

}  // namespace

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

std::span<const NamedHandler> sessionHandlers() { return kSessionHandlers; }

}  // namespace shardis::proxy
