#include "resp/reply_decoder.h"

#include "resp/line_parser.h"

namespace shardis::resp {
namespace {

constexpr std::string_view kInvalidMultibulkLength = "Protocol error: invalid multibulk length";
constexpr std::string_view kTooBigMultibulkCount = "Protocol error: too big mbulk count string";
constexpr std::string_view kInvalidBulkLength = "Protocol error: invalid bulk length";
constexpr std::string_view kTooBigBulkCount = "Protocol error: too big bulk count string";
constexpr std::string_view kMissingBulkCrlf = "Protocol error: expected CRLF after bulk data";
constexpr std::string_view kMissingLineCrlf = "Protocol error: expected CRLF at end of line";
constexpr std::string_view kTooBigLine = "Protocol error: too big reply line";
constexpr std::string_view kTooDeep = "Protocol error: too deep nesting of aggregate replies";

bool isBlobKind(char kind) { return kind == '$' || kind == '=' || kind == '!'; }

bool isAggregateKind(char kind) {
  return kind == '*' || kind == '%' || kind == '~' || kind == '>' || kind == '|';
}

bool isScalarKind(char kind) {
  return kind == '+' || kind == '-' || kind == ':' || kind == '_' || kind == ',' || kind == '#' ||
         kind == '(';
}

ReplyType typeOf(char kind) {
  switch (kind) {
    case '+':
      return ReplyType::kStatus;
    case '-':
      return ReplyType::kError;
    case ':':
      return ReplyType::kInteger;
    case '$':
      return ReplyType::kBulk;
    case '*':
      return ReplyType::kArray;
    case ',':
      return ReplyType::kDouble;
    case '#':
      return ReplyType::kBoolean;
    case '(':
      return ReplyType::kBigNumber;
    case '=':
      return ReplyType::kVerbatim;
    case '!':
      return ReplyType::kBlobError;
    case '%':
      return ReplyType::kMap;
    case '~':
      return ReplyType::kSet;
    case '>':
      return ReplyType::kPush;
    default:
      return ReplyType::kNull;
  }
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Redis writes doubles with %.17g, or inf / -inf / nan.
bool isValidDouble(std::string_view text) {
  if (text == "inf" || text == "-inf" || text == "+inf" || text == "nan" || text == "-nan") {
    return true;
  }
  bool any_digit = false;
  for (const char c : text) {
    if (isDigit(c)) {
      any_digit = true;
    } else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
      return false;
    }
  }
  return any_digit;
}

bool isValidBigNumber(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  for (const char c : text) {
    if (!isDigit(c)) return false;
  }
  return true;
}

// nullopt when the line is valid for its type, else the error to report.
std::optional<std::string_view> checkScalar(char kind, std::string_view line) {
  switch (kind) {
    case ':':
      if (!detail::parseInteger(line)) return "Protocol error: invalid integer";
      break;
    case '_':
      if (!line.empty()) return "Protocol error: invalid null";
      break;
    case ',':
      if (!isValidDouble(line)) return "Protocol error: invalid double";
      break;
    case '#':
      if (line != "t" && line != "f") return "Protocol error: invalid boolean";
      break;
    case '(':
      if (!isValidBigNumber(line)) return "Protocol error: invalid big number";
      break;
    default:
      break;  // status and error lines carry free text
  }
  return std::nullopt;
}

}  // namespace

ReplyDecoder::ReplyDecoder(const Limits& limits) : limits_(limits) {}

void ReplyDecoder::reset() {
  startReply();
  error_.clear();
}

void ReplyDecoder::startReply() {
  stage_ = Stage::kHeader;
  pos_ = 0;
  scan_from_ = 0;
  blob_len_ = 0;
  blob_kind_ = 0;
  top_level_seen_ = false;
  done_ = false;
  frame_ready_ = false;
  consumed_ = 0;
  reply_ = Reply{};
  open_.clear();
}

Status ReplyDecoder::fail(std::string_view message) {
  stage_ = Stage::kError;
  error_.assign(message);
  consumed_ = 0;
  return Status::kError;
}

Status ReplyDecoder::decode(std::string_view pending) {
  if (frame_ready_) startReply();
  while (true) {
    Status status = Status::kError;
    switch (stage_) {
      case Stage::kHeader:
        status = decodeHeader(pending);
        break;
      case Stage::kBlobData:
        status = decodeBlobData(pending);
        break;
      case Stage::kError:
        return Status::kError;
    }
    // Steps return kFrame for "one element done"; the reply is done when nothing is open.
    if (status != Status::kFrame) return status;
    if (done_) {
      reply_.raw = pending.substr(0, pos_);
      consumed_ = pos_;
      frame_ready_ = true;
      return Status::kFrame;
    }
  }
}

Status ReplyDecoder::decodeHeader(std::string_view pending) {
  if (pos_ >= pending.size()) return Status::kNeedMore;
  const char kind = pending[pos_];
  const bool length_line = isBlobKind(kind) || isAggregateKind(kind);
  if (!length_line && !isScalarKind(kind)) {
    std::string message = "Protocol error: invalid reply type byte '";
    message.push_back(kind);
    message.push_back('\'');
    return fail(message);
  }
  // A length fits in 21 bytes; a status or error line is server text, bounded like a bulk.
  const uint64_t max_line = length_line ? limits_.max_inline_len : limits_.max_bulk_len;
  size_t line_end = 0;
  switch (detail::findLineEnd(pending, pos_ + 1, scan_from_, max_line, line_end)) {
    case detail::LineScan::kNeedMore:
      return Status::kNeedMore;
    case detail::LineScan::kTooLong:
      if (!length_line) return fail(kTooBigLine);
      return fail(isBlobKind(kind) ? kTooBigBulkCount : kTooBigMultibulkCount);
    case detail::LineScan::kBadTerminator:
      if (!length_line) return fail(kMissingLineCrlf);
      return fail(isBlobKind(kind) ? kInvalidBulkLength : kInvalidMultibulkLength);
    case detail::LineScan::kFound:
      break;
  }
  const std::string_view line = pending.substr(pos_ + 1, line_end - pos_ - 1);
  pos_ = line_end + 2;
  scan_from_ = pos_;
  return length_line ? onLength(kind, line) : onScalarLine(kind, line);
}

Status ReplyDecoder::onScalarLine(char kind, std::string_view line) {
  if (const auto error = checkScalar(kind, line)) return fail(*error);
  noteTopLevel(typeOf(kind), 0);
  done_ = completeElement();
  return Status::kFrame;
}

Status ReplyDecoder::onLength(char kind, std::string_view digits) {
  const auto count = detail::parseInteger(digits);
  if (!isBlobKind(kind)) {
    if (!count) return fail(kInvalidMultibulkLength);
    return openAggregate(kind, *count);
  }
  // Only RESP2's $-1 may be negative; RESP3 has `_` for null.
  const bool null_bulk = count && *count == -1 && kind == '$';
  if (!null_bulk &&
      (!count || *count < 0 || static_cast<uint64_t>(*count) > limits_.max_bulk_len)) {
    return fail(kInvalidBulkLength);
  }
  noteTopLevel(typeOf(kind), *count);
  if (null_bulk) {
    done_ = completeElement();
    return Status::kFrame;
  }
  blob_len_ = static_cast<uint64_t>(*count);
  blob_kind_ = kind;
  stage_ = Stage::kBlobData;
  done_ = false;
  return Status::kFrame;
}

Status ReplyDecoder::openAggregate(char kind, int64_t count) {
  const bool null_array = count == -1 && kind == '*';
  if (!null_array && (count < 0 || count > static_cast<int64_t>(limits_.max_array_len))) {
    return fail(kInvalidMultibulkLength);
  }
  if (!null_array && open_.size() >= limits_.max_depth) return fail(kTooDeep);
  const bool attribute = kind == '|';
  if (!attribute) noteTopLevel(typeOf(kind), count);
  if (count <= 0) {
    // An empty attribute annotates the element that follows; anything else is complete.
    done_ = attribute ? false : completeElement();
    return Status::kFrame;
  }
  const bool paired = kind == '%' || attribute;
  open_.push_back({static_cast<uint64_t>(count) * (paired ? 2 : 1), attribute});
  done_ = false;
  return Status::kFrame;
}

Status ReplyDecoder::decodeBlobData(std::string_view pending) {
  // The payload is never scanned: its length says where the CRLF must be.
  if (pending.size() - pos_ < blob_len_ + 2) return Status::kNeedMore;
  const size_t data_end = pos_ + static_cast<size_t>(blob_len_);
  if (pending[data_end] != '\r' || pending[data_end + 1] != '\n') return fail(kMissingBulkCrlf);
  // A verbatim string starts with a three-letter format and a colon: "txt:".
  if (blob_kind_ == '=' && (blob_len_ < 4 || pending[pos_ + 3] != ':')) {
    return fail("Protocol error: invalid verbatim string");
  }
  pos_ = data_end + 2;
  scan_from_ = pos_;
  stage_ = Stage::kHeader;
  done_ = completeElement();
  return Status::kFrame;
}

void ReplyDecoder::noteTopLevel(ReplyType type, int64_t count) {
  // Only an element outside every aggregate (and past any attribute) is the reply itself.
  if (!open_.empty() || top_level_seen_) return;
  reply_.type = type;
  reply_.count = count;
  top_level_seen_ = true;
}

// Counts one finished element against the aggregates that enclose it; true when that closes
// the outermost one, i.e. the whole reply is in.
bool ReplyDecoder::completeElement() {
  while (!open_.empty()) {
    Open& innermost = open_.back();
    if (--innermost.elements_left > 0) return false;
    const bool attribute = innermost.attribute;
    open_.pop_back();
    // The attribute is done but the value it annotates has yet to come.
    if (attribute) return false;
  }
  return true;
}

}  // namespace shardis::resp
