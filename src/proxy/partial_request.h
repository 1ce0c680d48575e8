// PartialRequest: a client request cut by the end of a read, held by its ClientSession until
// the rest arrives: its bytes so far and its decoder's state. A session has one only while a
// request is incomplete; an idle client has none.
//
// It keeps exactly the request's own bytes. take() copies in only what the decoder can tell
// belongs to the request (the rest of the current line, or of the current bulk), so the bytes
// of the requests behind it stay in the worker's scratch buffer, and the buffer is freed with
// the request. The buffer grows by need, at most doubling and never past the end of the bulk
// being received; the rest of a large bulk is read straight into it (room()), so a big value
// is not copied twice.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "resp/request_decoder.h"

namespace shardis::proxy {

class PartialRequest {
 public:
  // A bulk still missing at least this many bytes is read into the buffer directly.
  static constexpr size_t kDirectRead = size_t{16} << 10;

  // `decoder` returned kNeedMore on `bytes`, the start of the request.
  PartialRequest(resp::RequestDecoder decoder, std::string_view bytes);

  resp::RequestDecoder& decoder() { return decoder_; }
  [[nodiscard]] const resp::RequestDecoder& decoder() const { return decoder_; }
  [[nodiscard]] std::string_view bytes() const { return {data_.get(), size_}; }
  [[nodiscard]] size_t capacity() const { return capacity_; }

  // Appends the start of `input` that belongs to this request as far as the decoder knows
  // (after it returned kNeedMore on bytes()); returns how many bytes it took, at least one.
  size_t take(std::string_view input);
  // Room for a read that lands in the buffer: up to the end of the bulk being received, when
  // at least kDirectRead bytes of it are still to come; empty otherwise.
  std::span<char> room();
  // `n` bytes were read into room().
  void commit(size_t n) { size_ += n; }

 private:
  void grow(size_t needed);

  resp::RequestDecoder decoder_;
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace shardis::proxy
