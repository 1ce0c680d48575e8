// `shardis locate`: where each key of the command line lives, by the same hash tag rule and
// ring the proxy routes with. An operator runs it to check a migration from twemproxy or
// redis-shard; the integration tests run it to know which backend to read.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "app/options.h"
#include "config/config.h"
#include "hash/ring.h"

namespace shardis::app {

// Prints one tab-separated line per pool and key (pool, key, routing bytes, hash, server
// name, server address) to `out`. Returns the exit code; an unknown --pool goes to `err`.
int runLocate(const config::Config& config, const Options& options, std::ostream& out,
              std::ostream& err);

// The ring the proxy routes `pool` with, every server live; locate() indexes pool.servers.
std::shared_ptr<const hash::Ring> buildPoolRing(const config::Pool& pool);

// Bytes as text safe for one tab-separated field: printable ASCII as is, backslash doubled,
// everything else as \xHH.
std::string escapeBytes(std::string_view bytes);

}  // namespace shardis::app
