#include "hash/hash_function.h"

#include <array>

#include "hash/digest.h"

namespace shardis::hash {
namespace {

// twemproxy reads keys through `const char*`, which is signed on x86-64: wherever it adds or
// xors a key byte into a wider register, a byte >= 0x80 arrives sign-extended. Reproduce that
// with explicit conversions (char -> signed char -> int32 -> uint32 is well defined).
constexpr uint32_t signExtended(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}

constexpr uint32_t byteAt(std::string_view key, size_t i) {
  return static_cast<uint32_t>(static_cast<unsigned char>(key[i]));
}

// Little-endian loads of unsigned bytes: what twemproxy's word reads give on x86-64.
constexpr uint32_t load16(std::string_view key, size_t i) {
  return byteAt(key, i) | (byteAt(key, i + 1) << 8);
}

constexpr uint32_t load32(std::string_view key, size_t i) {
  return load16(key, i) | (load16(key, i + 2) << 16);
}

constexpr uint32_t littleEndian32(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) | (static_cast<uint32_t>(bytes[1]) << 8) |
         (static_cast<uint32_t>(bytes[2]) << 16) | (static_cast<uint32_t>(bytes[3]) << 24);
}

// CRC-16/XMODEM lookup table (polynomial 0x1021, most significant bit first), computed at
// compile time rather than pasted in.
constexpr std::array<uint16_t, 256> makeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000u) != 0 ? (crc << 1) ^ 0x1021u : crc << 1;
    }
    table[i] = static_cast<uint16_t>(crc & 0xffffu);
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = makeCrc16Table();

// twemproxy's fnv1*_64 keep only a 32-bit state: the 64-bit offset basis and prime truncated.
constexpr uint32_t kFnv64BasisLow = 0x84222325u;
constexpr uint32_t kFnv64PrimeLow = 0x000001b3u;
constexpr uint32_t kFnv32Basis = 2166136261u;
constexpr uint32_t kFnv32Prime = 16777619u;

constexpr uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// lookup3's mixing steps, applied to the three-word state.
struct Lookup3 {
  uint32_t a, b, c;

  void mix() {
    a -= c, a ^= rotl(c, 4), c += b;
    b -= a, b ^= rotl(a, 6), a += c;
    c -= b, c ^= rotl(b, 8), b += a;
    a -= c, a ^= rotl(c, 16), c += b;
    b -= a, b ^= rotl(a, 19), a += c;
    c -= b, c ^= rotl(b, 4), b += a;
  }

  void finish() {
    c ^= b, c -= rotl(b, 14);
    a ^= c, a -= rotl(c, 11);
    b ^= a, b -= rotl(a, 25);
    c ^= b, c -= rotl(b, 16);
    a ^= c, a -= rotl(c, 4);
    b ^= a, b -= rotl(a, 14);
    c ^= b, c -= rotl(b, 24);
  }
};

}  // namespace

uint32_t hashOneAtATime(std::string_view key) {
  uint32_t value = 0;
  for (char c : key) {
    value += signExtended(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

uint32_t hashMd5(std::string_view key) { return littleEndian32(md5(key).data()); }

uint32_t hashCrc16(std::string_view key) {
  // The register is never masked to 16 bits, so the result keeps the shifted-out high bits.
  uint32_t crc = 0;
  for (char c : key) {
    crc = (crc << 8) ^ kCrc16Table[((crc >> 8) ^ signExtended(c)) & 0xffu];
  }
  return crc;
}

uint32_t hashCrc32(std::string_view key) { return (crc32(key) >> 16) & 0x7fffu; }

uint32_t hashCrc32a(std::string_view key) { return crc32(key); }

uint32_t hashFnv1_64(std::string_view key) {
  uint32_t hash = kFnv64BasisLow;
  for (char c : key) {
    hash *= kFnv64PrimeLow;
    hash ^= signExtended(c);
  }
  return hash;
}

uint32_t hashFnv1a_64(std::string_view key) {
  uint32_t hash = kFnv64BasisLow;
  for (char c : key) {
    hash ^= signExtended(c);
    hash *= kFnv64PrimeLow;
  }
  return hash;
}

uint32_t hashFnv1_32(std::string_view key) {
  uint32_t hash = kFnv32Basis;
  for (char c : key) {
    hash *= kFnv32Prime;
    hash ^= signExtended(c);
  }
  return hash;
}

uint32_t hashFnv1a_32(std::string_view key) {
  uint32_t hash = kFnv32Basis;
  for (char c : key) {
    hash ^= signExtended(c);
    hash *= kFnv32Prime;
  }
  return hash;
}

uint32_t hashHsieh(std::string_view key) {
  // SuperFastHash as twemproxy has it: seeded with 0 rather than the length.
  if (key.empty()) return 0;
  uint32_t hash = 0;
  size_t pos = 0;
  for (size_t blocks = key.size() / 4; blocks > 0; --blocks, pos += 4) {
    hash += load16(key, pos);
    const uint32_t tmp = (load16(key, pos + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    hash += hash >> 11;
  }
  switch (key.size() & 3u) {
    case 3:
      hash += load16(key, pos);
      hash ^= hash << 16;
      hash ^= signExtended(key[pos + 2]) << 18;  // the one signed read of the tail
      hash += hash >> 11;
      break;
    case 2:
      hash += load16(key, pos);
      hash ^= hash << 11;
      hash += hash >> 17;
      break;
    case 1:
      hash += byteAt(key, pos);
      hash ^= hash << 10;
      hash += hash >> 1;
      break;
    default:
      break;
  }
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

uint32_t hashMurmur(std::string_view key) {
  // MurmurHash2, seeded with 0xdeadbeef times the length.
  constexpr uint32_t kM = 0x5bd1e995u;
  const auto length = static_cast<uint32_t>(key.size());
  uint32_t h = (0xdeadbeefu * length) ^ length;
  size_t pos = 0;
  for (; key.size() - pos >= 4; pos += 4) {
    uint32_t k = load32(key, pos);
    k *= kM;
    k ^= k >> 24;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const size_t tail = key.size() - pos;
  if (tail == 3) h ^= byteAt(key, pos + 2) << 16;
  if (tail >= 2) h ^= byteAt(key, pos + 1) << 8;
  if (tail >= 1) {
    h ^= byteAt(key, pos);
    h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

uint32_t hashJenkins(std::string_view key) {
  // lookup3's hashlittle() with initval 13. Its aligned and unaligned paths agree, so reading
  // byte by byte (zero-padding the last block) gives what twemproxy gives for any alignment.
  constexpr uint32_t kInitval = 13;
  const uint32_t start = 0xdeadbeefu + static_cast<uint32_t>(key.size()) + kInitval;
  Lookup3 s{start, start, start};
  size_t pos = 0;
  for (; key.size() - pos > 12; pos += 12) {
    s.a += load32(key, pos);
    s.b += load32(key, pos + 4);
    s.c += load32(key, pos + 8);
    s.mix();
  }
  const size_t tail = key.size() - pos;
  if (tail == 0) return s.c;  // lookup3 skips the final mix for an empty last block
  std::array<char, 12> block{};
  key.copy(block.data(), tail, pos);
  const std::string_view padded(block.data(), block.size());
  s.a += load32(padded, 0);
  s.b += load32(padded, 4);
  s.c += load32(padded, 8);
  s.finish();
  return s.c;
}

uint32_t hashKey(HashKind kind, std::string_view key) {
  switch (kind) {
    case HashKind::kOneAtATime:
      return hashOneAtATime(key);
    case HashKind::kMd5:
      return hashMd5(key);
    case HashKind::kCrc16:
      return hashCrc16(key);
    case HashKind::kCrc32:
      return hashCrc32(key);
    case HashKind::kCrc32a:
      return hashCrc32a(key);
    case HashKind::kFnv1_64:
      return hashFnv1_64(key);
    case HashKind::kFnv1a_64:
      return hashFnv1a_64(key);
    case HashKind::kFnv1_32:
      return hashFnv1_32(key);
    case HashKind::kFnv1a_32:
      return hashFnv1a_32(key);
    case HashKind::kHsieh:
      return hashHsieh(key);
    case HashKind::kMurmur:
      return hashMurmur(key);
    case HashKind::kJenkins:
      return hashJenkins(key);
    case HashKind::kSha1:
      return littleEndian32(sha1(key).data());
  }
  return hashFnv1a_64(key);
}

}  // namespace shardis::hash
