#pragma once

// ReplyDecoder: finds where each reply a Redis server sends ends, and what it is, without
// copying it. ServerConnection owns one per backend connection. A reply that goes back to a
// single client is forwarded as its raw bytes; only the merge path (MGET, DEL, SCAN ...) looks
// inside, through the helpers at the bottom of this file.
//
// Every RESP2 type (+ - : $ *) and every RESP3 type (_ , # ( = ! % ~ > |) is understood,
// nested up to Limits::max_depth. RESP3 streamed strings and aggregates (`$?`, `*?`) are not:
// Redis itself never sends them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/limits.h"

namespace shardis::resp {

enum class ReplyType : uint8_t {
  kStatus,     // +OK
  kError,      // -ERR ...
  kInteger,    // :12
  kBulk,       // $3 foo, or the RESP2 null $-1
  kArray,      // *2 ..., or the RESP2 null *-1
  kNull,       // RESP3 _
  kDouble,     // RESP3 ,1.5
  kBoolean,    // RESP3 #t
  kBigNumber,  // RESP3 (1234...
  kVerbatim,   // RESP3 =15 txt:...
  kBlobError,  // RESP3 !21 SYNTAX ...
  kMap,        // RESP3 %2 ...
  kSet,        // RESP3 ~2 ...
  kPush,       // RESP3 >3 ... (pub/sub messages, invalidations)
};

struct Reply {
  ReplyType type = ReplyType::kNull;
  // Bulk/verbatim/blob-error length, or elements of array/set/push, or pairs of a map; -1 for
  // the RESP2 nulls $-1 and *-1; 0 for the other scalar types.
  int64_t count = 0;
  // Every byte of the reply: nested elements and any leading RESP3 attribute (|) included;
  // `type` is then that of the reply the attribute annotates.
  std::string_view raw;
};

class ReplyDecoder {
 public:
  explicit ReplyDecoder(const Limits& limits = {});

  // Same contract as RequestDecoder::decode(): `pending` starts at the first byte of the
  // reply being decoded and holds every byte not yet consumed.
  [[nodiscard]] Status decode(std::string_view pending);
  // After kFrame, until the next decode(); `raw` points into that call's `pending`.
  [[nodiscard]] const Reply& reply() const { return reply_; }
  [[nodiscard]] size_t consumed() const { return consumed_; }
  [[nodiscard]] std::string_view errorMessage() const { return error_; }
  void reset();

 private:
  enum class Stage : uint8_t { kHeader, kBlobData, kError };
  // An aggregate whose elements are still arriving.
  struct Open {
    uint64_t elements_left;
    bool attribute;  // an attribute does not count as an element of what encloses it
  };

  Status decodeHeader(std::string_view pending);
  Status decodeBlobData(std::string_view pending);
  Status onScalarLine(char kind, std::string_view line);
  Status onLength(char kind, std::string_view digits);
  Status openAggregate(char kind, int64_t count);
  void noteTopLevel(ReplyType type, int64_t count);
  bool completeElement();
  Status fail(std::string_view message);
  void startReply();

  Limits limits_;
  Stage stage_ = Stage::kHeader;
  size_t pos_ = 0;  // offset of the next unparsed byte, from the start of the reply
  size_t scan_from_ = 0;
  uint64_t blob_len_ = 0;
  char blob_kind_ = 0;
  bool top_level_seen_ = false;
  bool done_ = false;  // the element just parsed completed the whole reply
  bool frame_ready_ = false;
  size_t consumed_ = 0;
  Reply reply_;
  std::vector<Open> open_;
  std::string error_;
};

// Helpers for the merge path, re-reading one complete raw reply (as ReplyDecoder returned it).
// A leading attribute is skipped. They return nothing rather than guess on malformed input.

// A '-' or '!' reply.
[[nodiscard]] bool isError(const Reply& reply);
// ":12\r\n" -> 12.
[[nodiscard]] std::optional<int64_t> integerValue(std::string_view raw_reply);
// The payload of a status (+), a bulk ($, not the null $-1) or a RESP3 verbatim string (=,
// without its "txt:" format prefix).
[[nodiscard]] std::optional<std::string_view> stringValue(std::string_view raw_reply);
// Fills `elements` with the raw bytes of each top-level element of an array, set, push or map
// reply (a map's keys and values alternate, as RESP2 flattens it); false if `raw_reply` is
// none of those (the null array *-1 and RESP3's null included).
[[nodiscard]] bool arrayElements(std::string_view raw_reply,
                                 std::vector<std::string_view>& elements);

}  // namespace shardis::resp
