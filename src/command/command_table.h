#pragma once

// The command table: every command and subcommand of Redis 7.0 (and the few later ones
// that client libraries send on connect) with its arity, flags, key
// specs and the proxy's routing class. The entries are generated from a real redis-server
// by scripts/gen-commands.py (command_table_gen.cc); this header and command_table.cc /
// find_keys.cc are the hand-written part. Callers: the session (lookup, arity, routing),
// the router (findKeys) and the local COMMAND implementation (raw_info, raw_docs and their
// RESP3 forms raw_info3, raw_docs3).
//
// Everything here is immutable, allocation-free and safe to use from any thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace shardis::command {

// How the proxy handles a command.
enum class Routing : uint8_t {
  kLocal,           // the proxy answers itself
  kSingleKey,       // exactly one key: forwarded to that key's server
  kSameServerKeys,  // several keys that must all land on one server, else -CROSSSLOT
  kSplit,           // keys grouped per server, replies merged (MGET, MSET, DEL ...)
  kAllServers,      // sent to every server of the pool, replies merged (DBSIZE, KEYS ...)
  kPinned,          // needs a dedicated backend connection (MULTI, blocking, pub/sub)
  kUnsupported,     // refused with CommandSpec::unsupported_reason
};

// Command flags, as COMMAND INFO names them.
enum Flag : uint32_t {
  kWrite = 1u << 0,
  kReadonly = 1u << 1,
  kDenyoom = 1u << 2,
  kModule = 1u << 3,
  kAdmin = 1u << 4,
  kPubsub = 1u << 5,
  kNoscript = 1u << 6,
  kBlocking = 1u << 7,
  kLoading = 1u << 8,
  kStale = 1u << 9,
  kSkipMonitor = 1u << 10,
  kSkipSlowlog = 1u << 11,
  kAsking = 1u << 12,
  kFast = 1u << 13,
  kNoAuth = 1u << 14,
  kMayReplicate = 1u << 15,
  kSentinel = 1u << 16,
  kOnlySentinel = 1u << 17,
  kNoMandatoryKeys = 1u << 18,
  kProtected = 1u << 19,
  kModuleGetkeys = 1u << 20,
  kModuleNoCluster = 1u << 21,
  kNoAsyncLoading = 1u << 22,
  kNoMulti = 1u << 23,
  kMovablekeys = 1u << 24,
  kAllowBusy = 1u << 25,
  kModuleGetchannels = 1u << 26,
  kTouchesArbitraryKeys = 1u << 27,
};

// Key-spec flags, as COMMAND INFO names them.
enum KeyFlag : uint16_t {
  kKeyRo = 1u << 0,
  kKeyRw = 1u << 1,
  kKeyOw = 1u << 2,
  kKeyRm = 1u << 3,
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,
  kKeyInsert = 1u << 6,
  kKeyDelete = 1u << 7,
  kKeyNotKey = 1u << 8,
  kKeyIncomplete = 1u << 9,
  kKeyVariableFlags = 1u << 10,
};

// Redis 7's key specs: where the search for keys begins, then how keys are found from there.
enum class BeginSearch : uint8_t { kIndex, kKeyword, kUnknown };
enum class FindKeys : uint8_t { kRange, kKeynum, kUnknown };

struct KeySpec {
  BeginSearch begin;
  int16_t index;  // kIndex: argv position; kKeyword: startfrom (negative counts from the end)
  std::string_view keyword;  // kKeyword only
  FindKeys find;
  int16_t lastkey;    // kRange: relative to the first key; negative counts from the end
  int16_t keystep;    // kRange and kKeynum
  int16_t limit;      // kRange with lastkey -1: only 1/limit of the remaining arguments
  int16_t keynumidx;  // kKeynum: where numkeys is, relative to the begin position
  int16_t firstkey;   // kKeynum: where the first key is, relative to the begin position
  uint16_t flags;     // KeyFlag bits
};

// How findKeys reads a command's keys. kKeySpecs follows the key specs alone; the others
// name the server's own rule for commands whose specs are incomplete or whose numkeys
// errors the client must see in the server's wording.
enum class KeyRule : uint8_t {
  kKeySpecs,
  kEvalNumkeys,        // EVAL, EVALSHA, EVAL_RO, EVALSHA_RO
  kFcallNumkeys,       // FCALL, FCALL_RO
  kZsetNumkeys,        // ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZUNION, ZINTER, ZDIFF, ZINTERCARD
  kSintercardNumkeys,  // SINTERCARD
  kMpopNumkeys,        // LMPOP, ZMPOP, BLMPOP, BZMPOP
  kStreams,            // XREAD, XREADGROUP: the keys follow STREAMS
  kSort,               // SORT: the key, then the last STORE destination
  kSortRo,             // SORT_RO: the key only
  kMigrate,            // MIGRATE: the key, or the keys after KEYS when it is ""
};

struct CommandSpec {
  std::string_view name;  // lowercase: "get", "client"; a subcommand "client|setname"
  int16_t arity;          // negative = at least -arity; counts the name (both words for a sub)
  uint32_t flags;         // Flag bits
  Routing routing;        // for a container: kLocal (the proxy answers an unknown
                          // subcommand) or kUnsupported when every subcommand is
  std::string_view unsupported_reason;       // routing == kUnsupported: the text after "-ERR "
  std::string_view raw_info;                 // RESP2 bytes of its element of COMMAND INFO
  std::string_view raw_docs;                 // RESP2 bytes of its name + docs pair of COMMAND DOCS
  std::span<const CommandSpec> subcommands;  // empty unless a container (CLIENT, CONFIG ...)
  KeyRule key_rule;
  std::span<const KeySpec> key_specs;  // as COMMAND INFO gives them, in order
  // A container's bytes before its subcommands array, in raw_info and raw_docs (empty for
  // other commands). head + "*<n>\r\n" + some subcommands' raw_info (or "*<2n>\r\n" + their
  // raw_docs) is the server's element with only those subcommands.
  std::string_view raw_info_head;
  std::string_view raw_docs_head;
  // False for the subcommands of later Redis releases that the proxy answers beyond
  // redis-server 7.0's table (CLIENT SETINFO, CLIENT NO-TOUCH): COMMAND INFO/DOCS name them,
  // but COMMAND's listings stay 7.0's and leave them out.
  bool listed;
  // The same four as the server sends them to a RESP3 client (after HELLO 3), where flags,
  // ACL categories, tips and key specs are sets, a key spec and the docs are maps. A
  // container's subcommands are "*<n>" in raw_info3 as in raw_info, but a map "%<n>" of
  // name -> docs pairs in raw_docs3 (RESP2: "*<2n>").
  std::string_view raw_info3;
  std::string_view raw_docs3;
  std::string_view raw_info3_head;
  std::string_view raw_docs3_head;

  [[nodiscard]] bool isContainer() const { return !subcommands.empty(); }
  [[nodiscard]] bool hasFlag(Flag flag) const { return (flags & flag) != 0; }
  // True when some argument may be a key (a key spec that is not not_key, or a key rule).
  [[nodiscard]] bool mayHaveKeys() const;
};

// A command by name, case-insensitive, allocation-free; nullptr if unknown. A full subcommand
// name ("client|setname") finds the subcommand, as COMMAND INFO accepts it.
[[nodiscard]] const CommandSpec* lookup(std::string_view name);

// A container's subcommand from argv[1] (case-insensitive); for other commands
// lookup(argv[0]). nullptr if unknown: the caller tells an unknown subcommand from an unknown
// command with lookup(argv[0]). A container named without a subcommand resolves to the
// container itself (its arity then fails).
[[nodiscard]] const CommandSpec* resolve(std::span<const std::string_view> argv);

// Top-level commands, sorted by name.
[[nodiscard]] std::span<const CommandSpec> allCommands();

// Redis's arity rule; argc counts the command name.
[[nodiscard]] inline bool arityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity >= 0 ? argc == static_cast<size_t>(spec.arity)
                         : argc >= static_cast<size_t>(-spec.arity);
}

// The routing class for this very request: XREAD and XREADGROUP with BLOCK are pinned,
// otherwise spec.routing.
[[nodiscard]] Routing routingOf(const CommandSpec& spec, std::span<const std::string_view> argv);

enum class KeysStatus : uint8_t { kOk, kSyntaxError };

// Appends the argv indexes of the keys, in order, to key_indexes. argv[0] is the command
// name and spec is what resolve() gave; a request that fails arityOk gets no keys.
//
// The keys are those the server's COMMAND GETKEYS names, with one deliberate difference:
// where an optional key range is empty (PFMERGE dest) the server names none, we name the
// keys that are there. kSyntaxError when the server would refuse the request for its key
// arguments (bad numkeys, unbalanced STREAMS ...): `error` gets the server's wording without
// the leading '-', e.g. "ERR Number of keys can't be greater than number of args", and
// key_indexes is left as it was.
[[nodiscard]] KeysStatus findKeys(const CommandSpec& spec, std::span<const std::string_view> argv,
                                  std::vector<uint32_t>& key_indexes, std::string_view& error);

}  // namespace shardis::command
