#include "resp/request_decoder.h"

#include <algorithm>
#include <cstring>

#include "resp/line_parser.h"

namespace shardis::resp {
namespace {

// Preallocating argv for a declared count would let `*1000000\r\n` cost memory before any
// argument arrives; beyond this the vectors grow as arguments do.
constexpr size_t kArgvReserveCap = 1024;

constexpr std::string_view kInvalidMultibulkLength = "Protocol error: invalid multibulk length";
constexpr std::string_view kTooBigMultibulkCount = "Protocol error: too big mbulk count string";
constexpr std::string_view kInvalidBulkLength = "Protocol error: invalid bulk length";
constexpr std::string_view kTooBigBulkCount = "Protocol error: too big bulk count string";
constexpr std::string_view kTooBigInline = "Protocol error: too big inline request";
constexpr std::string_view kUnbalancedQuotes = "Protocol error: unbalanced quotes in request";
constexpr std::string_view kMissingBulkCrlf = "Protocol error: expected CRLF after bulk data";
constexpr std::string_view kUnauthenticatedMultibulk =
    "Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthenticatedBulk = "Protocol error: unauthenticated bulk length";

}  // namespace

RequestDecoder::RequestDecoder(const Limits& limits) : limits_(limits) {}

void RequestDecoder::reset() {
  startRequest();
  stage_ = Stage::kStart;
  error_.clear();
}

void RequestDecoder::startRequest() {
  stage_ = Stage::kStart;
  pos_ = 0;
  scan_from_ = 0;
  args_left_ = 0;
  bulk_len_ = 0;
  consumed_ = 0;
  inline_ = false;
  frame_ready_ = false;
  spans_.clear();
  argv_.clear();
}

Status RequestDecoder::fail(std::string_view message) {
  stage_ = Stage::kError;
  error_.assign(message);
  argv_.clear();
  consumed_ = 0;
  return Status::kError;
}

Status RequestDecoder::decode(std::string_view pending) {
  if (frame_ready_) startRequest();
  Status status = Status::kNeedMore;
  // Each stage either advances pos_ and hands over to the next, or returns.
  while (true) {
    switch (stage_) {
      case Stage::kStart:
        if (pending.empty()) return Status::kNeedMore;
        inline_ = pending[0] != '*';
        stage_ = inline_ ? Stage::kInline : Stage::kMultibulkCount;
        continue;
      case Stage::kMultibulkCount:
        status = decodeMultibulkCount(pending);
        break;
      case Stage::kBulkLength:
        status = decodeBulkLength(pending);
        break;
      case Stage::kBulkData:
        status = decodeBulkData(pending);
        break;
      case Stage::kInline:
        return decodeInline(pending);
      case Stage::kError:
        return Status::kError;
    }
    if (status != Status::kFrame) return status;
    if (args_left_ == 0) return finishMultibulk(pending);
  }
}

// Returns kFrame to mean "this step is complete, continue"; decode() turns the last one into
// the real frame once every argument is in.
Status RequestDecoder::decodeMultibulkCount(std::string_view pending) {
  size_t line_end = 0;
  switch (detail::findLineEnd(pending, 1, scan_from_, limits_.max_inline_len, line_end)) {
    case detail::LineScan::kNeedMore:
      return Status::kNeedMore;
    case detail::LineScan::kTooLong:
      return fail(kTooBigMultibulkCount);
    case detail::LineScan::kBadTerminator:
      return fail(kInvalidMultibulkLength);
    case detail::LineScan::kFound:
      break;
  }
  const auto count = detail::parseInteger(pending.substr(1, line_end - 1));
  // A count of zero or below (`*0`, the null `*-1`, `*-10`) is an empty request that Redis
  // skips, keeping the connection. Redis's own bound is INT_MAX, so past the unauthenticated
  // bound it says "unauthenticated" before the proxy's lower max_array_len would say "invalid".
  if (!count || *count > INT32_MAX) return fail(kInvalidMultibulkLength);
  if (!authenticated_ && *count > static_cast<int64_t>(kUnauthenticatedMaxArrayLen)) {
    return fail(kUnauthenticatedMultibulk);
  }
  if (*count > static_cast<int64_t>(limits_.max_array_len)) return fail(kInvalidMultibulkLength);
  pos_ = line_end + 2;
  args_left_ = std::max<int64_t>(*count, 0);
  const size_t reserve = std::min(static_cast<size_t>(args_left_), kArgvReserveCap);
  spans_.reserve(reserve);
  argv_.reserve(reserve);
  stage_ = Stage::kBulkLength;
  return Status::kFrame;
}

Status RequestDecoder::decodeBulkLength(std::string_view pending) {
  if (pos_ >= pending.size()) return Status::kNeedMore;
  if (pending[pos_] != '$') {
    std::string message = "Protocol error: expected '$', got '";
    message.push_back(pending[pos_]);
    message.push_back('\'');
    return fail(message);
  }
  size_t line_end = 0;
  switch (detail::findLineEnd(pending, pos_ + 1, scan_from_, limits_.max_inline_len, line_end)) {
    case detail::LineScan::kNeedMore:
      return Status::kNeedMore;
    case detail::LineScan::kTooLong:
      return fail(kTooBigBulkCount);
    case detail::LineScan::kBadTerminator:
      return fail(kInvalidBulkLength);
    case detail::LineScan::kFound:
      break;
  }
  const auto length = detail::parseInteger(pending.substr(pos_ + 1, line_end - pos_ - 1));
  if (!length || *length < 0 || static_cast<uint64_t>(*length) > limits_.max_bulk_len) {
    return fail(kInvalidBulkLength);
  }
  if (!authenticated_ && static_cast<uint64_t>(*length) > kUnauthenticatedMaxBulkLen) {
    return fail(kUnauthenticatedBulk);
  }
  bulk_len_ = static_cast<uint64_t>(*length);
  pos_ = line_end + 2;
  stage_ = Stage::kBulkData;
  return decodeBulkData(pending);
}

Status RequestDecoder::decodeBulkData(std::string_view pending) {
  // The payload is never scanned: its length says where the CRLF must be.
  if (pending.size() - pos_ < bulk_len_ + 2) return Status::kNeedMore;
  const size_t data_end = pos_ + static_cast<size_t>(bulk_len_);
  if (pending[data_end] != '\r' || pending[data_end + 1] != '\n') return fail(kMissingBulkCrlf);
  spans_.push_back({pos_, static_cast<size_t>(bulk_len_)});
  pos_ = data_end + 2;
  scan_from_ = pos_;
  --args_left_;
  stage_ = Stage::kBulkLength;
  return Status::kFrame;
}

Status RequestDecoder::finishMultibulk(std::string_view pending) {
  argv_.clear();
  for (const detail::ArgSpan& span : spans_) {
    argv_.emplace_back(pending.data() + span.offset, span.length);
  }
  consumed_ = pos_;
  frame_ready_ = true;
  return Status::kFrame;
}

Status RequestDecoder::decodeInline(std::string_view pending) {
  // The limit is on the line without its "\r\n", so the '\n' may sit at offset limit + 1.
  const size_t limit = limits_.max_inline_len;
  const size_t search_end = std::min(pending.size(), limit + 2);
  const void* newline = nullptr;
  if (scan_from_ < search_end) {
    newline = std::memchr(pending.data() + scan_from_, '\n', search_end - scan_from_);
  }
  if (newline == nullptr) {
    scan_from_ = std::max(scan_from_, search_end);
    // A line longer than the limit is refused as soon as that is certain, whether or not its
    // end has arrived, so the answer does not depend on how the bytes were split.
    const bool too_long =
        pending.size() > limit + 1 || (pending.size() == limit + 1 && pending[limit] != '\r');
    return too_long ? fail(kTooBigInline) : Status::kNeedMore;
  }
  const auto line_end = static_cast<size_t>(static_cast<const char*>(newline) - pending.data());
  size_t content_end = line_end;
  if (content_end > 0 && pending[content_end - 1] == '\r') --content_end;
  if (content_end > limit) return fail(kTooBigInline);
  const std::string_view line = pending.substr(0, content_end);
  inline_storage_.clear();
  inline_storage_.reserve(line.size());
  if (!detail::splitInlineArgs(line, inline_storage_, spans_)) return fail(kUnbalancedQuotes);
  argv_.clear();
  for (const detail::ArgSpan& span : spans_) {
    argv_.emplace_back(inline_storage_.data() + span.offset, span.length);
  }
  consumed_ = line_end + 1;
  frame_ready_ = true;
  return Status::kFrame;
}

}  // namespace shardis::resp
