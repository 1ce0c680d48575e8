#include "proxy/admin_commands.h"

#include <fnmatch.h>
#include <uv.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "command/ascii.h"
#include "proxy/client_state.h"
#include "proxy/command_handlers.h"
#include "proxy/heap_bytes.h"
#include "proxy/info.h"
#include "resp/encoder.h"
#include "resp/integer.h"

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

// What the registry keeps for a client, part of CLIENT LIST's tot-mem.
size_t registryBytes(const ClientEntry& entry) {
  return sizeof(ClientEntry) + stringHeapBytes(entry.addr) + stringHeapBytes(entry.laddr) +
         stringHeapBytes(entry.name);
}

// Redis's client classes. Through the proxy a client is normal or, while subscribed, pubsub:
// it has no replicas and no master link, so those classes are always empty.
enum class ClientType { kNormal, kReplica, kPubSub, kMaster };

ClientType typeOf(const ClientEntry& entry) {
  return entry.inPubSub() ? ClientType::kPubSub : ClientType::kNormal;
}

// The class named by `name`, as Redis spells them; nullopt (and Redis's error in `out`) if none.
std::optional<ClientType> parseClientType(std::string_view name, std::string& out) {
  if (equalsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (equalsIgnoreCase(name, "replica") || equalsIgnoreCase(name, "slave")) {
    return ClientType::kReplica;
  }
  if (equalsIgnoreCase(name, "pubsub")) return ClientType::kPubSub;
  if (equalsIgnoreCase(name, "master")) return ClientType::kMaster;
  std::string error = "ERR Unknown client type '";
  error.append(name).append("'");
  resp::appendError(out, error);
  return std::nullopt;
}

// The pool's clients as CLIENT LIST prints them: this worker's with every field, other
// workers' from the registry with the fields only their own thread knows (idle, qbuf, cmd ...)
// at a fresh connection's values. This worker's clients are indexed once, so the listing is
// linear in the clients.
class PoolListing {
 public:
  // `caller` runs `running`, the CLIENT LIST being answered.
  PoolListing(AdminHost& host, int64_t db, uint64_t caller, const Request& running)
      : host_(host), db_(db), now_(nowMs()) {
    host.forEachLocalClient(
        [&](uint64_t id, const ClientActivity& activity) { local_.emplace(id, activity); });
    if (auto self = local_.find(caller); self != local_.end()) {
      countRunningRequest(running, self->second);
    }
    entries_ = host.registry().inPool(host.poolIndex());
  }

  [[nodiscard]] const std::vector<ClientEntry>& entries() const { return entries_; }

  // The entry of client `id` (entries() is in id order), or null if the pool has none.
  [[nodiscard]] const ClientEntry* find(uint64_t id) const {
    auto found = std::lower_bound(entries_.begin(), entries_.end(), id,
                                  [](const ClientEntry& e, uint64_t key) { return e.id < key; });
    return found != entries_.end() && found->id == id ? &*found : nullptr;
  }

  void append(const ClientEntry& entry, std::string& text) const {
    bool here = host_.servedHere(entry.owner);
    auto found = here ? local_.find(entry.id) : local_.end();
    if (found != local_.end()) {
      appendClientLine(entry, found->second, db_, now_, text);
    } else if (!here) {  // a client of this worker not found is retired, still registered
      ClientActivity activity;
      activity.name = entry.name;
      appendClientLine(entry, activity, db_, now_, text);
    }
  }

 private:
  AdminHost& host_;
  int64_t db_;
  uint64_t now_;
  std::unordered_map<uint64_t, ClientActivity> local_;
  std::vector<ClientEntry> entries_;
};

// CLIENT LIST ID id...: the clients named, in the order named (twice if named twice), as Redis
// does; an id of no client of the pool is skipped. Every id must parse first.
void clientListIds(CommandCall& call, Argv ids) {
  std::vector<int64_t> wanted;
  wanted.reserve(ids.size());
  for (std::string_view text : ids) {
    std::optional<int64_t> id = resp::parseInteger(text);
    if (!id) return resp::appendError(call.out, "ERR Invalid client ID");
    wanted.push_back(*id);
  }
  PoolListing listing(*call.admin, call.pool.redis_db, call.client.id, call.request);
  std::string text;
  for (int64_t id : wanted) {
    const ClientEntry* entry = id > 0 ? listing.find(static_cast<uint64_t>(id)) : nullptr;
    if (entry != nullptr) listing.append(*entry, text);
  }
  resp::appendVerbatim(call.out, "txt", text, call.client.protocol);
}

// CLIENT LIST [TYPE type | ID id...], with Redis 7.0's grammar: TYPE takes exactly one class.
void clientList(CommandCall& call) {
  Argv argv = call.request.argv;
  std::optional<ClientType> type;  // none: every client
  if (argv.size() == 4 && equalsIgnoreCase(argv[2], "TYPE")) {
    type = parseClientType(argv[3], call.out);
    if (!type) return;
  } else if (argv.size() > 3 && equalsIgnoreCase(argv[2], "ID")) {
    return clientListIds(call, argv.subspan(3));
  } else if (argv.size() != 2) {
    return resp::appendError(call.out, "ERR syntax error");
  }
  PoolListing listing(*call.admin, call.pool.redis_db, call.client.id, call.request);
  std::string text;
  text.reserve(listing.entries().size() * 192);  // about one line each
  for (const ClientEntry& entry : listing.entries()) {
    if (!type || typeOf(entry) == *type) listing.append(entry, text);
  }
  resp::appendVerbatim(call.out, "txt", text, call.client.protocol);
}

void clientInfo(CommandCall& call) {
  ClientActivity activity = call.admin->activity();
  countRunningRequest(call.request, activity);
  std::string line;
  appendClientLine(call.admin->identity(), activity, call.pool.redis_db, nowMs(), line);
  resp::appendVerbatim(call.out, "txt", line, call.client.protocol);
}

// CLIENT KILL's filters; a client is killed when it passes all of them (Redis ANDs them).
struct KillFilter {
  bool old_form = false;
  uint64_t id = 0;
  std::string_view addr, laddr;
  std::optional<ClientType> type;  // none: any class
  int64_t max_age_s = 0;           // Redis 7.4's MAXAGE: connected at least this long; 0: any age
  bool skip_me = true;
};

// One `option value` pair of CLIENT KILL's new form; false (with Redis's error in `out`) when
// it does not parse. USER can only name `default`, the one user a proxy client has, and
// filters nothing out.
bool parseKillOption(std::string_view option, std::string_view value, KillFilter& filter,
                     std::string& out) {
  if (equalsIgnoreCase(option, "ID")) {
    std::optional<int64_t> id = resp::parseInteger(value);
    if (!id || *id <= 0)
      return resp::appendError(out, "ERR client-id should be greater than 0"), false;
    filter.id = static_cast<uint64_t>(*id);
  } else if (equalsIgnoreCase(option, "TYPE")) {
    std::optional<ClientType> type = parseClientType(value, out);
    if (!type) return false;
    filter.type = *type;
  } else if (equalsIgnoreCase(option, "ADDR")) {
    filter.addr = value;
  } else if (equalsIgnoreCase(option, "LADDR")) {
    filter.laddr = value;
  } else if (equalsIgnoreCase(option, "USER")) {
    if (value != "default") {  // ACL user names are case-sensitive
      std::string error = "ERR No such user '";
      error.append(value).append("'");
      return resp::appendError(out, error), false;
    }
  } else if (equalsIgnoreCase(option, "MAXAGE")) {
    std::optional<int64_t> age = resp::parseInteger(value);
    if (!age) return resp::appendError(out, "ERR value is not an integer or out of range"), false;
    filter.max_age_s = *age;
  } else if (equalsIgnoreCase(option, "SKIPME") &&
             (equalsIgnoreCase(value, "yes") || equalsIgnoreCase(value, "no"))) {
    filter.skip_me = equalsIgnoreCase(value, "yes");
  } else {
    return resp::appendError(out, "ERR syntax error"), false;
  }
  return true;
}

// CLIENT KILL's filters; false (with the error in `out`) when they do not parse. As in Redis,
// the options are read in order and the first bad one gives the error.
bool parseKillFilter(Argv argv, KillFilter& filter, std::string& out) {
  filter.old_form = argv.size() == 3;
  filter.skip_me = !filter.old_form;
  if (filter.old_form) filter.addr = argv[2];
  for (size_t i = 2; !filter.old_form && i < argv.size(); i += 2) {
    if (i + 1 >= argv.size()) return resp::appendError(out, "ERR syntax error"), false;
    if (!parseKillOption(argv[i], argv[i + 1], filter, out)) return false;
  }
  return true;
}

// CLIENT KILL addr:port (old form: +OK or an error), or filters ID / ADDR / LADDR / TYPE /
// USER / MAXAGE / SKIPME (new form: the number killed), on every worker.
void clientKill(CommandCall& call) {
  KillFilter filter;
  if (!parseKillFilter(call.request.argv, filter, call.out)) return;
  uint64_t self = call.client.id;
  uint64_t now = nowMs();
  auto match = [&](const ClientEntry& entry) {
    auto age_s = static_cast<int64_t>((now - entry.created_ms) / 1000);
    return (!filter.type || typeOf(entry) == *filter.type) &&
           (filter.id == 0 || entry.id == filter.id) &&
           (filter.addr.empty() || entry.addr == filter.addr) &&
           (filter.laddr.empty() || entry.laddr == filter.laddr) &&
           (filter.max_age_s == 0 || age_s >= filter.max_age_s) &&
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
  resp::appendMapHeader(call.out, found, call.client.protocol);
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
    {"info", info, false, true},
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

void countRunningRequest(const Request& request, ClientActivity& activity) {
  if (activity.qbuf != 0) return;
  activity.qbuf = request.raw.size();
  activity.argv_mem = 0;
  for (std::string_view arg : request.argv) activity.argv_mem += arg.size();
}

void appendClientLine(const ClientEntry& entry, const ClientActivity& activity, int64_t db,
                      uint64_t now_ms, std::string& out) {
  appendNumber(out, "id=", entry.id);
  out.append(" addr=").append(entry.addr).append(" laddr=").append(entry.laddr);
  appendNumber(out, " fd=", entry.fd);
  out.append(" name=").append(activity.name);
  appendNumber(out, " age=", (now_ms - entry.created_ms) / 1000);
  appendNumber(out, " idle=", activity.idle_s);
  // Redis's flags that a proxy client can have, in Redis's order: P subscribed, x in MULTI,
  // b blocked, t tracking, B tracking in BCAST mode; N for none.
  out.append(" flags=");
  const size_t flags_at = out.size();
  if (activity.sub + activity.psub + activity.ssub > 0) out.push_back('P');
  if (activity.multi >= 0) out.push_back('x');
  if (activity.blocked) out.push_back('b');
  if (activity.tracking) out.push_back('t');
  if (activity.bcast) out.push_back('B');
  if (out.size() == flags_at) out.push_back('N');
  appendNumber(out, " db=", db);
  appendNumber(out, " sub=", activity.sub);
  appendNumber(out, " psub=", activity.psub);
  appendNumber(out, " ssub=", activity.ssub);
  appendNumber(out, " multi=", activity.multi);
  appendNumber(out, " qbuf=", activity.qbuf);
  appendNumber(out, " qbuf-free=", activity.qbuf_free);
  appendNumber(out, " argv-mem=", activity.argv_mem);
  appendNumber(out, " multi-mem=", activity.multi_mem);
  appendNumber(out, " rbs=", activity.rbs);
  appendNumber(out, " rbp=", activity.rbp);
  appendNumber(out, " obl=", activity.obl);
  appendNumber(out, " oll=", activity.oll);
  appendNumber(out, " omem=", activity.omem);
  appendNumber(out, " tot-mem=", activity.tot_mem + registryBytes(entry));
  out.append(" events=");
  if (activity.reading) out.push_back('r');
  if (activity.writing) out.push_back('w');
  out.append(" cmd=").append(activity.cmd);
  out.append(activity.tracking ? " user=default redir=0" : " user=default redir=-1");
  appendNumber(out, " resp=", activity.resp);
  out.push_back('\n');
}

std::span<const NamedHandler> sessionHandlers() { return kSessionHandlers; }

}  // namespace shardis::proxy
