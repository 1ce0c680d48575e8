// findKeys: the argv positions of a command's keys, as the server's COMMAND GETKEYS gives
// them. Most commands follow their key specs; the KeyRule ones add the server's own rules
// (numkeys checks with the server's wording, STREAMS, SORT ... STORE, MIGRATE ... KEYS).

#include <array>
#include <climits>
#include <cstdint>
#include <optional>

#include "command/ascii.h"
#include "command/command_table.h"
#include "command/key_procedures.h"

namespace shardis::command {
namespace {

using Argv = std::span<const std::string_view>;

constexpr std::string_view kFine;  // no error
constexpr std::string_view kSyntaxError = "ERR syntax error";
constexpr std::string_view kNotAnInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kTooManyKeys = "ERR Number of keys can't be greater than number of args";
constexpr std::string_view kNegativeKeys = "ERR Number of keys can't be negative";
constexpr std::string_view kNumkeysNotPositive = "ERR numkeys should be greater than 0";

// The server's string2ll: optional '-', no '+', no leading zero, no spaces, no overflow.
std::optional<int64_t> parseInteger(std::string_view text) {
  if (text.empty() || text.size() > 20) {
    return std::nullopt;
  }
  if (text == "0") {
    return 0;
  }
  const bool negative = text[0] == '-';
  size_t i = negative ? 1 : 0;
  if (i >= text.size() || text[i] < '1' || text[i] > '9') {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  if (negative) {
    if (value > static_cast<uint64_t>(INT64_MAX) + 1) {
      return std::nullopt;
    }
    return static_cast<int64_t>(0 - value);
  }
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

// Where a key spec's search starts: 0 when a keyword is absent.
int beginOf(const KeySpec& spec, Argv argv) {
  const int argc = static_cast<int>(argv.size());
  if (spec.begin == BeginSearch::kIndex) {
    return spec.index;
  }
  // Forward from startfrom, or backward from argc+startfrom; argv[0] is never searched.
  const int start = spec.index > 0 ? spec.index : argc + spec.index;
  const int end = spec.index > 0 ? argc - 1 : 1;
  const int step = start <= end ? 1 : -1;
  for (int i = start; i != end; i += step) {
    if (i >= argc || i < 1) {
      break;
    }
    if (equalsIgnoreCase(argv[static_cast<size_t>(i)], spec.keyword)) {
      return i + 1;
    }
  }
  return 0;
}

// One key spec's keys; false when the spec cannot say (the server then falls back).
bool keysOfSpec(const KeySpec& spec, Argv argv, std::vector<uint32_t>& keys) {
  const int argc = static_cast<int>(argv.size());
  if (spec.begin == BeginSearch::kUnknown || spec.find == FindKeys::kUnknown) {
    return false;
  }
  int first = beginOf(spec, argv);
  if (first == 0) {
    return true;  // an optional keyword that is not there
  }
  int last = 0;
  int step = spec.keystep;
  if (spec.find == FindKeys::kRange) {
    if (spec.lastkey >= 0) {
      last = first + spec.lastkey;
    } else if (spec.limit == 0) {
      last = argc + spec.lastkey;
    } else {
      last = first + ((argc - first) / spec.limit + spec.lastkey);
    }
  } else {
    const int at = first + spec.keynumidx;
    const std::optional<int64_t> numkeys =
        at < argc ? parseInteger(argv[static_cast<size_t>(at)]) : std::nullopt;
    if (!numkeys || *numkeys < 0 || *numkeys > argc) {
      return false;
    }
    first += spec.firstkey;
    last = first + static_cast<int>(*numkeys) - 1;
  }
  if (last >= argc || last < first || first >= argc || step <= 0) {
    return false;
  }
  for (int i = first; i <= last; i += step) {
    keys.push_back(static_cast<uint32_t>(i));
  }
  return (spec.flags & kKeyIncomplete) == 0;
}

// Every key spec in order; a spec that cannot say is skipped, as the server's fallbacks do
// for the commands that follow their specs alone.
void keysOfSpecs(const CommandSpec& spec, Argv argv, std::vector<uint32_t>& keys) {
  for (const KeySpec& key_spec : spec.key_specs) {
    if ((key_spec.flags & kKeyNotKey) == 0) {
      (void)keysOfSpec(key_spec, argv, keys);
    }
  }
}

const KeySpec* keynumSpec(const CommandSpec& spec) {
  for (const KeySpec& key_spec : spec.key_specs) {
    if (key_spec.find == FindKeys::kKeynum && key_spec.begin == BeginSearch::kIndex) {
      return &key_spec;
    }
  }
  return nullptr;
}

// ZUNIONSTORE and friends name themselves in one of their errors.
std::string_view zsetNoKeysError(std::string_view name) {
  struct NamedError {
    std::string_view name;
    std::string_view error;
  };
  static constexpr std::array<NamedError, 7> kErrors = {{
      {"zunionstore", "ERR at least 1 input key is needed for 'zunionstore' command"},
      {"zinterstore", "ERR at least 1 input key is needed for 'zinterstore' command"},
      {"zdiffstore", "ERR at least 1 input key is needed for 'zdiffstore' command"},
      {"zunion", "ERR at least 1 input key is needed for 'zunion' command"},
      {"zinter", "ERR at least 1 input key is needed for 'zinter' command"},
      {"zdiff", "ERR at least 1 input key is needed for 'zdiff' command"},
      {"zintercard", "ERR at least 1 input key is needed for 'zintercard' command"},
  }};
  for (const NamedError& named : kErrors) {
    if (named.name == name) {
      return named.error;
    }
  }
  return kSyntaxError;
}

// The server's checks of numkeys for each family, in the server's order; empty when fine.
std::string_view numkeysError(const CommandSpec& spec, Argv argv) {
  const KeySpec* keynum = keynumSpec(spec);
  if (keynum == nullptr) {
    return {};
  }
  const auto at = static_cast<size_t>(keynum->index + keynum->keynumidx);
  const auto first_key = static_cast<size_t>(keynum->index + keynum->firstkey);
  const int64_t available = static_cast<int64_t>(argv.size()) - static_cast<int64_t>(first_key);
  const std::optional<int64_t> n = at < argv.size() ? parseInteger(argv[at]) : std::nullopt;
  switch (spec.key_rule) {
    case KeyRule::kEvalNumkeys:
    case KeyRule::kFcallNumkeys:
      if (!n) {
        return spec.key_rule == KeyRule::kEvalNumkeys ? kNotAnInteger
                                                      : "ERR Bad number of keys provided";
      }
      return *n > available ? kTooManyKeys : *n < 0 ? kNegativeKeys : kFine;
    case KeyRule::kZsetNumkeys:
      if (!n || *n < INT_MIN || *n > INT_MAX) {
        return kNotAnInteger;
      }
      return *n < 1 ? zsetNoKeysError(spec.name) : *n > available ? kSyntaxError : kFine;
    case KeyRule::kSintercardNumkeys:
      if (!n || *n < 1) {
        return kNumkeysNotPositive;
      }
      return *n > available ? kTooManyKeys : kFine;
    case KeyRule::kMpopNumkeys:
      if (!n || *n < 1) {
        return kNumkeysNotPositive;
      }
      return *n >= available ? kSyntaxError : kFine;  // LEFT|RIGHT or MIN|MAX must follow
    default:
      return {};
  }
}

// XREAD/XREADGROUP: options, then STREAMS key... id..., half of what follows STREAMS.
std::string_view streamKeys(Argv argv, std::vector<uint32_t>& keys) {
  size_t streams = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    if (isKeyword(arg, "block") || isKeyword(arg, "count")) {
      i += 1;
    } else if (isKeyword(arg, "group")) {
      i += 2;
    } else if (isKeyword(arg, "streams")) {
      streams = i;
      break;
    } else if (!isKeyword(arg, "noack")) {
      break;
    }
  }
  const size_t rest = streams == 0 ? 0 : argv.size() - streams - 1;
  if (rest == 0) {
    return kSyntaxError;
  }
  if (rest % 2 != 0) {
    // Redis 7.0 words it so for XREADGROUP too.
    return "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
           "specified.";
  }
  for (size_t i = streams + 1; i <= streams + rest / 2; ++i) {
    keys.push_back(static_cast<uint32_t>(i));
  }
  return {};
}

// SORT key [BY p] [LIMIT o c] [GET p ...] ... [STORE dest]: the last STORE wins.
void sortKeys(Argv argv, std::vector<uint32_t>& keys) {
  keys.push_back(1);
  size_t store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (isKeyword(argv[i], "limit")) {
      i += 2;
    } else if (isKeyword(argv[i], "get") || isKeyword(argv[i], "by")) {
      i += 1;
    } else if (isKeyword(argv[i], "store") && i + 1 < argv.size()) {
      store = i + 1;  // not skipped: the server reads the next argument as an option too
    }
  }
  if (store != 0) {
    keys.push_back(static_cast<uint32_t>(store));
  }
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 u pw] [KEYS k...].
void migrateKeys(Argv argv, std::vector<uint32_t>& keys) {
  if (argv.size() < 4) {
    return;  // below MIGRATE's arity
  }
  // The key spec finds KEYS searching back from the last-but-one argument.
  bool has_keys = false;
  for (size_t i = argv.size() - 2; i > 1 && !has_keys; --i) {
    has_keys = isKeyword(argv[i], "keys");
  }
  if (!has_keys) {
    keys.push_back(3);
    return;
  }
  const KeyRange range = migrateKeyRange(argv);
  for (size_t i = 0; i < range.count; ++i) {
    keys.push_back(static_cast<uint32_t>(range.first + i));
  }
}

}  // namespace

KeysStatus findKeys(const CommandSpec& spec, Argv argv, std::vector<uint32_t>& key_indexes,
                    std::string_view& error) {
  if (!arityOk(spec, argv.size())) {
    return KeysStatus::kOk;  // no keys: the caller answers the arity error first
  }
  const size_t original_size = key_indexes.size();
  std::string_view problem;
  switch (spec.key_rule) {
    case KeyRule::kKeySpecs:
      keysOfSpecs(spec, argv, key_indexes);
      break;
    case KeyRule::kEvalNumkeys:
    case KeyRule::kFcallNumkeys:
    case KeyRule::kZsetNumkeys:
    case KeyRule::kSintercardNumkeys:
    case KeyRule::kMpopNumkeys:
      problem = numkeysError(spec, argv);
      if (problem.empty()) {
        keysOfSpecs(spec, argv, key_indexes);
      }
      break;
    case KeyRule::kStreams:
      problem = streamKeys(argv, key_indexes);
      break;
    case KeyRule::kSort:
      sortKeys(argv, key_indexes);
      break;
    case KeyRule::kSortRo:
      key_indexes.push_back(1);
      break;
    case KeyRule::kMigrate:
      migrateKeys(argv, key_indexes);
      break;
  }
  if (!problem.empty()) {
    key_indexes.resize(original_size);
    error = problem;
    return KeysStatus::kSyntaxError;
  }
  return KeysStatus::kOk;
}

}  // namespace shardis::command
