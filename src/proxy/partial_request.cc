#include "proxy/partial_request.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace shardis::proxy {

PartialRequest::PartialRequest(resp::RequestDecoder decoder, std::string_view bytes)
    : decoder_(std::move(decoder)) {
  grow(bytes.size());
  std::memcpy(data_.get(), bytes.data(), bytes.size());
  size_ = bytes.size();
}

size_t PartialRequest::take(std::string_view input) {
  size_t n = input.size();
  if (size_t end = decoder_.bulkEnd(); end > size_) {
    n = std::min(n, end - size_);
  } else if (const void* newline = std::memchr(input.data(), '\n', input.size())) {
    // A line's end is a '\n' (multibulk lines end in "\r\n"; the decoder checks the '\r').
    n = static_cast<size_t>(static_cast<const char*>(newline) - input.data()) + 1;
  }
  if (size_ + n > capacity_) grow(size_ + n);
  std::memcpy(data_.get() + size_, input.data(), n);
  size_ += n;
  return n;
}

std::span<char> PartialRequest::room() {
  size_t end = decoder_.bulkEnd();
  if (end < size_ + kDirectRead) return {};
  if (capacity_ - size_ < kDirectRead) grow(size_ + kDirectRead);
  return {data_.get() + size_, std::min(capacity_, end) - size_};
}

// Doubling keeps the copies linear in the request's size; a known bulk end caps it, so a
// large value ends in a buffer of its own size rather than up to twice that.
void PartialRequest::grow(size_t needed) {
  size_t capacity = std::max(needed, capacity_ * 2);
  if (size_t end = decoder_.bulkEnd(); end >= needed) capacity = std::min(capacity, end);
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

}  // namespace shardis::proxy
