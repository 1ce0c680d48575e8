// Thin wrappers over the library digests: MD5 and SHA-1 from OpenSSL, CRC-32 from zlib.
// Used by the twemproxy hash functions (md5, crc32, crc32a), by ketama to place points, and
// by the redis_shard ring, which compares whole digests.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shardis::hash {

using Md5Digest = std::array<uint8_t, 16>;
using Sha1Digest = std::array<uint8_t, 20>;

// Allocation-free: computed on a stack context.
[[nodiscard]] Md5Digest md5(std::string_view bytes);
[[nodiscard]] Sha1Digest sha1(std::string_view bytes);

// The standard (zlib, IEEE 802.3) CRC-32 of the bytes.
[[nodiscard]] uint32_t crc32(std::string_view bytes);

}  // namespace shardis::hash
