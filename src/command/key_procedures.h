#pragma once

// The parts of Redis's key procedures (the *GetKeys functions of db.c) that more than one
// caller in this module needs: the routing key finder (find_keys.cc) and COMMAND
// GETKEYSANDFLAGS (getkeys_flags.cc). Internal to the command module.

#include <cstddef>
#include <span>
#include <string_view>

#include "command/ascii.h"

namespace shardis::command {

// Where MIGRATE's keys are, as migrateGetKeys finds them.
struct KeyRange {
  size_t first = 0;
  size_t count = 0;
};

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 u pw] [KEYS k...]:
// the key argument, or with KEYS (whose key argument must be "", else none) every argument
// after KEYS. AUTH and AUTH2 skip their passwords, which may read "keys".
inline KeyRange migrateKeyRange(std::span<const std::string_view> argv) {
  for (size_t i = 6; i < argv.size(); ++i) {
    if (isKeyword(argv[i], "keys")) {
      const size_t first = i + 1;
      return {first, argv[3].empty() ? argv.size() - first : 0};
    }
    if (isKeyword(argv[i], "auth")) {
      i += 1;
    } else if (isKeyword(argv[i], "auth2")) {
      i += 2;
    }
  }
  return {3, 1};
}

}  // namespace shardis::command
