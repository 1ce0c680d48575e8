// Renderers: pure functions from a Snapshot to the texts readers ask for. No I/O, no clock:
// the Snapshot carries the time, so the unit tests compare whole documents.
#pragma once

#include <string>
#include <string_view>

#include "stats/hub.h"

namespace shardis::stats {

// twemproxy 0.5.0's stats document, byte for byte in its layout (its key order and its
// `"key":value, ` spacing), ending in "}\n". Our extra fields follow twemproxy's in each
// object, and are all numbers so that tools which walk the document find nothing new in
// kind. forward_error is the backend_down error count (twemproxy counts the same event).
[[nodiscard]] std::string renderTwemproxyJson(const Snapshot& snapshot);

// Prometheus text exposition format 0.0.4 (Content-Type kPrometheusContentType).
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";
[[nodiscard]] std::string renderPrometheus(const Snapshot& snapshot);

// INFO sections, with their "# Name" header and CRLF line ends, as redis-server writes them.
// A pool's clients see their own pool only (pools are separate tenants): # Stats and
// # Hotkeys are pool `pool`'s. # Commandstats and # Latencystats are counted per command for
// the whole process (commands never called are left out, as Redis leaves them out).
// # Stats: Redis's field names where Redis has the counter (total_connections_received,
// total_commands_processed, total_error_replies); ours after them.
void appendStatsSection(std::string& out, const Snapshot& snapshot, size_t pool);
// Redis's blocked_clients for INFO's # Clients section: pool `pool`'s clients waiting in a
// blocking command, summed over the workers (as published, up to a second old).
[[nodiscard]] uint64_t blockedClients(const Snapshot& snapshot, size_t pool);
void appendCommandStats(std::string& out, const Snapshot& snapshot);          // # Commandstats
void appendLatencyStats(std::string& out, const Snapshot& snapshot);          // # Latencystats
void appendHotKeys(std::string& out, const Snapshot& snapshot, size_t pool);  // # Hotkeys

// /healthz: true when every pool has at least one server that is up. `body` gets a JSON
// object naming each pool's live and total servers and the pools with none.
[[nodiscard]] bool renderHealth(const Snapshot& snapshot, std::string& body);

// A key made printable for a label or an INFO line: bytes outside printable ASCII, and '%',
// become %XX, so binary keys cannot break the line format.
[[nodiscard]] std::string printableKey(std::string_view key);

}  // namespace shardis::stats
