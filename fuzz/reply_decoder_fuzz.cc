// libFuzzer target for ReplyDecoder and the merge-path helpers: see fuzz_feed.h for the
// invariants, plus: each reply's raw bytes are the front of the buffer; the helpers agree
// with the decoder on the replies it accepted; and they are safe on arbitrary bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_feed.h"
#include "resp/reply_decoder.h"

namespace shardis::resp::fuzz {
namespace {

struct ReplyFrame {
  ReplyType type;
  int64_t count;
  std::string raw;
  bool operator==(const ReplyFrame&) const = default;
};

void checkHelpersAgree(const Reply& reply) {
  std::vector<std::string_view> elements;
  const bool is_array = arrayElements(reply.raw, elements);
  const bool aggregate = reply.type == ReplyType::kArray || reply.type == ReplyType::kSet ||
                         reply.type == ReplyType::kPush;
  check(is_array == (aggregate && reply.count >= 0), "arrayElements matches the type");
  if (is_array) {
    check(elements.size() == static_cast<size_t>(reply.count), "arrayElements count");
  }
  check(integerValue(reply.raw).has_value() == (reply.type == ReplyType::kInteger),
        "integerValue matches the type");
  const auto text = stringValue(reply.raw);
  const bool stringy = reply.type == ReplyType::kStatus || reply.type == ReplyType::kVerbatim ||
                       (reply.type == ReplyType::kBulk && reply.count >= 0);
  check(text.has_value() == stringy, "stringValue matches the type");
  if (text && reply.type == ReplyType::kBulk) {
    check(text->size() == static_cast<size_t>(reply.count), "bulk length");
  }
}

ReplyFrame describe(const ReplyDecoder& decoder, std::string_view pending) {
  const Reply& reply = decoder.reply();
  check(reply.raw.data() == pending.data(), "raw starts the buffer");
  check(reply.raw.size() == decoder.consumed(), "raw is what was consumed");
  checkHelpersAgree(reply);
  return {reply.type, reply.count, std::string(reply.raw)};
}

}  // namespace
}  // namespace shardis::resp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardis::resp;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::checkSplitInvariance<ReplyDecoder>(bytes, fuzz::describe);
  // The helpers must also survive bytes no decoder vetted.
  std::vector<std::string_view> elements;
  (void)arrayElements(bytes, elements);
  (void)integerValue(bytes);
  (void)stringValue(bytes);
  return 0;
}
