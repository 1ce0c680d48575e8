#include "proxy/function_commands.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "backend/server_connection.h"
#include "command/ascii.h"
#include "proxy/dispatcher.h"
#include "proxy/function_merger.h"
#include "proxy/worker.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// One FUNCTION DELETE of an undo. Nobody waits for it: the client's reply is already
// decided, and its later requests follow the DELETE on the same connection. It owns itself
// from send() until the connection answers or fails it (the connection fails everything in
// flight before it goes away), and only logs what went wrong.
class UndoDelete final : public backend::ReplyTarget {
 public:
  static bool send(backend::ServerConnection& connection, std::string_view request,
                   std::string server, std::string library, bool missing_is_fine,
                   uint64_t timeout_ms) {
    auto undo =
        std::make_unique<UndoDelete>(std::move(server), std::move(library), missing_is_fine);
    if (!connection.send(request, undo.get(), 0, undo->ticket_, timeout_ms)) return false;
    undo.release();  // NOLINT(bugprone-unused-return-value): owned by the connection now
    return true;
  }

  UndoDelete(std::string server, std::string library, bool missing_is_fine)
      : server_(std::move(server)),
        library_(std::move(library)),
        missing_is_fine_(missing_is_fine) {}

  void onReply(uint32_t /*part*/, const resp::Reply& reply) override {
    // With REPLACE, and on a server that did not answer the LOAD, the library may not be there.
    bool fine =
        reply.raw == "+OK\r\n" || (missing_is_fine_ && reply.raw == "-ERR Library not found\r\n");
    if (!fine) {
      spdlog::warn("server {}: undoing FUNCTION LOAD of library '{}': FUNCTION DELETE answered {}",
                   server_, library_, std::string_view(reply.raw).substr(0, 200));
    }
    delete this;
  }
  void onFailure(uint32_t /*part*/, std::string_view message) override {
    spdlog::warn("server {}: undoing FUNCTION LOAD of library '{}' failed: {}", server_, library_,
                 message);
    delete this;
  }

 private:
  backend::Ticket ticket_;
  std::string server_;
  std::string library_;
  bool missing_is_fine_;
};

// FUNCTION LOAD: the library's name from every server, or the undo described in the header.
class FunctionLoadMerger final : public FunctionMerger {
 public:
  FunctionLoadMerger(PoolRuntime& pool, std::span<const uint32_t> part_servers, uint64_t client_id,
                     resp::Protocol protocol, bool replace)
      : FunctionMerger(pool, part_servers),
        pool_(pool),
        part_servers_(part_servers.begin(), part_servers.end()),
        loaded_(part_servers.size(), false),
        client_id_(client_id),
        protocol_(protocol),
        replace_(replace) {}

  void finish(std::string& reply) override {
    size_t loaded = 0;
    for (bool part_loaded : loaded_) loaded += part_loaded ? 1 : 0;
    if (loaded == 0 || !failed()) return FunctionMerger::finish(reply);
    std::string undone = undo();
    reply.clear();
    resp::appendError(reply, errorText() + " (" + undone + ")");
  }

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    std::optional<std::string_view> name = resp::stringValue(reply.raw);
    if (!name || !reply.raw.starts_with('$')) return unexpected(part);
    loaded_[part] = true;
    if (name_.empty()) {
      name_ = *name;
      first_ = reply.raw;
    } else if (*name != name_) {
      unexpected(part);  // the same code named another library: not a Redis answer
    }
  }
  void build(std::string& reply) override { reply = std::move(first_); }

  // Sends the DELETEs; says what was done, for the client's error.
  std::string undo() {
    std::string request;
    std::string_view argv[] = {"FUNCTION", "DELETE", name_};
    resp::appendCommand(request, argv);
    std::string deleted_from;
    std::string unreachable;
    for (uint32_t part = 0; part < part_servers_.size(); ++part) {
      // A server that did not answer may have loaded it (a timeout): it is deleted there too.
      if (!replace_ && !loaded_[part] && !unanswered(part)) continue;
      const std::string& name = serverNameOf(part);
      backend::ServerConnection& connection =
          pool_.serverPool().connectionFor(part_servers_[part], client_id_, protocol_);
      bool sent = UndoDelete::send(connection, request, name, name_, replace_ || !loaded_[part],
                                   pool_.requestTimeoutMs());
      std::string& list = sent ? deleted_from : unreachable;
      list.append(list.empty() ? "" : ", ").append(name);
    }
    std::string what =
        replace_ ? "FUNCTION LOAD REPLACE cannot be undone: FUNCTION DELETE " + name_ +
                       " sent to every server, its old code is not kept"
                 : "FUNCTION LOAD undone: FUNCTION DELETE " + name_ + " sent to " + deleted_from;
    if (!unreachable.empty())
      what += "; could not send it to " + unreachable + ", where it may be left";
    spdlog::warn("FUNCTION LOAD of library '{}' failed on some servers: {}", name_, what);
    return what;
  }

  PoolRuntime& pool_;
  std::vector<uint32_t> part_servers_;
  std::vector<bool> loaded_;
  uint64_t client_id_;
  resp::Protocol protocol_;  // the client's: its connections
  bool replace_;
  std::string name_;
  std::string first_;
};

// FUNCTION LOAD [REPLACE] code: REPLACE anywhere before the code, as Redis reads it.
bool hasReplace(std::span<const std::string_view> argv) {
  for (size_t i = 2; i + 1 < argv.size(); ++i) {
    if (command::equalsIgnoreCase(argv[i], "replace")) return true;
  }
  return false;
}

void functionLoad(CommandCall& call) {
  PoolRuntime& pool = call.dispatcher->poolRuntime();
  std::string inline_bytes;
  std::string_view bytes = call.request.raw;
  if (call.request.is_inline) {  // the server gets the decoded arguments
    resp::appendCommand(inline_bytes, call.request.argv);
    bytes = inline_bytes;
  }
  auto merger = std::make_unique<FunctionLoadMerger>(
      pool, pool.every_server, call.client.id, call.client.protocol, hasReplace(call.request.argv));
  call.dispatcher->sendParts(call.request, pool.every_server, std::move(merger), bytes);
}

constexpr NamedHandler kFunctionHandlers[] = {
    {"function|load", functionLoad},
};

}  // namespace

std::span<const NamedHandler> functionHandlers() { return kFunctionHandlers; }

}  // namespace shardis::proxy
