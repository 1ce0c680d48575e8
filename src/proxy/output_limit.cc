#include "proxy/output_limit.h"

#include <algorithm>
#include <cstddef>

namespace shardis::proxy {

void OutputLimit::noteReply(uint64_t bytes) {
  noteWrite(bytes);
  streaming_ = false;
}

void OutputLimit::notePiece(uint64_t bytes) {
  noteWrite(bytes);
  streaming_ = true;
}

void OutputLimit::noteWrite(uint64_t bytes) {
  written_ += bytes;
  uint64_t size = bytes;
  // The next piece of a streamed reply grows its entry, if that is still unsent (else the
  // rest of the reply is all that counts of it).
  if (streaming_ && largest_.size() > first_ && largest_.back().end == written_ - bytes) {
    size += largest_.back().size;
    largest_.pop_back();
  }
  // A reply no larger than this one, and handed to the stream before it, will never again be
  // the largest unsent: this one is sent after it.
  while (largest_.size() > first_ && largest_.back().size <= size) largest_.pop_back();
  if (largest_.size() == first_) {
    largest_.clear();
    first_ = 0;
  }
  largest_.push_back(Reply{written_, size});
}

void OutputLimit::noteHeld(uint64_t bytes) { largest_held_ = std::max(largest_held_, bytes); }

uint64_t OutputLimit::largestUnsent(uint64_t sent) {
  while (first_ < largest_.size() && largest_[first_].end <= sent) ++first_;
  if (first_ == largest_.size()) {
    largest_.clear();
    first_ = 0;
    return 0;
  }
  if (first_ >= 64 && first_ * 2 >= largest_.size()) {
    largest_.erase(largest_.begin(), largest_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }
  // Sizes decrease along the entries, and only the first can be partly sent.
  const Reply& front = largest_[first_];
  uint64_t largest = std::min(front.size, front.end - sent);
  if (first_ + 1 < largest_.size()) largest = std::max(largest, largest_[first_ + 1].size);
  return largest;
}

uint64_t OutputLimit::counted(uint64_t unsent, uint64_t held) {
  // A held reply is not placed among the stream's until it is written; the largest held since
  // the client last had none stands for it, which at worst leaves out one reply already gone.
  if (held == 0) largest_held_ = 0;
  const uint64_t sent = written_ - std::min(written_, unsent);
  const uint64_t left_out = std::max(largestUnsent(sent), largest_held_);
  const uint64_t owed = unsent + held;
  return owed - std::min(owed, left_out);
}

bool OutputLimit::exceeded(uint64_t unsent, uint64_t held, uint64_t now_ms) {
  const uint64_t bytes = counted(unsent, held);
  // Redis's rule: reaching a limit is exceeding it.
  if (limit_.hard_bytes != 0 && bytes >= limit_.hard_bytes) return true;
  if (limit_.soft_bytes == 0 || bytes < limit_.soft_bytes) {
    over_soft_since_ms_.reset();
    return false;
  }
  if (!over_soft_since_ms_) {
    over_soft_since_ms_ = now_ms;
    return false;
  }
  return now_ms - *over_soft_since_ms_ > uint64_t{limit_.soft_seconds} * 1000;
}

}  // namespace shardis::proxy
