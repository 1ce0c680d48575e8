#pragma once

// RequestDecoder: turns the bytes a client sends into one command at a time. It speaks both
// forms Redis accepts: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what client libraries send)
// and inline (`GET k\r\n`, what telnet and redis-cli users type). ClientSession owns one per
// connection and calls decode() each time bytes arrive.
//
// The decoder never copies a multibulk argument: argv() points into the caller's buffer. It
// keeps offsets rather than pointers between calls, so the caller may move its buffer while a
// request is incomplete, and it resumes exactly where it stopped.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/inline_split.h"
#include "resp/limits.h"

namespace shardis::resp {

class RequestDecoder {
 public:
  explicit RequestDecoder(const Limits& limits = {});

  // `pending` = every byte received from the client and not yet consumed, starting at the
  // first byte of the request being decoded. Between calls the caller may move those bytes and
  // append more, but never drops any. Returns kFrame for one whole request, kNeedMore, or
  // kError (sticky until reset()).
  [[nodiscard]] Status decode(std::string_view pending);

  // After kFrame, until the next decode(): argv()[0] is the command name as sent (any case).
  // Multibulk arguments are views into the `pending` of that call; inline ones point into
  // storage owned by the decoder, with Redis's quoting undone. An empty inline line, `*0\r\n`
  // and `*-1\r\n` are frames with an empty argv, which the caller skips as Redis does.
  [[nodiscard]] std::span<const std::string_view> argv() const { return argv_; }
  // Bytes of the request just decoded; the caller drops them before the next decode().
  [[nodiscard]] size_t consumed() const { return consumed_; }
  [[nodiscard]] bool isInline() const { return inline_; }
  // After kError: Redis's wording without "-ERR " and CRLF.
  [[nodiscard]] std::string_view errorMessage() const { return error_; }
  // Until the client authenticates, Redis's tighter bounds apply (limits.h): a multibulk of
  // more than 10 arguments or a bulk of more than 16 KB is refused at its header. A decoder
  // is authenticated until told otherwise; reset() keeps the setting.
  void setAuthenticated(bool authenticated) { authenticated_ = authenticated; }
  // After kNeedMore in the middle of a bulk argument: the length the request will have at
  // least, up to that bulk's CRLF. 0 anywhere else (in a line, whose end is not known yet).
  [[nodiscard]] size_t bulkEnd() const {
    return stage_ == Stage::kBulkData ? pos_ + static_cast<size_t>(bulk_len_) + 2 : 0;
  }
  void reset();

  // For CLIENT LIST: the bytes of the arguments decoded so far (all of them after kFrame, the
  // complete ones after kNeedMore), and the heap memory the decoder's state holds.
  [[nodiscard]] size_t argBytes() const {
    size_t bytes = 0;
    for (const detail::ArgSpan& span : spans_) bytes += span.length;
    return bytes;
  }
  [[nodiscard]] size_t heapBytes() const {
    return spans_.capacity() * sizeof(detail::ArgSpan) +
           argv_.capacity() * sizeof(std::string_view) + stringHeap(inline_storage_) +
           stringHeap(error_);
  }

 private:
  static size_t stringHeap(const std::string& text) {
    const auto* inside = reinterpret_cast<const char*>(&text);
    bool inline_bytes = text.data() >= inside && text.data() < inside + sizeof(std::string);
    return inline_bytes ? 0 : text.capacity() + 1;
  }

  enum class Stage : uint8_t { kStart, kMultibulkCount, kBulkLength, kBulkData, kInline, kError };
  Status decodeMultibulkCount(std::string_view pending);
  Status decodeBulkLength(std::string_view pending);
  Status decodeBulkData(std::string_view pending);
  Status decodeInline(std::string_view pending);
  Status finishMultibulk(std::string_view pending);
  Status fail(std::string_view message);
  void startRequest();

  Limits limits_;
  Stage stage_ = Stage::kStart;
  size_t pos_ = 0;        // offset of the next unparsed byte, from the start of the request
  size_t scan_from_ = 0;  // where the search for the current line's end resumes
  int64_t args_left_ = 0;
  uint64_t bulk_len_ = 0;
  size_t consumed_ = 0;
  bool inline_ = false;
  bool frame_ready_ = false;  // the last decode() returned kFrame
  bool authenticated_ = true;
  std::vector<detail::ArgSpan> spans_;
  std::vector<std::string_view> argv_;
  std::string inline_storage_;
  std::string error_;
};

}  // namespace shardis::resp
