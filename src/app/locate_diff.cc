#include "app/locate_diff.h"

#include <cstdio>
#include <ostream>

#include "app/locate.h"

namespace shardis::app {

namespace {

constexpr uint32_t kNoServer = UINT32_MAX;

bool sameServer(const config::Pool& old_pool, const config::Server& old_server,
                const config::Pool& new_pool, const config::Server& new_server) {
  return old_server.name == new_server.name && old_server.address_text == new_server.address_text &&
         old_server.db.value_or(old_pool.redis_db) == new_server.db.value_or(new_pool.redis_db);
}

std::string percentText(uint64_t part, uint64_t whole) {
  char text[32];
  const double percent =
      whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  std::snprintf(text, sizeof(text), "%.2f", percent);
  return text;
}

const config::Pool* findPool(const config::Config& config, std::string_view name) {
  for (const config::Pool& pool : config.pools) {
    if (pool.name == name) {
      return &pool;
    }
  }
  return nullptr;
}

bool isRandom(const config::Pool& pool) { return pool.distribution == hash::Distribution::kRandom; }

// One pool in both files: the sample or the scan, then its lines. False if a server was
// skipped.
bool diffPool(const config::Pool& old_pool, const config::Pool& new_pool, const Options& options,
              const ServerScanner& scanner, std::ostream& out) {
  if (isRandom(old_pool) || isRandom(new_pool)) {
    out << "random\t" << old_pool.name << '\n';
    return true;
  }
  PoolDiff diff(old_pool, new_pool);
  if (options.diff_keys == Options::DiffKeys::kSample) {
    std::string key;
    for (uint64_t i = 0; i < options.diff_sample; ++i) {
      key = "key:" + std::to_string(i);
      diff.countPlaced(key);
    }
    diff.print(out, "sample");
    return true;
  }
  std::vector<std::string> skipped;
  for (uint32_t index = 0; index < old_pool.servers.size(); ++index) {
    const config::Server& server = old_pool.servers[index];
    std::string error;
    const KeyVisitor visit = [&diff, index](std::string_view key) { diff.countFound(key, index); };
    if (!scanner(old_pool, server, visit, error)) {
      skipped.push_back("skipped\t" + old_pool.name + '\t' + server.name + '\t' +
                        server.address_text + '\t' + escapeBytes(error) + '\n');
    }
  }
  diff.print(out, "scan");
  for (const std::string& line : skipped) {
    out << line;
  }
  return skipped.empty();
}

}  // namespace

PoolDiff::PoolDiff(const config::Pool& old_pool, const config::Pool& new_pool)
    : old_pool_(old_pool),
      new_pool_(new_pool),
      old_ring_(buildPoolRing(old_pool)),
      new_ring_(buildPoolRing(new_pool)),
      old_tag_(hash::HashTag::forPool(old_pool.distribution, old_pool.hash_tag)),
      new_tag_(hash::HashTag::forPool(new_pool.distribution, new_pool.hash_tag)),
      same_in_new_(old_pool.servers.size(), kNoServer) {
  for (size_t o = 0; o < old_pool.servers.size(); ++o) {
    for (size_t n = 0; n < new_pool.servers.size(); ++n) {
      if (sameServer(old_pool, old_pool.servers[o], new_pool, new_pool.servers[n])) {
        same_in_new_[o] = static_cast<uint32_t>(n);
      }
    }
  }
}

void PoolDiff::countPlaced(std::string_view key) {
  countFound(key, old_ring_->locate(old_tag_.routingKey(key)));
}

void PoolDiff::countFound(std::string_view key, uint32_t old_index) {
  // Each file's own hash tag: a changed hash_tag moves keys as much as a changed ring.
  const uint32_t new_index = new_ring_->locate(new_tag_.routingKey(key));
  ++examined_;
  if (same_in_new_.at(old_index) != new_index) {
    ++moved_;
    ++moves_[{old_index, new_index}];
  }
}

void PoolDiff::print(std::ostream& out, std::string_view source) const {
  out << "pool\t" << old_pool_.name << '\t' << source << '\t' << examined_ << '\t' << moved_ << '\t'
      << percentText(moved_, examined_) << '\n';
  for (const auto& [servers, keys] : moves_) {
    const config::Server& from = old_pool_.servers.at(servers.first);
    const config::Server& to = new_pool_.servers.at(servers.second);
    out << "move\t" << old_pool_.name << '\t' << from.name << '\t' << from.address_text << '\t'
        << to.name << '\t' << to.address_text << '\t' << keys << '\n';
  }
}

int runLocateDiff(const config::Config& old_config, const config::Config& new_config,
                  const Options& options, const ServerScanner& scanner, std::ostream& out,
                  std::ostream& err) {
  const auto wanted = [&options](const config::Pool& pool) {
    return options.locate_pool.empty() || pool.name == options.locate_pool;
  };
  bool found = false;
  bool complete = true;
  for (const config::Pool& old_pool : old_config.pools) {
    if (!wanted(old_pool)) continue;
    found = true;
    const config::Pool* new_pool = findPool(new_config, old_pool.name);
    if (new_pool == nullptr) {
      out << "only\t" << old_pool.name << "\told\n";
    } else if (!diffPool(old_pool, *new_pool, options, scanner, out)) {
      complete = false;
    }
  }
  for (const config::Pool& new_pool : new_config.pools) {
    if (wanted(new_pool) && findPool(old_config, new_pool.name) == nullptr) {
      found = true;
      out << "only\t" << new_pool.name << "\tnew\n";
    }
  }
  if (!found) {
    err << "shardis: no pool '" << options.locate_pool << "' in " << old_config.file << " or "
        << new_config.file << '\n';
    return 1;
  }
  return complete ? 0 : 2;
}

}  // namespace shardis::app
