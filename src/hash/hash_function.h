// twemproxy's twelve key hash functions, bit-exact with nutcracker 0.5.0 on x86-64.
// The Router hashes each request's routing key with the pool's function; ketama and modula
// rings map the result to a server. Pure functions: no allocation, no state, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "hash/hash_kind.h"

namespace shardis::hash {

// The pool's configured function applied to `key`. kSha1 is not a twemproxy function (only
// the redis_shard ring uses it, through its own full-width path); here it gives the first
// four digest bytes read little-endian, by analogy with twemproxy's md5.
[[nodiscard]] uint32_t hashKey(HashKind kind, std::string_view key);

// The functions one by one, for tests and benchmarks.
[[nodiscard]] uint32_t hashOneAtATime(std::string_view key);
[[nodiscard]] uint32_t hashMd5(std::string_view key);
[[nodiscard]] uint32_t hashCrc16(std::string_view key);
[[nodiscard]] uint32_t hashCrc32(std::string_view key);
[[nodiscard]] uint32_t hashCrc32a(std::string_view key);
[[nodiscard]] uint32_t hashFnv1_64(std::string_view key);
[[nodiscard]] uint32_t hashFnv1a_64(std::string_view key);
[[nodiscard]] uint32_t hashFnv1_32(std::string_view key);
[[nodiscard]] uint32_t hashFnv1a_32(std::string_view key);
[[nodiscard]] uint32_t hashHsieh(std::string_view key);
[[nodiscard]] uint32_t hashMurmur(std::string_view key);
[[nodiscard]] uint32_t hashJenkins(std::string_view key);

}  // namespace shardis::hash
