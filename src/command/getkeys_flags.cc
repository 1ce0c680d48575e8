// COMMAND GETKEYSANDFLAGS's key finding, step for step as redis-server 7.0 does it (db.c's
// getKeysFromCommandWithSpecs): the key specs when they are complete and their flags fixed;
// otherwise the command's getkeys procedure. The procedures read numkeys with atoi() and give
// most keys no flags; both quirks show in the server's replies, so they are kept here.

#include "command/getkeys_flags.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "command/ascii.h"
#include "command/key_procedures.h"

namespace shardis::command {
namespace {

using Argv = std::span<const std::string_view>;
using Keys = std::vector<KeyWithFlags>;

constexpr std::array<std::string_view, 11> kKeyFlagNames = {
    "RO",     "RW",     "OW",      "RM",         "access",        "update",
    "insert", "delete", "not_key", "incomplete", "variable_flags"};

// C's atoi: leading blanks, a sign, then digits up to the first other byte; 0 when none.
int64_t atoiPrefix(std::string_view text) {
  size_t at = 0;
  while (at < text.size() && (text[at] == ' ' || (text[at] >= '\t' && text[at] <= '\r'))) ++at;
  bool negative = at < text.size() && text[at] == '-';
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) ++at;
  int64_t value = 0;
  for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
    value = std::min<int64_t>(value * 10 + (text[at] - '0'), INT32_MAX);
  }
  return negative ? -value : value;
}

// Where a keyword spec's search starts the key range (0: keyword absent). Like the server,
// the search stops before `end` without looking at it.
int64_t keywordFirst(const KeySpec& spec, Argv argv) {
  const auto argc = static_cast<int64_t>(argv.size());
  const int64_t start = spec.index > 0 ? spec.index : argc + spec.index;
  const int64_t end = spec.index > 0 ? argc - 1 : 1;
  for (int64_t i = start; i != end; i = start <= end ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (equalsIgnoreCase(argv[i], spec.keyword)) return i + 1;
  }
  return 0;
}

// The range of one spec from `first`; false when the spec cannot say (the server's
// "invalid spec").
bool specRange(const KeySpec& spec, Argv argv, int64_t& first, int64_t& last) {
  const auto argc = static_cast<int64_t>(argv.size());
  if (spec.find == FindKeys::kRange) {
    if (spec.lastkey >= 0) {
      last = first + spec.lastkey;
    } else if (spec.limit == 0) {
      last = argc + spec.lastkey;
    } else {
      last = first + ((argc - first) / spec.limit + spec.lastkey);
    }
  } else if (spec.find == FindKeys::kKeynum) {
    if (spec.keynumidx >= argc || first + spec.keynumidx >= argc) return false;
    const std::string_view text = argv[first + spec.keynumidx];
    int64_t numkeys = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), numkeys);
    if (ec != std::errc() || end != text.data() + text.size() || numkeys < 0) return false;
    first += spec.firstkey;
    last = first + numkeys - 1;
  } else {
    return false;
  }
  return last < argc && last >= first && first < argc;
}

// getKeysUsingKeySpecs: the number of keys, or -1 when a spec cannot say.
int specKeys(const CommandSpec& command, Argv argv, Keys& keys) {
  for (const KeySpec& spec : command.key_specs) {
    if ((spec.flags & kKeyNotKey) != 0) continue;
    int64_t first = 0;
    int64_t last = 0;
    if (spec.begin == BeginSearch::kIndex) {
      first = spec.index;
    } else if (spec.begin == BeginSearch::kKeyword) {
      first = keywordFirst(spec, argv);
      if (first == 0) continue;
    } else {
      return -1;
    }
    if (!specRange(spec, argv, first, last)) return -1;
    const int64_t step = spec.find == FindKeys::kRange || spec.find == FindKeys::kKeynum
                             ? std::max<int64_t>(spec.keystep, 1)
                             : 1;
    for (int64_t i = first; i <= last; i += step) {
      keys.push_back({static_cast<uint32_t>(i), spec.flags});
    }
    if ((spec.flags & kKeyIncomplete) != 0) return -1;
  }
  return static_cast<int>(keys.size());
}

// genericGetKeys: numkeys at `count_at`, keys from `first_at`, then the store key if any; no
// flags.
void numkeysKeys(Argv argv, uint32_t store_at, uint32_t count_at, uint32_t first_at, Keys& keys) {
  const int64_t num = atoiPrefix(argv[count_at]);
  if (num < 1 || num > static_cast<int64_t>(argv.size() - first_at)) return;
  for (int64_t i = 0; i < num; ++i) keys.push_back({static_cast<uint32_t>(first_at + i), 0});
  if (store_at != 0) keys.push_back({store_at, 0});
}

// xreadGetKeys: the first half of what follows STREAMS, when the rest pairs up.
void streamsKeys(Argv argv, Keys& keys) {
  size_t streams = 0;
  for (size_t i = 1; i < argv.size() && streams == 0; ++i) {
    if (isKeyword(argv[i], "block") || isKeyword(argv[i], "count")) {
      i += 1;
    } else if (isKeyword(argv[i], "group")) {
      i += 2;
    } else if (isKeyword(argv[i], "streams")) {
      streams = i;
    } else if (!isKeyword(argv[i], "noack")) {
      break;
    }
  }
  const size_t num = streams == 0 ? 0 : argv.size() - streams - 1;
  if (num == 0 || num % 2 != 0) return;
  for (size_t i = 0; i < num / 2; ++i) keys.push_back({static_cast<uint32_t>(streams + 1 + i), 0});
}

// sortGetKeys: the key, then the last STORE destination (LIMIT, GET and BY skip their values).
void sortKeys(Argv argv, bool read_only, Keys& keys) {
  keys.push_back({1, kKeyRo | kKeyAccess});
  if (read_only) return;
  uint32_t store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (isKeyword(argv[i], "limit")) {
      i += 2;
    } else if (isKeyword(argv[i], "get") || isKeyword(argv[i], "by")) {
      i += 1;
    } else if (isKeyword(argv[i], "store") && i + 1 < argv.size()) {
      store = static_cast<uint32_t>(i + 1);
    }
  }
  if (store != 0) keys.push_back({store, kKeyOw | kKeyUpdate});
}

// migrateGetKeys: the key, or with KEYS (and an empty key) every argument after it.
void migrateKeys(Argv argv, Keys& keys) {
  const KeyRange range = migrateKeyRange(argv);
  for (size_t i = 0; i < range.count; ++i) {
    keys.push_back({static_cast<uint32_t>(range.first + i), kKeyRw | kKeyAccess | kKeyDelete});
  }
}

// setGetKeys: overwritten, unless GET reads the old value.
void setKeys(Argv argv, Keys& keys) {
  const Argv options = argv.subspan(std::min<size_t>(3, argv.size()));
  const bool get = std::any_of(options.begin(), options.end(),
                               [](std::string_view arg) { return isKeyword(arg, "get"); });
  keys.push_back(
      {1, static_cast<uint16_t>(get ? kKeyRw | kKeyAccess | kKeyUpdate : kKeyOw | kKeyUpdate)});
}

// bitfieldGetKeys: read-only when every operation is a GET (or OVERFLOW).
void bitfieldKeys(Argv argv, Keys& keys) {
  bool read_only = true;
  for (size_t i = 2; i < argv.size() && read_only; ++i) {
    const size_t remaining = argv.size() - i - 1;
    if (isKeyword(argv[i], "get") && remaining >= 2) {
      i += 2;
    } else if (isKeyword(argv[i], "overflow") && remaining >= 1) {
      i += 1;
    } else {
      read_only = false;  // SET, INCRBY or a syntax error: the server assumes a write
    }
  }
  keys.push_back({1, static_cast<uint16_t>(read_only ? kKeyRo | kKeyAccess
                                                     : kKeyRw | kKeyAccess | kKeyUpdate)});
}

// georadiusGetKeys: the key and the last STORE/STOREDIST destination, no flags.
void georadiusKeys(Argv argv, Keys& keys) {
  uint32_t store = 0;
  for (size_t i = 5; i + 1 < argv.size(); ++i) {
    if (isKeyword(argv[i], "store") || isKeyword(argv[i], "storedist")) {
      store = static_cast<uint32_t>(++i);
    }
  }
  keys.push_back({1, 0});
  if (store != 0) keys.push_back({store, 0});
}

// The command's getkeys procedure, for the commands that have one.
void procedureKeys(const CommandSpec& spec, Argv argv, Keys& keys) {
  const std::string_view name = spec.name;
  switch (spec.key_rule) {
    case KeyRule::kEvalNumkeys:
    case KeyRule::kFcallNumkeys:
      return numkeysKeys(argv, 0, 2, 3, keys);
    case KeyRule::kZsetNumkeys:
      if (name.ends_with("store")) return numkeysKeys(argv, 1, 2, 3, keys);
      return numkeysKeys(argv, 0, 1, 2, keys);
    case KeyRule::kSintercardNumkeys:
      return numkeysKeys(argv, 0, 1, 2, keys);
    case KeyRule::kMpopNumkeys:
      if (name.starts_with("b")) return numkeysKeys(argv, 0, 2, 3, keys);  // timeout first
      return numkeysKeys(argv, 0, 1, 2, keys);
    case KeyRule::kStreams:
      return streamsKeys(argv, keys);
    case KeyRule::kSort:
    case KeyRule::kSortRo:
      return sortKeys(argv, spec.key_rule == KeyRule::kSortRo, keys);
    case KeyRule::kMigrate:
      return migrateKeys(argv, keys);
    case KeyRule::kKeySpecs:
      break;
  }
  // Commands whose specs alone name their keys, but with flags that depend on the arguments,
  // or a STORE keyword that may be the last argument.
  if (name == "set") return setKeys(argv, keys);
  if (name == "bitfield") return bitfieldKeys(argv, keys);
  if (name == "georadius" || name == "georadiusbymember") return georadiusKeys(argv, keys);
}

}  // namespace

bool keysWithFlags(const CommandSpec& spec, Argv argv, std::vector<KeyWithFlags>& keys) {
  const bool has_keyspec =
      std::any_of(spec.key_specs.begin(), spec.key_specs.end(),
                  [](const KeySpec& s) { return (s.flags & kKeyNotKey) == 0; });
  const bool variable_flags =
      std::any_of(spec.key_specs.begin(), spec.key_specs.end(),
                  [](const KeySpec& s) { return (s.flags & kKeyVariableFlags) != 0; });
  Keys found;
  if (has_keyspec && !variable_flags) {
    const int count = specKeys(spec, argv, found);
    if (count >= 0) {
      keys.insert(keys.end(), found.begin(), found.end());
      return count > 0;
    }
    found.clear();
  }
  procedureKeys(spec, argv, found);
  keys.insert(keys.end(), found.begin(), found.end());
  return !found.empty();
}

std::span<const std::string_view> keyFlagNames() { return kKeyFlagNames; }

}  // namespace shardis::command
