#include "proxy/local_commands.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include "command/ascii.h"
#include "proxy/admin_commands.h"
#include "proxy/client_setinfo.h"
#include "proxy/command_getkeys.h"
#include "proxy/command_handlers.h"
#include "proxy/command_list_filter.h"
#include "proxy/help_text.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

using Argv = std::span<const std::string_view>;

// Redis replaces newlines in echoed arguments so that the error stays one line.
std::string oneLine(std::string_view text) {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\r', ' ');
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// Redis's rule for CLIENT SETNAME and HELLO SETNAME: printable ASCII without spaces.
bool validClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= '!' && c <= '~'; });
}

void ping(Argv argv, const ClientState& client, std::string& out) {
  // The command table allows any count (-1); Redis's PING itself takes at most a message.
  if (argv.size() > 2) {
    return resp::appendError(out, "ERR wrong number of arguments for 'ping' command");
  }
  // A RESP2 subscriber's reply has the shape of its messages, as Redis answers it.
  if (client.mode == SessionMode::kSubscribed && client.protocol == resp::Protocol::kResp2) {
    resp::appendArrayHeader(out, 2);
    resp::appendBulk(out, "pong");
    resp::appendBulk(out, argv.size() == 1 ? std::string_view{} : argv[1]);
  } else if (argv.size() == 1) {
    resp::appendStatus(out, "PONG");
  } else {
    resp::appendBulk(out, argv[1]);
  }
}

void select(Argv argv, const config::Pool& pool, std::string& out) {
  int64_t db = 0;
  auto [end, ec] = std::from_chars(argv[1].data(), argv[1].data() + argv[1].size(), db);
  if (ec != std::errc() || end != argv[1].data() + argv[1].size()) {
    resp::appendError(out, "ERR value is not an integer or out of range");
  } else if (db != pool.redis_db) {
    resp::appendError(out, "ERR DB index is out of range");
  } else {
    resp::appendStatus(out, "OK");
  }
}

// Whether `attempt` is `password`, in time that tells a client nothing about the password:
// neither where a guess goes wrong nor how long the password is (a plain comparison stops at
// the first difference, or at once on a length mismatch). Both are hashed, and the digests
// compared in constant time, as Redis 7 compares a user's password by its SHA-256. The time
// depends on the attempt's length, which the client knows, and on the password's, which is
// the same for every guess.
bool passwordMatches(std::string_view attempt, std::string_view password) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> attempt_digest{};
  std::array<unsigned char, EVP_MAX_MD_SIZE> password_digest{};
  unsigned attempt_length = 0;
  unsigned password_length = 0;
  if (EVP_Digest(attempt.data(), attempt.size(), attempt_digest.data(), &attempt_length,
                 EVP_sha256(), nullptr) != 1 ||
      EVP_Digest(password.data(), password.size(), password_digest.data(), &password_length,
                 EVP_sha256(), nullptr) != 1) {
    return false;  // OpenSSL could not allocate: refuse rather than let anyone in
  }
  return attempt_length == password_length &&
         CRYPTO_memcmp(attempt_digest.data(), password_digest.data(), attempt_length) == 0;
}

// Checks a password the way Redis checks its default user's; sets `error` on failure.
bool checkCredentials(std::string_view user, std::string_view password, const config::Pool& pool,
                      std::string& error) {
  if (user != "default") {
    error = "WRONGPASS invalid username-password pair or user is disabled.";
    return false;
  }
  if (!pool.redis_auth.empty() && !passwordMatches(password, pool.redis_auth)) {
    error = "WRONGPASS invalid username-password pair or user is disabled.";
    return false;
  }
  return true;
}

void auth(Argv argv, const config::Pool& pool, ClientState& client, std::string& out) {
  if (argv.size() > 3) {
    resp::appendError(out, "ERR syntax error");
    return;
  }
  if (argv.size() == 2 && pool.redis_auth.empty()) {
    resp::appendError(out,
                      "ERR AUTH <password> called without any password configured for the "
                      "default user. Are you sure your configuration is correct?");
    return;
  }
  std::string_view user = argv.size() == 3 ? argv[1] : std::string_view("default");
  std::string error;
  if (!checkCredentials(user, argv.back(), pool, error)) {
    resp::appendError(out, error);
    return;
  }
  client.authenticated = true;
  resp::appendStatus(out, "OK");
}

// Redis's string2ll: an optional '-', then no leading zero ("03" and "-0" are not integers).
std::optional<int64_t> strictInteger(std::string_view text) {
  std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() || (digits[0] == '0' && text.size() > 1)) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// HELLO's protocol argument: 2 or 3, or the error written to `out`.
std::optional<resp::Protocol> helloProtocol(std::string_view text, std::string& out) {
  std::optional<int64_t> version = strictInteger(text);
  if (!version) {
    resp::appendError(out, "ERR Protocol version is not an integer or out of range");
    return std::nullopt;
  }
  if (*version != 2 && *version != 3) {
    resp::appendError(out, "NOPROTO unsupported protocol version");
    return std::nullopt;
  }
  return *version == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
}

bool hello(Argv argv, const config::Pool& pool, ClientState& client, std::string& out) {
  resp::Protocol protocol = client.protocol;
  if (argv.size() >= 2) {
    std::optional<resp::Protocol> asked = helloProtocol(argv[1], out);
    if (!asked) return false;
    protocol = *asked;
  }
  bool authenticated = client.authenticated;
  std::string name = client.name;
  for (size_t i = 2; i < argv.size(); ++i) {
    bool more = i + 1 < argv.size();
    if (command::isKeyword(argv[i], "auth") && i + 2 < argv.size()) {
      std::string error;
      if (!checkCredentials(argv[i + 1], argv[i + 2], pool, error)) {
        resp::appendError(out, error);
        return false;
      }
      authenticated = true;
      i += 2;
    } else if (command::isKeyword(argv[i], "setname") && more) {
      name = argv[++i];
    } else {
      resp::appendError(out, "ERR Syntax error in HELLO option '" + oneLine(argv[i]) + "'");
      return false;
    }
  }
  if (!authenticated) {
    resp::appendError(out,
                      "NOAUTH HELLO must be called with the client already authenticated, "
                      "otherwise the HELLO AUTH <user> <pass> option can be used to "
                      "authenticate the client and select the RESP protocol version at the "
                      "same time");
    return false;
  }
  client.authenticated = true;
  // As Redis: the name is checked once authenticated, and a bad one changes nothing else
  // (the protocol stays).
  if (!validClientName(name)) {
    resp::appendError(out, kBadClientName);
    return false;
  }
  client.name = std::move(name);
  client.protocol = protocol;
  return true;
}

// HELLO: the client's state changes at once, so that the commands after it ride connections
// of its new protocol; the reply waits for the servers' versions, except inside EXEC (and
// outside a session), where the last version they gave is reported.
void helloCommand(CommandCall& call) {
  if (!hello(call.request.argv, call.pool, call.client, call.out)) return;
  if (call.admin != nullptr && !call.in_exec) {
    call.answered = true;
    call.request.log_arguments = true;
    return call.admin->hello(call.request);
  }
  std::string_view version = call.admin != nullptr ? call.admin->serversVersion() : "";
  appendHelloReply(version.empty() ? kRedisVersion : version, call.client.id, call.client.protocol,
                   call.out);
}

// Commands the proxy refuses outright are left out of its COMMAND listings, so that a client
// library that adapts to the server's command list does not offer them.
bool offered(const command::CommandSpec& spec) {
  return spec.listed && spec.routing != command::Routing::kUnsupported;
}

size_t offeredCount() {
  size_t count = 0;
  for (const command::CommandSpec& spec : command::allCommands()) count += offered(spec) ? 1 : 0;
  return count;
}

void commandList(Argv argv, std::string& out) {
  std::optional<CommandListFilter> filter = CommandListFilter::parse(argv);
  if (!filter) return resp::appendError(out, "ERR syntax error");
  std::string body;
  size_t count = 0;
  auto add = [&](const command::CommandSpec& spec) {
    if (!offered(spec) || !filter->matches(spec)) return;
    resp::appendBulk(body, spec.name);
    ++count;
  };
  for (const command::CommandSpec& spec : command::allCommands()) {
    // A refused container hides its subcommands; a filter looks at each name on its own.
    if (!offered(spec)) continue;
    add(spec);
    for (const command::CommandSpec& sub : spec.subcommands) add(sub);
  }
  resp::appendArrayHeader(out, count);
  out.append(body);
}

void commandGetkeys(Argv argv, std::string& out) {
  Argv request = argv.subspan(2);
  const command::CommandSpec* spec = command::resolve(request);
  if (spec == nullptr) return resp::appendError(out, "ERR Invalid command specified");
  if (!command::arityOk(*spec, request.size())) {
    return resp::appendError(out, "ERR Invalid number of arguments specified for command");
  }
  if (!spec->mayHaveKeys()) return resp::appendError(out, "ERR The command has no key arguments");
  std::vector<uint32_t> keys;
  std::string_view error;
  if (command::findKeys(*spec, request, keys, error) != command::KeysStatus::kOk) {
    return resp::appendError(out, "ERR Invalid arguments specified for command");
  }
  resp::appendArrayHeader(out, keys.size());
  for (uint32_t index : keys) resp::appendBulk(out, request[index]);
}

// A command's element of COMMAND INFO and its name + docs pair of COMMAND DOCS, in the
// client's protocol (RESP3 types them: sets, maps).
std::string_view rawInfo(const command::CommandSpec& spec, resp::Protocol protocol) {
  return protocol == resp::Protocol::kResp3 ? spec.raw_info3 : spec.raw_info;
}

std::string_view rawDocs(const command::CommandSpec& spec, resp::Protocol protocol) {
  return protocol == resp::Protocol::kResp3 ? spec.raw_docs3 : spec.raw_docs;
}

void commandAll(resp::Protocol protocol, std::string& out) {
  std::string body;
  size_t count = 0;
  for (const command::CommandSpec& spec : command::allCommands()) {
    if (rawInfo(spec, protocol).empty() || !offered(spec)) continue;
    body.append(rawInfo(spec, protocol));
    ++count;
  }
  resp::appendArrayHeader(out, count);
  out.append(body);
}

void commandInfo(Argv names, resp::Protocol protocol, std::string& out) {
  // Without a name Redis answers every command, as COMMAND does.
  if (names.empty()) return commandAll(protocol, out);
  resp::appendArrayHeader(out, names.size());
  for (std::string_view name : names) {
    const command::CommandSpec* spec = command::lookup(name);
    if (spec == nullptr || rawInfo(*spec, protocol).empty()) {
      resp::appendNullBulk(out, protocol);  // Redis 7.0's addReplyNull: $-1 in RESP2, _ in RESP3
    } else {
      out.append(rawInfo(*spec, protocol));
    }
  }
}

void commandDocs(Argv names, resp::Protocol protocol, std::string& out) {
  std::string body;
  size_t found = 0;
  auto add = [&](const command::CommandSpec& spec) {
    if (rawDocs(spec, protocol).empty()) return;
    body.append(rawDocs(spec, protocol));
    ++found;
  };
  if (names.empty()) {
    for (const command::CommandSpec& spec : command::allCommands()) {
      if (offered(spec)) add(spec);
    }
  } else {
    for (std::string_view name : names) {
      if (const command::CommandSpec* spec = command::lookup(name)) add(*spec);
    }
  }
  // A map of name -> docs; RESP2 has no map: Redis flattens the pairs into one array.
  resp::appendMapHeader(out, found, protocol);
  out.append(body);
}

void clientSetname(CommandCall& call) {
  std::string_view name = call.request.argv[2];
  if (!validClientName(name)) return resp::appendError(call.out, kBadClientName);
  call.client.name = name;
  resp::appendStatus(call.out, "OK");
}

void clientGetname(CommandCall& call) {
  if (call.client.name.empty()) return resp::appendNullBulk(call.out, call.client.protocol);
  resp::appendBulk(call.out, call.client.name);
}

void time(std::string& out) {
  timeval now{};
  gettimeofday(&now, nullptr);
  resp::appendArrayHeader(out, 2);
  resp::appendBulk(out, std::to_string(now.tv_sec));
  resp::appendBulk(out, std::to_string(now.tv_usec));
}

// Back to a fresh connection's state, as Redis does (logged out when a password is set).
// After CLIENT REPLY OFF, RESET is answered; after SKIP it is the command skipped.
void reset(CommandCall& call) {
  if (call.client.reply_mode == ReplyMode::kOff) call.request.silent = false;
  call.client.reset(call.pool.redis_auth.empty());
  resp::appendStatus(call.out, "RESET");
}

void ok(CommandCall& call) { resp::appendStatus(call.out, "OK"); }

// CLIENT, CONFIG, COMMAND and PUBSUB HELP (help_text.h).
void help(CommandCall& call) {
  if (!appendHelp(*call.entry.spec, call.out)) resp::appendError(call.out, "ERR no help text");
}

constexpr NamedHandler kClientStateHandlers[] = {
    {"ping", [](CommandCall& call) { ping(call.request.argv, call.client, call.out); }},
    {"echo", [](CommandCall& call) { resp::appendBulk(call.out, call.request.argv[1]); }},
    {"quit",
     [](CommandCall& call) {
       resp::appendStatus(call.out, "OK");
       call.client.quit = true;
     },
     true},
    {"select", [](CommandCall& call) { select(call.request.argv, call.pool, call.out); }},
    {"auth", [](CommandCall& call) { auth(call.request.argv, call.pool, call.client, call.out); },
     true},
    {"hello", helloCommand, true},
    {"reset", reset, true},
    {"readonly", ok},
    {"readwrite", ok},
    {"time", [](CommandCall& call) { time(call.out); }},
    {"command", [](CommandCall& call) { commandAll(call.client.protocol, call.out); }},
    {"command|count",
     [](CommandCall& call) {
       resp::appendInteger(call.out, static_cast<int64_t>(offeredCount()));
     }},
    {"command|info",
     [](CommandCall& call) {
       commandInfo(call.request.argv.subspan(2), call.client.protocol, call.out);
     }},
    {"command|docs",
     [](CommandCall& call) {
       commandDocs(call.request.argv.subspan(2), call.client.protocol, call.out);
     }},
    {"command|list", [](CommandCall& call) { commandList(call.request.argv, call.out); }},
    {"command|getkeys", [](CommandCall& call) { commandGetkeys(call.request.argv, call.out); }},
    {"command|getkeysandflags",
     [](CommandCall& call) {
       commandGetkeysAndFlags(call.request.argv, call.client.protocol, call.out);
     }},
    {"command|help", help},
    {"client|help", help},
    {"config|help", help},
    {"pubsub|help", help},
    {"client|setname", clientSetname, true},
    {"client|getname", clientGetname},
    {"client|id",
     [](CommandCall& call) {
       resp::appendInteger(call.out, static_cast<int64_t>(call.client.id));
     }},
    {"client|setinfo",
     [](CommandCall& call) { clientSetinfo(call.request.argv, call.client, call.out); }, true},
    {"client|no-evict", ok},
    {"client|no-touch", [](CommandCall& call) { clientNoTouch(call.request.argv, call.out); }},
};

}  // namespace

std::string unknownCommandError(Argv argv) {
  const command::CommandSpec* container = command::lookup(argv[0]);
  if (container != nullptr && container->isContainer() && argv.size() > 1) {
    std::string upper(argv[0]);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return "ERR unknown subcommand '" + oneLine(argv[1].substr(0, 128)) + "'. Try " + upper +
           " HELP.";
  }
  // Redis quotes the arguments while the list stays under 128 bytes.
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    args.append("'").append(argv[i].substr(0, 128 - args.size())).append("' ");
  }
  return oneLine("ERR unknown command '" + std::string(argv[0].substr(0, 128)) +
                 "', with args beginning with: " + args);
}

std::span<const NamedHandler> clientStateHandlers() { return kClientStateHandlers; }

void appendHelloReply(std::string_view version, uint64_t id, resp::Protocol protocol,
                      std::string& out) {
  resp::appendMapHeader(out, 7, protocol);
  resp::appendBulk(out, "server");
  resp::appendBulk(out, "redis");
  resp::appendBulk(out, "version");
  resp::appendBulk(out, version);
  resp::appendBulk(out, "proto");
  resp::appendInteger(out, protocol == resp::Protocol::kResp3 ? 3 : 2);
  resp::appendBulk(out, "id");
  resp::appendInteger(out, static_cast<int64_t>(id));
  resp::appendBulk(out, "mode");
  resp::appendBulk(out, "standalone");
  resp::appendBulk(out, "role");
  resp::appendBulk(out, "master");
  resp::appendBulk(out, "modules");
  resp::appendArrayHeader(out, 0);
}

bool runLocalCommand(const command::CommandSpec& spec, Argv argv, const config::Pool& pool,
                     ClientState& client, std::string& out) {
  const CommandEntry& entry = commandEntry(stats::commandId(&spec));
  if (entry.route != RouteClass::kLocal || entry.handler == nullptr || entry.needs_session) {
    return false;
  }
  Request request;
  request.argv = argv;
  CommandCall call{entry, request, pool, client, out};
  entry.handler(call);
  return true;
}

}  // namespace shardis::proxy
