#include "resp/inline_split.h"

namespace shardis::resp::detail {
namespace {

bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// sdssplitargs skips leading blanks with isspace(); tokens end on a narrower set.
bool isSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool endsToken(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// Reads a "double quoted" section starting just after the opening quote. Returns the index
// just past the closing quote, or npos when the quote is unbalanced.
size_t readDoubleQuoted(std::string_view line, size_t i, std::string& storage) {
  while (i < line.size()) {
    const char c = line[i];
    if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && isHexDigit(line[i + 2]) &&
        isHexDigit(line[i + 3])) {
      storage.push_back(static_cast<char>(hexValue(line[i + 2]) * 16 + hexValue(line[i + 3])));
      i += 4;
    } else if (c == '\\' && i + 1 < line.size()) {
      storage.push_back(unescape(line[i + 1]));
      i += 2;
    } else if (c == '"') {
      // Redis refuses "foo"bar: the closing quote must end the argument.
      if (i + 1 < line.size() && !isSeparator(line[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      storage.push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;
}

size_t readSingleQuoted(std::string_view line, size_t i, std::string& storage) {
  while (i < line.size()) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
      storage.push_back('\'');
      i += 2;
    } else if (c == '\'') {
      if (i + 1 < line.size() && !isSeparator(line[i + 1])) return std::string_view::npos;
      return i + 1;
    } else {
      storage.push_back(c);
      ++i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool splitInlineArgs(std::string_view line, std::string& storage, std::vector<ArgSpan>& args) {
  // Redis hands the line to sdssplitargs as a C string, so a NUL byte ends it.
  line = line.substr(0, line.find('\0'));
  size_t i = 0;
  while (true) {
    while (i < line.size() && isSeparator(line[i])) ++i;
    if (i == line.size()) return true;
    const size_t start = storage.size();
    bool closed_by_quote = false;
    while (i < line.size() && !closed_by_quote && !endsToken(line[i])) {
      const char c = line[i];
      if (c == '"' || c == '\'') {
        i = c == '"' ? readDoubleQuoted(line, i + 1, storage)
                     : readSingleQuoted(line, i + 1, storage);
        if (i == std::string_view::npos) return false;
        closed_by_quote = true;
      } else {
        storage.push_back(c);
        ++i;
      }
    }
    args.push_back({start, storage.size() - start});
  }
}

}  // namespace shardis::resp::detail
