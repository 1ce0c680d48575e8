#include "resp/encoder.h"

#include <charconv>
#include <cmath>

namespace shardis::resp {
namespace {

constexpr std::string_view kCrlf = "\r\n";

void appendNumber(std::string& out, int64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

void appendHeader(std::string& out, char kind, int64_t count) {
  out.push_back(kind);
  appendNumber(out, count);
  out.append(kCrlf);
}

void appendLine(std::string& out, char kind, std::string_view text) {
  out.push_back(kind);
  out.append(text);
  out.append(kCrlf);
}

}  // namespace

void appendStatus(std::string& out, std::string_view status) { appendLine(out, '+', status); }

void appendError(std::string& out, std::string_view message) { appendLine(out, '-', message); }

void appendInteger(std::string& out, int64_t value) { appendHeader(out, ':', value); }

void appendBulk(std::string& out, std::string_view value) {
  appendHeader(out, '$', static_cast<int64_t>(value.size()));
  out.append(value);
  out.append(kCrlf);
}

void appendNullBulk(std::string& out) { out.append("$-1\r\n"); }

void appendNullArray(std::string& out) { out.append("*-1\r\n"); }

void appendArrayHeader(std::string& out, size_t count) {
  appendHeader(out, '*', static_cast<int64_t>(count));
}

void appendMapHeader(std::string& out, size_t pairs) {
  appendHeader(out, '%', static_cast<int64_t>(pairs));
}

void appendSetHeader(std::string& out, size_t count) {
  appendHeader(out, '~', static_cast<int64_t>(count));
}

void appendPushHeader(std::string& out, size_t count) {
  appendHeader(out, '>', static_cast<int64_t>(count));
}

void appendNull(std::string& out) { out.append("_\r\n"); }

void appendDouble(std::string& out, double value) {
  if (std::isinf(value)) {
    out.append(value > 0 ? ",inf\r\n" : ",-inf\r\n");
    return;
  }
  if (std::isnan(value)) {
    out.append(",nan\r\n");
    return;
  }
  // Redis 7.0 formats with "%.17g"; to_chars with general format and precision 17 is the same
  // text without going through the C locale.
  char text[40];
  const auto result =
      std::to_chars(text, text + sizeof(text), value, std::chars_format::general, 17);
  out.push_back(',');
  out.append(text, result.ptr);
  out.append(kCrlf);
}

void appendBoolean(std::string& out, bool value) { out.append(value ? "#t\r\n" : "#f\r\n"); }

void appendVerbatim(std::string& out, std::string_view format, std::string_view text) {
  appendHeader(out, '=', static_cast<int64_t>(format.size() + 1 + text.size()));
  out.append(format);
  out.push_back(':');
  out.append(text);
  out.append(kCrlf);
}

void appendBigNumber(std::string& out, std::string_view digits) { appendLine(out, '(', digits); }

void appendNullBulk(std::string& out, Protocol protocol) {
  protocol == Protocol::kResp3 ? appendNull(out) : appendNullBulk(out);
}

void appendNullArray(std::string& out, Protocol protocol) {
  protocol == Protocol::kResp3 ? appendNull(out) : appendNullArray(out);
}

void appendMapHeader(std::string& out, size_t pairs, Protocol protocol) {
  protocol == Protocol::kResp3 ? appendMapHeader(out, pairs) : appendArrayHeader(out, pairs * 2);
}

void appendSetHeader(std::string& out, size_t count, Protocol protocol) {
  protocol == Protocol::kResp3 ? appendSetHeader(out, count) : appendArrayHeader(out, count);
}

void appendPushHeader(std::string& out, size_t count, Protocol protocol) {
  protocol == Protocol::kResp3 ? appendPushHeader(out, count) : appendArrayHeader(out, count);
}

void appendDouble(std::string& out, double value, Protocol protocol) {
  if (protocol == Protocol::kResp3) return appendDouble(out, value);
  std::string typed;
  appendDouble(typed, value);
  // ",<text>\r\n" -> the same text as a bulk string, as Redis writes a double in RESP2.
  appendBulk(out, std::string_view(typed).substr(1, typed.size() - 3));
}

void appendVerbatim(std::string& out, std::string_view format, std::string_view text,
                    Protocol protocol) {
  protocol == Protocol::kResp3 ? appendVerbatim(out, format, text) : appendBulk(out, text);
}

std::string_view helloRequest(Protocol protocol) {
  return protocol == Protocol::kResp3 ? "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
                                      : "*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n";
}

void appendCommand(std::string& out, std::span<const std::string_view> argv) {
  appendArrayHeader(out, argv.size());
  for (const std::string_view arg : argv) appendBulk(out, arg);
}

}  // namespace shardis::resp
