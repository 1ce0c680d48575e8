// The Mergers of the FUNCTION subcommands sent to every server of a pool (issue 13 item 9).
// Libraries are loaded on every server, so each server should answer what one redis-server
// would; these mergers answer that once, or say which server stands apart.
//
// Error rule, for every FUNCTION merger: when every server answered the same error (a bad
// argument, "Library not found" everywhere), the reply is that error unchanged, as one
// redis-server words it; otherwise the lowest-numbered server that failed is named, its own
// error code first ("ERR server s2: Library not found", see serverError in merger.h).
//
//   DELETE, FLUSH, RESTORE  +OK when every server said OK
//   LIST                    the first server's reply, once every server lists the same
//                           libraries; Redis orders them (and their functions) by its hash
//                           tables, whose seed differs per process, so order is not compared
//   DUMP                    the first server's payload, once every payload holds the same
//                           libraries (order-free too) for the same RDB version
//   STATS                   engines as every server counts them (they must agree), and the
//                           running_script of the server whose script has run the longest
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/merger.h"

namespace shardis::proxy {

// The base of the FUNCTION mergers: keeps each server's error, hands good replies to merge().
class FunctionMerger : public Merger {
 public:
  FunctionMerger(const ServerNames& servers, std::span<const uint32_t> part_servers);

  void onPartReply(uint32_t part, const resp::Reply& reply) final;
  void onPartFailure(uint32_t part, std::string_view message) final;
  void finish(std::string& reply) override;

 protected:
  virtual void merge(uint32_t part, const resp::Reply& reply) = 0;
  virtual void build(std::string& reply) = 0;
  // `part`'s answer is not what the first answering server said: "ERR server s3: FUNCTION
  // LIST differs from server s1's" (`what` is "FUNCTION LIST differs").
  void differs(uint32_t part, uint32_t first_part, std::string_view what);
  void unexpected(uint32_t part);
  // The error reply (text without '-'), or empty when every part answered well.
  [[nodiscard]] std::string errorText() const;
  [[nodiscard]] bool failed() const { return failed_parts_ != 0; }
  [[nodiscard]] const std::string& serverNameOf(uint32_t part) const {
    return servers_.serverName(part_servers_[part]);
  }
  [[nodiscard]] size_t parts() const { return part_servers_.size(); }
  // The part got no answer a server gives (down, timeout, an unexpected reply): it may or
  // may not have run there.
  [[nodiscard]] bool unanswered(uint32_t part) const { return transport_[part]; }

 private:
  const ServerNames& servers_;
  std::vector<uint32_t> part_servers_;
  // Per part: its error as the client would get it (server named), and the raw error reply.
  std::vector<std::string> errors_;
  std::vector<std::string> raw_errors_;
  std::vector<bool> transport_;  // the part never got a server's reply (down, timeout)
  size_t failed_parts_ = 0;
  std::string disagreement_;
};

std::unique_ptr<Merger> makeFunctionOkMerger(const ServerNames& servers,
                                             std::span<const uint32_t> part_servers);
std::unique_ptr<Merger> makeFunctionListMerger(const ServerNames& servers,
                                               std::span<const uint32_t> part_servers);
std::unique_ptr<Merger> makeFunctionDumpMerger(const ServerNames& servers,
                                               std::span<const uint32_t> part_servers);
std::unique_ptr<Merger> makeFunctionStatsMerger(const ServerNames& servers,
                                                std::span<const uint32_t> part_servers);

// What the comparisons see, exposed for the unit tests. Each is empty (nullopt) when the reply
// does not have the expected shape.
// FUNCTION LIST's libraries, each with its functions sorted, the libraries sorted.
std::optional<std::string> canonicalFunctionList(std::string_view raw_reply);
// A FUNCTION DUMP payload's library codes (LZF strings expanded), sorted, and its version.
std::optional<std::string> canonicalFunctionDump(std::string_view payload);
// liblzf's format, as RDB stores a compressed string; nullopt when `in` does not expand to
// exactly `expanded_size` bytes.
std::optional<std::string> lzfExpand(std::string_view in, size_t expanded_size);

}  // namespace shardis::proxy
