#include "app/locate.h"

#include <memory>
#include <ostream>
#include <vector>

#include "hash/hash_tag.h"

namespace shardis::app {

namespace {

void locateInPool(const config::Pool& pool, const std::vector<std::string>& keys,
                  std::ostream& out) {
  const auto ring = buildPoolRing(pool);
  // The same rule the router applies to this pool.
  const hash::HashTag tag = hash::HashTag::forPool(pool.distribution, pool.hash_tag);
  for (const std::string& key : keys) {
    const std::string_view routing = tag.routingKey(key);
    const uint32_t index = ring->locate(routing);
    const config::Server& server = pool.servers.at(index);
    // locate asks no Sentinel: a sentinel pool's server is shown by its master name.
    const std::string address = server.address_text.empty() && !server.master_name.empty()
                                    ? "sentinel:" + server.master_name
                                    : server.address_text;
    out << pool.name << '\t' << escapeBytes(key) << '\t' << escapeBytes(routing) << '\t'
        << ring->hashText(routing) << '\t' << server.name << '\t' << address << '\n';
  }
}

}  // namespace

std::shared_ptr<const hash::Ring> buildPoolRing(const config::Pool& pool) {
  std::vector<hash::RingMember> members;
  members.reserve(pool.servers.size());
  for (const config::Server& server : pool.servers) {
    members.push_back({server.name, server.weight});
  }
  return hash::Ring::build(pool.distribution, pool.hash, members);
}

std::string escapeBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\\') {
      text += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      text += c;
    } else {
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 0xf];
    }
  }
  return text;
}

int runLocate(const config::Config& config, const Options& options, std::ostream& out,
              std::ostream& err) {
  bool found = options.locate_pool.empty();
  for (const config::Pool& pool : config.pools) {
    if (options.locate_pool.empty() || pool.name == options.locate_pool) {
      locateInPool(pool, options.locate_keys, out);
      found = true;
    }
  }
  if (!found) {
    std::string names;
    for (const config::Pool& pool : config.pools) {
      names += (names.empty() ? "" : ", ") + pool.name;
    }
    err << "shardis: no pool '" << options.locate_pool << "' in " << config.file
        << " (pools: " << names << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace shardis::app
