#include "hash/digest.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <cstdlib>
#include <memory>

namespace shardis::hash {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One context per thread and digest: EVP_Digest() would allocate a context on every call,
// and md5 is on the request path for pools configured with `hash: md5`.
template <size_t N>
std::array<uint8_t, N> digestWith(const EVP_MD* md, std::string_view bytes) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  // These calls fail only when OpenSSL cannot allocate or the digest is unavailable; a
  // placement that silently differed would be worse than stopping.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) {
    std::abort();
  }
  return out;
}

}  // namespace

Md5Digest md5(std::string_view bytes) { return digestWith<16>(EVP_md5(), bytes); }

Sha1Digest sha1(std::string_view bytes) { return digestWith<20>(EVP_sha1(), bytes); }

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
