#include "stats/redact.h"

#include <algorithm>

namespace shardis::stats {

namespace {

using Argv = std::span<const std::string_view>;

// `lower` is lowercase ASCII; a client may write commands and options in any case.
bool is(std::string_view word, std::string_view lower) {
  return word.size() == lower.size() &&
         std::equal(word.begin(), word.end(), lower.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
         });
}

// Marks arguments [from, from + count), as far as argv goes.
void mark(std::vector<bool>& secret, size_t from, size_t count) {
  for (size_t i = from; i < from + count && i < secret.size(); ++i) secret[i] = true;
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void helloSecrets(Argv argv, std::vector<bool>& secret) {
  for (size_t i = 2; i < argv.size();) {
    if (is(argv[i], "auth")) {
      mark(secret, i + 1, 2);
      i += 3;
    } else if (is(argv[i], "setname")) {
      i += 2;  // a client named "auth" is not an AUTH option
    } else {
      ++i;
    }
  }
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password |
// AUTH2 username password] [KEYS key ...]
void migrateSecrets(Argv argv, std::vector<bool>& secret) {
  for (size_t i = 6; i < argv.size();) {
    if (is(argv[i], "auth")) {
      mark(secret, i + 1, 1);
      i += 2;
    } else if (is(argv[i], "auth2")) {
      mark(secret, i + 1, 2);
      i += 3;
    } else if (is(argv[i], "keys")) {
      return;  // key names follow, whatever they spell
    } else {
      ++i;
    }
  }
}

bool sensitiveSetting(std::string_view name) {
  for (std::string_view known : {"requirepass", "masterauth", "masteruser", "tls-key-file-pass",
                                 "tls-client-key-file-pass"}) {
    if (is(name, known)) return true;
  }
  return false;
}

// CONFIG SET name value [name value ...]
void configSetSecrets(Argv argv, std::vector<bool>& secret) {
  for (size_t i = 2; i + 1 < argv.size(); i += 2) {
    if (sensitiveSetting(argv[i])) secret[i + 1] = true;
  }
}

}  // namespace

std::vector<bool> secretArguments(Argv argv) {
  std::vector<bool> secret(argv.size(), false);
  if (argv.empty()) return secret;
  std::string_view name = argv[0];
  if (is(name, "auth")) {
    mark(secret, 1, argv.size());
  } else if (is(name, "hello")) {
    helloSecrets(argv, secret);
  } else if (is(name, "migrate")) {
    migrateSecrets(argv, secret);
  } else if (argv.size() > 1 && is(name, "config") && is(argv[1], "set")) {
    configSetSecrets(argv, secret);
  } else if (argv.size() > 1 && is(name, "acl") && is(argv[1], "setuser")) {
    mark(secret, 2, argv.size());
  }
  return secret;
}

}  // namespace shardis::stats
