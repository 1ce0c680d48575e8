#include "app/key_scan.h"

#include <array>
#include <vector>

#include "app/blocking_client.h"

namespace shardis::app {

namespace {

// One command whose reply must not be an error; `what` names it in the message.
bool callExpectingSuccess(BlockingClient& client, std::span<const std::string_view> argv,
                          std::string_view what, std::string& error) {
  std::string_view reply;
  if (!client.call(argv, reply, error)) {
    return false;
  }
  if (reply.starts_with('-')) {
    // The server's own words, without the "-" and the CRLF.
    error = std::string(what) + ": " + std::string(reply.substr(1, reply.size() - 3));
    return false;
  }
  return true;
}

bool authenticateAndSelect(BlockingClient& client, const config::Pool& pool,
                           const config::Server& server, std::string& error) {
  const std::string password = server.password.value_or(pool.redis_auth);
  if (!password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (server.username.has_value() && !server.username->empty()) {
      auth.emplace_back(*server.username);
    }
    auth.emplace_back(password);
    if (!callExpectingSuccess(client, auth, "AUTH", error)) {
      return false;
    }
  }
  const int db = server.db.value_or(pool.redis_db);
  if (db != 0) {
    const std::string db_text = std::to_string(db);
    const std::array<std::string_view, 2> select = {"SELECT", db_text};
    return callExpectingSuccess(client, select, "SELECT", error);
  }
  return true;
}

// One SCAN step: visits its keys and moves `cursor` on ("0" when the walk is over).
bool scanStep(BlockingClient& client, std::string& cursor, const KeyVisitor& visit,
              std::string& error) {
  const std::array<std::string_view, 4> scan = {"SCAN", cursor, "COUNT", "1000"};
  std::string_view reply;
  if (!client.call(scan, reply, error)) {
    return false;
  }
  std::vector<std::string_view> parts;
  std::vector<std::string_view> keys;
  if (!resp::arrayElements(reply, parts) || parts.size() != 2 ||
      !resp::arrayElements(parts[1], keys)) {
    error = "SCAN: unexpected reply " + std::string(reply.substr(0, 80));
    return false;
  }
  for (const std::string_view raw_key : keys) {
    const auto key = resp::stringValue(raw_key);
    if (!key.has_value()) {
      error = "SCAN: a key that is not a string";
      return false;
    }
    visit(*key);
  }
  const auto next = resp::stringValue(parts[0]);
  if (!next.has_value()) {
    error = "SCAN: a cursor that is not a string";
    return false;
  }
  cursor = std::string(*next);
  return true;
}

}  // namespace

bool scanServerKeys(const config::Pool& pool, const config::Server& server, int timeout_ms,
                    const KeyVisitor& visit, std::string& error) {
  BlockingClient client(timeout_ms);
  if (!client.connect(server, error) || !authenticateAndSelect(client, pool, server, error)) {
    return false;
  }
  std::string cursor = "0";
  do {
    if (!scanStep(client, cursor, visit, error)) {
      return false;
    }
  } while (cursor != "0");
  return true;
}

}  // namespace shardis::app
