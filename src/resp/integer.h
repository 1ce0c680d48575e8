#pragma once

// Redis's integer syntax (string2ll) for code outside the decoders: the proxy reads a
// command's integer arguments (WAIT's numreplicas and timeout) with the rule the server
// applies to them.

#include <cstdint>
#include <optional>
#include <string_view>

#include "resp/line_parser.h"

namespace shardis::resp {

// An optional '-', then digits with no leading zero, no '+' or spaces, within int64_t.
[[nodiscard]] inline std::optional<int64_t> parseInteger(std::string_view text) {
  return detail::parseInteger(text);
}

}  // namespace shardis::resp
