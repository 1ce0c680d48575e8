// Which arguments of a command are secrets that a log must not keep: the ones redis-server 7
// shows as "(redacted)" in SLOWLOG GET (its redactClientCommandArgument calls), found the
// same way Redis finds them:
//   AUTH [username] password                 every argument
//   HELLO ... AUTH username password ...     the two after AUTH
//   MIGRATE ... AUTH password / AUTH2 username password   (options before KEYS)
//   CONFIG SET name value ...                the value of requirepass, masterauth, masteruser
//   ACL SETUSER username rule ...            every argument after SETUSER
// Where Redis stops at a syntax error and so logs the rest in clear (AUTH with three
// arguments, HELLO's AUTH missing its password, an unknown option before AUTH), the proxy
// still redacts: one of those words was most likely a password. The TLS key passphrases
// (tls-key-file-pass, tls-client-key-file-pass) are redacted too.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace shardis::stats {

inline constexpr std::string_view kRedacted = "(redacted)";

// One flag per argument of `argv`: true where the argument is a secret.
[[nodiscard]] std::vector<bool> secretArguments(std::span<const std::string_view> argv);

}  // namespace shardis::stats
