// BlockShape: what a blocking command looks like to the proxy when its keys span servers:
// which arguments are its keys, how to write the same command for one server's keys, its
// non-blocking form (the first pass of issue 15's algorithm), how that form's reply becomes
// the blocking command's, and how to put back what a blocking pop handed out.
//
//   BLPOP/BRPOP k.. t            non-blocking: LMPOP n k.. LEFT|RIGHT   put back: LPUSH/RPUSH
//   BZPOPMIN/BZPOPMAX k.. t      non-blocking: ZMPOP n k.. MIN|MAX      put back: ZADD
//   BLMPOP t n k.. dir [COUNT c] non-blocking: LMPOP n k.. dir ...      put back: LPUSH/RPUSH
//   BZMPOP t n k.. dir [COUNT c] non-blocking: ZMPOP n k.. dir ...      put back: ZADD
//   XREAD [COUNT c] BLOCK ms STREAMS k.. id..   non-blocking: XREAD without BLOCK; nothing to
//                                               put back (XREAD consumes nothing)
//
// Every function works on the client's arguments and writes a complete RESP command.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_table.h"

namespace shardis::proxy {

enum class BlockKind : uint8_t { kListPop, kZsetPop, kListMultiPop, kZsetMultiPop, kStreamRead };

class BlockShape {
 public:
  // The shape of `argv` (a blocking command, or XREAD with BLOCK, arity already checked);
  // nullopt for a blocking command with no cross-server form (BLMOVE, BRPOPLPUSH,
  // XREADGROUP) or arguments it cannot read (the server will give the error).
  static std::optional<BlockShape> of(const command::CommandSpec& spec,
                                      std::span<const std::string_view> argv);

  [[nodiscard]] BlockKind kind() const { return kind_; }
  // Redis's error for a bad timeout ("ERR timeout is negative" ...), empty when it is good.
  // Across servers the proxy checks it itself, since the first pass does not send it.
  [[nodiscard]] const std::string& timeoutError() const { return timeout_error_; }
  // The argv indexes of the keys, in the client's order.
  [[nodiscard]] size_t keyCount() const { return key_count_; }
  [[nodiscard]] size_t keyIndex(size_t ordinal) const { return first_key_ + ordinal; }

  // The blocking command for the keys `ordinals` (client order) only.
  void appendBlocking(std::string& out, std::span<const std::string_view> argv,
                      std::span<const uint32_t> ordinals) const;
  // The non-blocking form for the keys `ordinals`.
  void appendNonBlocking(std::string& out, std::span<const std::string_view> argv,
                         std::span<const uint32_t> ordinals) const;
  // The non-blocking form's reply as the blocking command gives it; nullopt for no data.
  [[nodiscard]] std::optional<std::string> blockingReply(std::string_view raw) const;
  // The commands that put back what the blocking command's reply `raw` handed out (empty
  // when it handed out nothing, or consumes nothing).
  [[nodiscard]] std::string putBack(std::string_view raw) const;

 private:
  BlockKind kind_ = BlockKind::kListPop;
  bool left_ = true;      // LEFT / MIN, else RIGHT / MAX
  size_t first_key_ = 1;  // argv index of the first key
  size_t key_count_ = 0;
  size_t numkeys_at_ = 0;  // BLMPOP/BZMPOP: the numkeys argument's index (0: none)
  std::string timeout_error_;

  void checkSeconds(std::string_view text);
  void checkMilliseconds(std::string_view text);
  void checkDeadline(int64_t ms);
};

}  // namespace shardis::proxy
