// Redis's glob rules (PSUBSCRIBE, PUBSUB CHANNELS, KEYS): `*` any run of bytes, `?` any one
// byte, `[abc]`, `[^abc]` and `[a-z]` a byte of (or not of) a set, `\x` the byte x itself.
// Byte-wise and case-sensitive, as a server matches channels against patterns; the proxy
// uses it to count which of its pattern subscriptions a PUBLISH reached.
#pragma once

#include <string_view>

namespace shardis::proxy {

[[nodiscard]] bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace shardis::proxy
