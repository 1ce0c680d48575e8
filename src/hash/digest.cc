// MD5 and SHA-1 go through OpenSSL's one-shot low-level functions on a stack context. The
// EVP interface that OpenSSL 3 recommends instead allocates a provider context on every
// digest (measured: one malloc per call even with a reused EVP_MD_CTX and a pre-fetched
// EVP_MD) and is ~40% slower on a 16-byte key; md5 and sha1 run per request for pools that
// hash with them, where the design allows no allocation. The deprecation warning is
// silenced for this file only; a build of OpenSSL without the deprecated API takes EVP.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hash/digest.h"

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cstdlib>

namespace shardis::hash {
namespace {

#ifdef OPENSSL_NO_DEPRECATED_3_0
template <size_t N>
std::array<uint8_t, N> evpDigest(const char* name, std::string_view bytes) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, name, nullptr);
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  // Fails only when OpenSSL cannot allocate or lacks the digest; a placement that silently
  // differed would be worse than stopping.
  if (md == nullptr || EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, md, nullptr) != 1 ||
      len != N) {
    std::abort();
  }
  return out;
}
#endif

}  // namespace

Md5Digest md5(std::string_view bytes) {
#ifdef OPENSSL_NO_DEPRECATED_3_0
  return evpDigest<16>("MD5", bytes);
#else
  // Init/Update/Final rather than the one-shot MD5(), which OpenSSL 3 may route through EVP.
  Md5Digest out{};
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_Update(&ctx, bytes.data(), bytes.size());
  MD5_Final(out.data(), &ctx);
  return out;
#endif
}

Sha1Digest sha1(std::string_view bytes) {
#ifdef OPENSSL_NO_DEPRECATED_3_0
  return evpDigest<20>("SHA1", bytes);
#else
  // Init/Update/Final: OpenSSL 3's one-shot SHA1() fetches the algorithm on every call.
  Sha1Digest out{};
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, bytes.data(), bytes.size());
  SHA1_Final(out.data(), &ctx);
  return out;
#endif
}

uint32_t crc32(std::string_view bytes) {
  // zlib takes a uInt length; feed long inputs in pieces so nothing is truncated.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* data = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    const uInt chunk = left > (1u << 30) ? (1u << 30) : static_cast<uInt>(left);
    crc = ::crc32(crc, data, chunk);
    data += chunk;
    left -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace shardis::hash
