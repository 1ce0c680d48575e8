// `shardis locate --diff OLD NEW [--pool NAME] [--sample N | --scan]`: how many keys change
// server between two config files, so that an operator sees what a reload costs before
// doing it. Pools are matched by name and placed with the same hash tag rule and ring as the
// proxy routes with (app/locate.h).
//
// A key moves when the server it lands on under NEW is not the one it is on under OLD, a
// server being its name (its place on the ring), its address as written, and its database:
// a server that keeps its name but gets another address sends all its keys to another
// machine, and one renamed on the same address is a different server to the ring.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/key_scan.h"
#include "app/options.h"
#include "config/config.h"
#include "hash/hash_tag.h"
#include "hash/ring.h"

namespace shardis::app {

// Counts the keys of one pool (present in both files) whose server changes.
class PoolDiff {
 public:
  // Neither pool may use the random distribution (it places no key anywhere for good).
  PoolDiff(const config::Pool& old_pool, const config::Pool& new_pool);

  // A key of the sample: placed with OLD's ring, then with NEW's.
  void countPlaced(std::string_view key);
  // A key found on OLD's server `old_index` (a scan): wherever OLD's ring would put it.
  void countFound(std::string_view key, uint32_t old_index);

  [[nodiscard]] uint64_t examined() const { return examined_; }
  [[nodiscard]] uint64_t moved() const { return moved_; }
  // Keys moved, by (OLD server index, NEW server index).
  [[nodiscard]] const std::map<std::pair<uint32_t, uint32_t>, uint64_t>& moves() const {
    return moves_;
  }

  // The `pool` line, then one `move` line per pair of servers (see usageText()).
  void print(std::ostream& out, std::string_view source) const;

 private:
  const config::Pool& old_pool_;
  const config::Pool& new_pool_;
  std::shared_ptr<const hash::Ring> old_ring_;
  std::shared_ptr<const hash::Ring> new_ring_;
  hash::HashTag old_tag_;
  hash::HashTag new_tag_;
  // For each OLD server, the index of the NEW server that is the same server, or none.
  std::vector<uint32_t> same_in_new_;
  uint64_t examined_ = 0;
  uint64_t moved_ = 0;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> moves_;
};

// Scans one server of a pool (key_scan.h's scanServerKeys, or a fake in the unit tests).
using ServerScanner = std::function<bool(const config::Pool&, const config::Server&,
                                         const KeyVisitor&, std::string& error)>;

// Prints the report for every pool (or --pool) to `out`. Returns 0, or 2 when --scan had to
// skip a server, or 1 (message on `err`) when --pool names a pool in neither file.
int runLocateDiff(const config::Config& old_config, const config::Config& new_config,
                  const Options& options, const ServerScanner& scanner, std::ostream& out,
                  std::ostream& err);

}  // namespace shardis::app
