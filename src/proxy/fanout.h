// Fanout: turns one client request into one sub-command per server, and says how the part
// replies become the client's reply (the Mergers in merger.h).
//
//   split (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH): Router's key → server list
//        → Splitter groups the keys per server, keeping the client's order inside each group
//        → one sub-command per server, encoded from views of the request into one buffer
//   all servers (DBSIZE, KEYS, FLUSHDB ...): the request's own bytes to every server
//   SCAN: the client cursor names one server and that server's cursor (ScanCursor)
//
// One Splitter per PoolRuntime (one per worker and pool) is reused by every request, so a
// split allocates nothing per key once its vectors have grown. ClientSession does the sending
// and owns the PendingRequest; the request owns its Merger.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardis::proxy {

class Splitter {
 public:
  // Groups the keys at `key_indexes` (each followed by the same number of arguments, e.g.
  // MSET's value) by the server in `key_servers`, and encodes one sub-command per server.
  // False when the sub-commands, as large as the request, could not be allocated.
  [[nodiscard]] bool split(std::span<const std::string_view> argv,
                           std::span<const uint32_t> key_indexes,
                           std::span<const uint32_t> key_servers, size_t server_count);
  // Gives back the buffer of the sub-commands once they are sent, when a large request grew
  // it: the next request starts from a small one.
  void releaseLarge();

  size_t parts() const { return part_servers_.size(); }
  uint32_t partServer(size_t part) const { return part_servers_[part]; }
  std::span<const uint32_t> partServers() const { return part_servers_; }
  std::string_view partRequest(size_t part) const {
    return std::string_view(buffer_).substr(part_offsets_[part],
                                            part_offsets_[part + 1] - part_offsets_[part]);
  }
  // The part each key went to, in the client's key order.
  std::span<const uint32_t> keyParts() const { return key_parts_; }

 private:
  std::string buffer_;
  std::vector<uint32_t> part_of_server_;
  std::vector<uint32_t> part_servers_;
  std::vector<size_t> part_offsets_;
  std::vector<uint32_t> key_parts_;
  std::vector<uint32_t> part_keys_;  // keys per part, then where each part starts in order_
  std::vector<uint32_t> order_;      // key ordinals grouped by part, client order inside
  void encode(std::span<const std::string_view> argv, std::span<const uint32_t> key_indexes,
              size_t step);
};

// The client-visible SCAN cursor. Redis clients parse a cursor as a signed 64-bit number, so
// it stays below 2^63: the low kServerBits bits are the server's position in the pool's list
// of live servers, the kEpochBits at the top are that list's epoch (PoolTopology::list_epoch,
// modulo 256) and the bits between are that server's own cursor. 0 is the first server at its
// cursor 0: start and end of the whole scan, under any list. A server cursor must fit in
// 63 - kServerBits - kEpochBits bits; Redis's cursors are bucket indexes of its hash tables,
// far below that. A cursor of another epoch is refused: the list it walked has changed (a
// reload, a failover), and going on would skip or repeat servers. Under epoch 0, before any
// change, the cursor is what it was before epochs existed.
struct ScanCursor {
  static constexpr unsigned kServerBits = 10;
  static constexpr unsigned kEpochBits = 8;
  static constexpr uint32_t kMaxServers = 1u << kServerBits;
  static constexpr uint64_t kMaxServerCursor = (uint64_t{1} << (63 - kServerBits - kEpochBits)) - 1;

  uint32_t server = 0;  // position in the live list
  uint64_t cursor = 0;
  uint32_t epoch = 0;

  // nullopt when `text` is not a decimal below 2^63, names a position past `server_count`, or
  // (not being 0) was made under another epoch than `epoch`.
  static std::optional<ScanCursor> decode(std::string_view text, size_t server_count,
                                          uint32_t epoch = 0);
  [[nodiscard]] uint64_t encode() const {
    if (server == 0 && cursor == 0) return 0;
    const uint64_t epoch_bits = epoch & ((1u << kEpochBits) - 1);
    return (epoch_bits << (63 - kEpochBits)) | (cursor << kServerBits) | server;
  }
};

}  // namespace shardis::proxy
