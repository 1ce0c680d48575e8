#include "proxy/fanout.h"

#include <charconv>
#include <new>

#include "resp/encoder.h"

namespace shardis::proxy {

namespace {
constexpr uint32_t kNoPart = UINT32_MAX;
// A buffer up to this size is kept for the next request.
constexpr size_t kKeptBufferBytes = size_t{64} << 10;
}  // namespace

bool Splitter::split(std::span<const std::string_view> argv, std::span<const uint32_t> key_indexes,
                     std::span<const uint32_t> key_servers, size_t server_count) {
  const size_t keys = key_indexes.size();
  // MSET carries a value after each key; the others carry nothing.
  const size_t step = keys > 1 ? key_indexes[1] - key_indexes[0] : argv.size() - key_indexes[0];
  part_of_server_.assign(server_count, kNoPart);
  part_servers_.clear();
  key_parts_.resize(keys);
  part_keys_.clear();
  for (size_t k = 0; k < keys; ++k) {
    uint32_t& part = part_of_server_[key_servers[k]];
    if (part == kNoPart) {
      part = static_cast<uint32_t>(part_servers_.size());
      part_servers_.push_back(key_servers[k]);
      part_keys_.push_back(0);
    }
    key_parts_[k] = part;
    ++part_keys_[part];
  }
  // A stable counting sort of the keys by part: each server's keys keep the client's order.
  const size_t parts = part_servers_.size();
  uint32_t start = 0;
  for (size_t p = 0; p < parts; ++p) {
    uint32_t count = part_keys_[p];
    part_keys_[p] = start;
    start += count;
  }
  order_.resize(keys);
  for (size_t k = 0; k < keys; ++k) order_[part_keys_[key_parts_[k]]++] = static_cast<uint32_t>(k);
  // The sub-commands are a copy of the request's keys and values: an MSET of large values
  // may not fit in memory twice, which fails that request only.
  try {
    encode(argv, key_indexes, step);
  } catch (const std::bad_alloc&) {
    std::string().swap(buffer_);
    part_offsets_.assign(1, 0);
    part_servers_.clear();
    return false;
  }
  return true;
}

void Splitter::encode(std::span<const std::string_view> argv, std::span<const uint32_t> key_indexes,
                      size_t step) {
  const size_t parts = part_servers_.size();
  buffer_.clear();
  part_offsets_.assign(1, 0);
  size_t k = 0;
  for (size_t p = 0; p < parts; ++p) {
    const size_t end = part_keys_[p];  // after the sort: where the next part starts
    resp::appendArrayHeader(buffer_, 1 + (end - k) * step);
    resp::appendBulk(buffer_, argv[0]);
    for (; k < end; ++k) {
      const size_t first = key_indexes[order_[k]];
      for (size_t a = first; a < first + step; ++a) resp::appendBulk(buffer_, argv[a]);
    }
    part_offsets_.push_back(buffer_.size());
  }
}

void Splitter::releaseLarge() {
  if (buffer_.capacity() > kKeptBufferBytes) std::string().swap(buffer_);
}

std::optional<ScanCursor> ScanCursor::decode(std::string_view text, size_t server_count,
                                             uint32_t epoch) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value >> 63 != 0) return std::nullopt;
  if (value == 0) return ScanCursor{0, 0, epoch};
  ScanCursor cursor{static_cast<uint32_t>(value & (kMaxServers - 1)),
                    (value >> kServerBits) & kMaxServerCursor,
                    static_cast<uint32_t>(value >> (63 - kEpochBits))};
  if (cursor.server >= server_count) return std::nullopt;
  if (cursor.epoch != (epoch & ((1u << kEpochBits) - 1))) return std::nullopt;
  cursor.epoch = epoch;
  return cursor;
}

}  // namespace shardis::proxy
