// libFuzzer target for RequestDecoder: see fuzz_feed.h for the invariants, plus: multibulk
// arguments lie inside the bytes of their request, and re-encoding a decoded multibulk
// request gives back exactly the bytes it consumed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_feed.h"
#include "resp/encoder.h"
#include "resp/request_decoder.h"

namespace shardis::resp::fuzz {
namespace {

struct RequestFrame {
  std::vector<std::string> argv;
  size_t consumed;
  bool is_inline;
  bool operator==(const RequestFrame&) const = default;
};

RequestFrame describe(const RequestDecoder& decoder, std::string_view pending) {
  RequestFrame frame{{}, decoder.consumed(), decoder.isInline()};
  const std::string_view request = pending.substr(0, decoder.consumed());
  for (const std::string_view arg : decoder.argv()) {
    if (!decoder.isInline()) {
      check(arg.data() >= request.data() &&
                arg.data() + arg.size() <= request.data() + request.size(),
            "multibulk argument inside its request");
    }
    frame.argv.emplace_back(arg);
  }
  // A multibulk request with arguments is in canonical form, so it re-encodes to itself.
  if (!decoder.isInline() && !frame.argv.empty()) {
    std::string encoded;
    appendCommand(encoded, decoder.argv());
    check(encoded == request, "multibulk request re-encodes to its bytes");
  }
  return frame;
}

}  // namespace
}  // namespace shardis::resp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardis::resp;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::checkSplitInvariance<RequestDecoder>(bytes, fuzz::describe);
  return 0;
}
