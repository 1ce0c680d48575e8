#include "config/yaml_context.h"

#include <array>
#include <charconv>
#include <limits>

#include "config/config.h"

namespace shardis::config::detail {

Context::Context(std::string_view file, std::string scope)
    : file_(file), scope_(std::move(scope)) {}

void Context::fail(const YAML::Mark& mark, std::string_view message) const {
  // yaml-cpp counts lines and columns from 0; editors and compilers count from 1.
  std::string out = file_;
  if (!mark.is_null()) {
    out += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  out += ": ";
  if (!scope_.empty()) {
    out += scope_ + ": ";
  }
  out += message;
  throw Error(out);
}

std::string describe(const YAML::Node& value) {
  switch (value.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "'" + value.Scalar() + "'";
    default:
      return "nothing";
  }
}

bool parseInteger(std::string_view text, int64_t& out) {
  if (text.empty()) {
    return false;
  }
  // from_chars rejects a leading '+', which YAML writers sometimes use.
  if (text.front() == '+') {
    text.remove_prefix(1);
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::string Context::text(const YAML::Node& value, std::string_view what) const {
  if (!value.IsScalar()) {
    std::string hint;
    // An unquoted {} is a YAML flow mapping, the commonest hash_tag mistake.
    if (value.IsMap() && value.size() == 0) {
      hint = " (write \"{}\" with quotes)";
    }
    fail(value.Mark(), std::string(what) + " must be a string, got " + describe(value) + hint);
  }
  return value.Scalar();
}

int64_t Context::integer(const YAML::Node& value, std::string_view what, int64_t min,
                         int64_t max) const {
  int64_t number = 0;
  if (!value.IsScalar() || !parseInteger(value.Scalar(), number)) {
    fail(value.Mark(), std::string(what) + " must be an integer, got " + describe(value));
  }
  if (number < min) {
    fail(value.Mark(), std::string(what) + " must be at least " + std::to_string(min) + ", got " +
                           describe(value));
  }
  if (number > max) {
    fail(value.Mark(), std::string(what) + " must be at most " + std::to_string(max) + ", got " +
                           describe(value));
  }
  return number;
}

bool Context::boolean(const YAML::Node& value, std::string_view what) const {
  if (value.IsScalar()) {
    const std::string& s = value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  fail(value.Mark(), std::string(what) + " must be true or false, got " + describe(value));
}

namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Redis's memory units (redis.conf): plain letters are powers of 1000, "b" forms of 1024.
constexpr std::array<Unit, 6> kUnits = {{{"kb", 1024ull},
                                         {"mb", 1024ull << 10},
                                         {"gb", 1024ull << 20},
                                         {"k", 1000ull},
                                         {"m", 1000ull * 1000},
                                         {"g", 1000ull * 1000 * 1000}}};

}  // namespace

bool parseByteCount(std::string_view text, uint64_t& out) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  uint64_t factor = 1;
  std::string_view digits = lower;
  for (const Unit& unit : kUnits) {
    if (digits.size() > unit.suffix.size() && digits.ends_with(unit.suffix)) {
      factor = unit.factor;
      digits.remove_suffix(unit.suffix.size());
      break;
    }
  }
  int64_t number = 0;
  if (!parseInteger(digits, number) || number < 0 ||
      static_cast<uint64_t>(number) > std::numeric_limits<uint64_t>::max() / factor) {
    return false;
  }
  out = static_cast<uint64_t>(number) * factor;
  return true;
}

uint64_t Context::bytes(const YAML::Node& value, std::string_view what) const {
  uint64_t bytes = 0;
  if (!value.IsScalar() || !parseByteCount(value.Scalar(), bytes) || bytes == 0) {
    fail(value.Mark(), std::string(what) +
                           " must be a positive byte count such as 1048576 or 64mb, got " +
                           describe(value));
  }
  return bytes;
}

}  // namespace shardis::config::detail
