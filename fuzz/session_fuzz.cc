// libFuzzer target for whole client sessions: decode, dispatch, routing, splitting, local
// commands, the pending queue and its free list, replies in order, with two sessions of one
// worker sharing its read scratch, its decoder and its free list. Each session's client is one
// end of a unix socketpair: the input is two clients' byte streams, written in pieces whose
// sizes the input chooses, with a turn of the worker's loop after each piece, so every piece
// is one read of the real Stream path. Replies are drained and dropped. The servers are closed
// loopback ports, so forwarded requests end in the proxy's own error replies. What is checked
// is what the sanitizers see (ASan, UBSan, leaks).

#include <spdlog/spdlog.h>
#include <uv.h>

#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "hash/ring.h"
#include "proxy/client_session.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace shardis::proxy::fuzz {
namespace {

// Servers on loopback ports nothing listens on (1 and 2 need root to bind): every connect is
// refused at once, without leaving the machine.
constexpr std::string_view kConfig = R"(pool:
  listen: 127.0.0.1:6399
  hash: fnv1a_64
  distribution: ketama
  timeout: 50
  server_retry_timeout: 10
  servers:
    - 127.0.0.1:1:1 s1
    - 127.0.0.1:2:1 s2
)";

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Takes a retired session out of the registry, as the Worker does; the harness frees it.
class Owner final : public SessionOwner {
 public:
  explicit Owner(SharedState& shared) : shared_(shared) {}
  void retire(ClientSession& session) override { shared_.registry.remove(session.id()); }

 private:
  SharedState& shared_;
};

struct World {
  World()
      : config(quietly(config::loadString(kConfig, "fuzz.yml"))),
        shared(config),
        worker(0, shared, TopologyOwner(config).current(), nullptr),
        owner(shared) {}
  static config::Config quietly(config::Config loaded) {
    spdlog::set_level(spdlog::level::off);  // servers going down is the normal case here
    return loaded;
  }
  void runLoop(int rounds) {
    for (int i = 0; i < rounds; ++i) uv_run(worker.loop().raw(), UV_RUN_NOWAIT);
  }
  config::Config config;
  SharedState shared;
  Worker worker;
  Owner owner;
  uint64_t next_id = 1;
};

World& world() {
  static World* instance = new World();  // lives for the process: libFuzzer never exits cleanly
  return *instance;
}

// xorshift over the input's first bytes: where reads end and when the loop runs.
struct Cuts {
  uint32_t state;
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

// One client: a session on one end of a socketpair, the test's end the other.
struct Client {
  explicit Client(World& w) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ends) != 0) violated("socketpair");
    session = std::make_unique<ClientSession>(w.worker.loop(), shardis::net::Stream::Kind::kUnix,
                                              w.next_id++, w.worker.pool(0), w.shared, w.owner);
    if (session->stream().open(ends[0]) != 0) violated("uv_pipe_open");
    session->start();
  }
  ~Client() {
    session->close();
    ::close(ends[1]);
  }
  // Writes up to `bytes` of `rest` as the client, as much as the socket takes now.
  void send(std::string_view& rest, size_t bytes) {
    if (session->retired()) {
      rest = {};  // it hung up (QUIT, a protocol error): nothing more is read
      return;
    }
    ssize_t sent = ::send(ends[1], rest.data(), std::min(bytes, rest.size()), MSG_DONTWAIT);
    if (sent > 0) rest.remove_prefix(static_cast<size_t>(sent));
  }
  void drain() {
    char sink[64 * 1024];
    while (::recv(ends[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
  }
  int ends[2] = {-1, -1};  // [0]: the session's (libuv closes it), [1]: the client's
  std::unique_ptr<ClientSession> session;
};

}  // namespace
}  // namespace shardis::proxy::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shardis::proxy;
  using namespace shardis::proxy::fuzz;
  if (size < 4) return 0;
  World& w = world();
  Cuts cuts{(uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 | uint32_t{data[2]} << 8 | data[3]) |
            1u};
  std::string_view input(reinterpret_cast<const char*>(data) + 4, size - 4);
  std::string_view streams[2] = {input.substr(0, input.size() / 2), input.substr(input.size() / 2)};
  {
    Client clients[2] = {Client(w), Client(w)};
    while (!streams[0].empty() || !streams[1].empty()) {
      uint32_t pick = cuts.next();
      size_t which = pick & 1;
      clients[which].send(streams[which], 1 + (pick >> 1) % 97);
      w.runLoop(1);  // the piece is read, its requests run; flushes, connects, refusals
      for (Client& client : clients) client.drain();
    }
    w.runLoop(3);
  }              // both sessions close
  w.runLoop(3);  // the streams' close callbacks
  return 0;
}
