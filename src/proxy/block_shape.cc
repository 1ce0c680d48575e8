#include "proxy/block_shape.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "command/ascii.h"
#include "resp/encoder.h"
#include "resp/integer.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {

using Argv = std::span<const std::string_view>;

// RESP2's null array or bulk, or RESP3's null.
bool isNull(std::string_view raw) {
  return raw.starts_with("*-1") || raw.starts_with("$-1") || raw.starts_with('_');
}

void append(std::string& out, const std::vector<std::string_view>& argv) {
  resp::appendCommand(out, argv);
}

std::optional<BlockShape> fail() { return std::nullopt; }

}  // namespace

// Redis's getTimeoutFromObjectOrReply: seconds as a long double, milliseconds as an integer,
// then the deadline (now + timeout) must fit in a long long. Seconds past 2^63 ms convert,
// on x86 as in Redis, to the most negative long long: "timeout is negative".
void BlockShape::checkSeconds(std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const long double seconds = copy.empty() ? 0 : std::strtold(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || errno == ERANGE || std::isnan(seconds) ||
      std::isspace(static_cast<unsigned char>(copy.front())) != 0) {
    timeout_error_ = "ERR timeout is not a float or out of range";
    return;
  }
  const long double ms = seconds * 1000;
  constexpr long double kLimit = 9223372036854775808.0L;  // 2^63
  checkDeadline(ms >= kLimit || ms < -kLimit ? std::numeric_limits<int64_t>::min()
                                             : static_cast<int64_t>(ms));
}

void BlockShape::checkMilliseconds(std::string_view text) {
  std::optional<int64_t> ms = resp::parseInteger(text);
  if (!ms) {
    timeout_error_ = "ERR timeout is not an integer or out of range";
    return;
  }
  checkDeadline(*ms);
}

void BlockShape::checkDeadline(int64_t ms) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (ms < 0) {
    timeout_error_ = "ERR timeout is negative";
  } else if (ms > std::numeric_limits<int64_t>::max() - now_ms) {
    timeout_error_ = "ERR timeout is out of range";
  }
}

std::optional<BlockShape> BlockShape::of(const command::CommandSpec& spec, Argv argv) {
  BlockShape shape;
  std::string_view name = spec.name;
  if (name == "blpop" || name == "brpop" || name == "bzpopmin" || name == "bzpopmax") {
    shape.kind_ = name[1] == 'l' || name[1] == 'r' ? BlockKind::kListPop : BlockKind::kZsetPop;
    shape.left_ = name == "blpop" || name == "bzpopmin";
    shape.first_key_ = 1;
    shape.key_count_ = argv.size() - 2;
    shape.checkSeconds(argv.back());
    return shape;
  }
  if (name == "blmpop" || name == "bzmpop") {
    shape.kind_ = name == "blmpop" ? BlockKind::kListMultiPop : BlockKind::kZsetMultiPop;
    std::optional<int64_t> numkeys = resp::parseInteger(argv[2]);
    if (!numkeys || *numkeys < 1 || static_cast<size_t>(*numkeys) + 3 >= argv.size()) return fail();
    shape.numkeys_at_ = 2;
    shape.first_key_ = 3;
    shape.key_count_ = static_cast<size_t>(*numkeys);
    std::string_view where = argv[3 + shape.key_count_];
    shape.left_ =
        command::equalsIgnoreCase(where, "left") || command::equalsIgnoreCase(where, "min");
    shape.checkSeconds(argv[1]);
    return shape;
  }
  if (name == "xread") {
    shape.kind_ = BlockKind::kStreamRead;
    for (size_t i = 1; i < argv.size(); ++i) {
      if (command::equalsIgnoreCase(argv[i], "block") && i + 1 < argv.size()) {
        shape.checkMilliseconds(argv[i + 1]);
      }
      if (!command::equalsIgnoreCase(argv[i], "streams")) continue;
      size_t rest = argv.size() - i - 1;
      if (rest == 0 || rest % 2 != 0) return fail();
      shape.first_key_ = i + 1;
      shape.key_count_ = rest / 2;
      return shape;
    }
  }
  return fail();
}

void BlockShape::appendBlocking(std::string& out, Argv argv,
                                std::span<const uint32_t> ordinals) const {
  const Argv head = argv.first(first_key_);
  std::vector<std::string_view> args(head.begin(), head.end());
  std::string numkeys = std::to_string(ordinals.size());
  if (numkeys_at_ != 0) args[numkeys_at_] = numkeys;
  for (uint32_t k : ordinals) args.push_back(argv[first_key_ + k]);
  const size_t after_keys = first_key_ + key_count_;
  if (kind_ == BlockKind::kStreamRead) {
    for (uint32_t k : ordinals) args.push_back(argv[after_keys + k]);
  } else {
    const Argv tail = argv.subspan(after_keys);
    args.insert(args.end(), tail.begin(), tail.end());
  }
  append(out, args);
}

void BlockShape::appendNonBlocking(std::string& out, Argv argv,
                                   std::span<const uint32_t> ordinals) const {
  std::vector<std::string_view> args;
  std::string numkeys = std::to_string(ordinals.size());
  const size_t after_keys = first_key_ + key_count_;
  if (kind_ == BlockKind::kStreamRead) {
    args.push_back("XREAD");
    for (size_t i = 1; i + 1 < first_key_; ++i) {
      if (command::equalsIgnoreCase(argv[i], "block")) {
        ++i;  // and its milliseconds
        continue;
      }
      args.push_back(argv[i]);
    }
    args.push_back("STREAMS");
    for (uint32_t k : ordinals) args.push_back(argv[first_key_ + k]);
    for (uint32_t k : ordinals) args.push_back(argv[after_keys + k]);
    return append(out, args);
  }
  const bool list = kind_ == BlockKind::kListPop || kind_ == BlockKind::kListMultiPop;
  args.push_back(list ? "LMPOP" : "ZMPOP");
  args.push_back(numkeys);
  for (uint32_t k : ordinals) args.push_back(argv[first_key_ + k]);
  if (kind_ == BlockKind::kListPop) args.push_back(left_ ? "LEFT" : "RIGHT");
  if (kind_ == BlockKind::kZsetPop) args.push_back(left_ ? "MIN" : "MAX");
  if (kind_ == BlockKind::kListMultiPop || kind_ == BlockKind::kZsetMultiPop) {
    const Argv tail = argv.subspan(after_keys);
    args.insert(args.end(), tail.begin(), tail.end());
  }
  append(out, args);
}

// LMPOP/ZMPOP answer [key, [element ...]]; BLPOP answers [key, value], BZPOPMIN
// [key, member, score].
std::optional<std::string> BlockShape::blockingReply(std::string_view raw) const {
  if (isNull(raw)) return std::nullopt;
  if (kind_ != BlockKind::kListPop && kind_ != BlockKind::kZsetPop) return std::string(raw);
  std::vector<std::string_view> top;
  std::vector<std::string_view> popped;
  if (!resp::arrayElements(raw, top) || top.size() != 2 || !resp::arrayElements(top[1], popped) ||
      popped.size() != 1) {
    return std::string(raw);  // not the shape LMPOP/ZMPOP give: the server's error, as is
  }
  std::string out;
  if (kind_ == BlockKind::kListPop) {
    resp::appendArrayHeader(out, 2);
    out.append(top[0]).append(popped[0]);
    return out;
  }
  std::vector<std::string_view> pair;
  if (!resp::arrayElements(popped[0], pair) || pair.size() != 2) return std::string(raw);
  resp::appendArrayHeader(out, 3);
  out.append(top[0]).append(pair[0]).append(pair[1]);
  return out;
}

std::string BlockShape::putBack(std::string_view raw) const {
  std::string out;
  std::vector<std::string_view> top;
  if (kind_ == BlockKind::kStreamRead || isNull(raw) || !resp::arrayElements(raw, top) ||
      top.size() < 2) {
    return out;
  }
  std::optional<std::string_view> key = resp::stringValue(top[0]);
  if (!key) return out;
  const bool list = kind_ == BlockKind::kListPop || kind_ == BlockKind::kListMultiPop;
  std::vector<std::string_view> args{list ? (left_ ? "LPUSH" : "RPUSH") : "ZADD", *key};
  std::vector<std::string_view> elements;
  if (kind_ == BlockKind::kListPop || kind_ == BlockKind::kZsetPop) {
    elements.assign(top.begin() + 1, top.end());
  } else if (!resp::arrayElements(top[1], elements)) {
    return out;
  }
  std::vector<std::string_view> values;  // string payloads, in the order they were popped
  for (std::string_view element : elements) {
    std::vector<std::string_view> pair;
    if (kind_ == BlockKind::kZsetMultiPop && resp::arrayElements(element, pair)) {
      values.insert(values.end(), pair.begin(), pair.end());
    } else {
      values.push_back(element);
    }
  }
  std::vector<std::string_view> payloads;
  for (std::string_view value : values) {
    std::optional<std::string_view> text = resp::stringValue(value);
    if (!text) return out;
    payloads.push_back(*text);
  }
  if (list) {
    // The first popped goes back last, so that it is at the end it was popped from again.
    args.insert(args.end(), payloads.rbegin(), payloads.rend());
  } else {
    for (size_t i = 0; i + 1 < payloads.size(); i += 2) {
      args.push_back(payloads[i + 1]);  // score
      args.push_back(payloads[i]);      // member
    }
  }
  append(out, args);
  return out;
}

}  // namespace shardis::proxy
