// COMMAND LIST's FILTERBY MODULE|ACLCAT|PATTERN, as Redis 7.0 reads it: one FILTERBY with
// its argument, anything else a syntax error. Commands and subcommands are matched each on
// their own, so `PATTERN client*` lists `client|list` too. The proxy loads no modules, so a
// MODULE filter matches nothing; an unknown ACL category matches nothing, as in Redis.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"

namespace shardis::proxy {

class CommandListFilter {
 public:
  // `argv` is the whole request (COMMAND LIST ...); nullopt: Redis's "syntax error".
  static std::optional<CommandListFilter> parse(std::span<const std::string_view> argv);

  [[nodiscard]] bool matches(const command::CommandSpec& spec) const;

 private:
  enum class Kind : unsigned char { kAll, kModule, kAclCategory, kPattern };
  Kind kind_ = Kind::kAll;
  std::string arg_;  // the category as "+@name\r\n" in COMMAND INFO's bytes, or the pattern
};

}  // namespace shardis::proxy
