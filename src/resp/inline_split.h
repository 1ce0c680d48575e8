#pragma once

// Splits an inline request line into arguments with the quoting rules of Redis's
// sdssplitargs(): words separated by spaces; "double quotes" with \n \r \t \b \a \\ \" and
// \xHH escapes; 'single quotes' where only \' is special; a closing quote must be followed by
// a space or the end of the line. Used by RequestDecoder only.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace shardis::resp::detail {

// Where one argument sits in a buffer, as an offset so that it survives the buffer moving.
struct ArgSpan {
  size_t offset;
  size_t length;
};

// Appends the unquoted arguments of `line` to `storage` and records where each one sits.
// Returns false on unbalanced quotes. `storage` must have room reserved for line.size() more
// bytes by the caller if views into it must stay valid.
[[nodiscard]] bool splitInlineArgs(std::string_view line, std::string& storage,
                                   std::vector<ArgSpan>& args);

}  // namespace shardis::resp::detail
