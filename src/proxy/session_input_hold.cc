// ClientSession's input hold. Most requests ride the client's shared server connections, and
// a connection keeps their order. A request that runs on a connection of its own (EXEC and
// WATCH on a leased connection) has no such order with them, so it is ordered here, as one
// Redis connection orders a client's commands: it is dispatched only once every earlier
// request has its reply, and nothing after it is dispatched before its own reply. The input
// behind it waits as bytes; the client is still read, so that a hang-up is seen, until what
// it holds reaches client_queue_limit.
#include <memory>
#include <string>
#include <utility>

#include "net/loop.h"
#include "proxy/client_session.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace shardis::proxy {

void ClientSession::holdInput() { input_held_ = true; }

void ClientSession::keepReadWhileHeld(std::string_view input) {
  keepHeld(input);
  if (heldTooMuch()) pauseReading();
}

bool ClientSession::heldTooMuch() const {
  const uint64_t limit = shared_.config.process.client_queue_limit;
  return held_input_ && limit != 0 && held_input_->size() >= limit;
}

void ClientSession::keepHeld(std::string_view first, std::string_view rest) {
  if (first.empty() && rest.empty()) return;
  if (!held_input_) held_input_ = std::make_unique<std::string>();
  held_input_->append(first).append(rest);
}

// Called when the last reply owed is written, from inside a server's reply callback: the held
// requests are dispatched on the next turn of the loop, not from within that callback. The
// worker frees a retired session with a deferred task queued after this one, so `this` is
// still alive when it runs.
void ClientSession::releaseHeldInput() {
  if (release_scheduled_ || retired()) return;
  release_scheduled_ = true;
  loop_.defer([this] {
    release_scheduled_ = false;
    if (retired() || !input_held_ || !queue_.empty()) return;
    input_held_ = false;
    std::unique_ptr<std::string> held = std::move(held_input_);
    if (held) {
      resp::RequestDecoder& decoder = pool_.worker.requestDecoder();
      std::string_view input = *held;
      size_t used = processInput(input, decoder);
      if (!readsDropped() && used < input.size()) keepUndispatched(input.substr(used), decoder);
      decoder.reset();
    }
    if (lifecycle_ == Lifecycle::kDraining && queue_.empty() && !input_held_) {
      return finishAfterWrites();
    }
    resumeReading();
  });
}

}  // namespace shardis::proxy
