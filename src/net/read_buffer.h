// ReadBuffer: where a connection's reads land when their bytes must wait until they make a
// whole frame (a server's reply). The bytes not consumed yet stay in place; the next read
// lands after them. Room is made by moving them to the front once the free tail is shorter
// than a read chunk, and by growing the buffer (at least doubling) when that is not enough, so
// the copies stay linear in the bytes read. Whoever decodes from it keeps offsets, never
// pointers, across reads: room() may move the bytes.
//
// Owned by its connection (ServerConnection); one read at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace shardis::net {

class ReadBuffer {
 public:
  // How much room each read is offered at least.
  static constexpr size_t kReadChunk = size_t{16} * 1024;

  // Room for the next read: at least kReadChunk bytes after the pending ones.
  [[nodiscard]] std::span<char> room() {
    if (start_ == end_) {
      start_ = end_ = 0;
    } else if (start_ > 0 && bytes_.size() - end_ < kReadChunk) {
      std::memmove(bytes_.data(), bytes_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (bytes_.size() - end_ < kReadChunk) {
      bytes_.resize(std::max(bytes_.size() * 2, end_ + kReadChunk));
    }
    return {bytes_.data() + end_, bytes_.size() - end_};
  }
  // `n` bytes were read into room().
  void commit(size_t n) { end_ += n; }
  // The bytes read and not consumed yet.
  [[nodiscard]] std::string_view pending() const { return {bytes_.data() + start_, end_ - start_}; }
  [[nodiscard]] bool empty() const { return start_ == end_; }
  // The first `n` pending bytes are done with.
  void consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  // Drops the pending bytes (a new connection starts from nothing).
  void clear() { start_ = end_ = 0; }
  // With nothing pending, frees a buffer grown past `limit` bytes for one huge frame, so that
  // it is not kept for the life of the connection.
  void shrinkWhenEmpty(size_t limit) {
    if (empty() && bytes_.size() > limit) {
      bytes_.clear();
      bytes_.shrink_to_fit();
    }
  }
  [[nodiscard]] size_t capacity() const { return bytes_.size(); }

 private:
  std::string bytes_;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace shardis::net
