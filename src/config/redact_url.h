// A config error quotes the server entry it refuses; for a URL that quote must not carry the
// password. These find the password of a URL (after the user name, or a password= parameter)
// and keep it out of the message.
#pragma once

#include <string>
#include <string_view>

namespace shardis::config::detail {

// `text` with each password replaced by "(redacted)"; any text without "://" is unchanged.
// The user info is taken to run to the last '@', so a password holding an unencoded '/',
// '?' or '@' is hidden whole.
[[nodiscard]] std::string redactUrl(std::string_view text);

// `reason` (from parseServerUrl) when it quotes nothing of the password, else a reason that
// says what is wrong without quoting: a '/' or '?' in a password cuts the URL early, so the
// parser's complaint is about a piece of the password.
[[nodiscard]] std::string redactUrlReason(std::string_view text, std::string_view reason);

}  // namespace shardis::config::detail
