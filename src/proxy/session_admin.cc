// ClientSession's side of the admin commands (admin_commands.h): where the client is, what it
// is doing, and the worker's, registry's and pool's parts that CLIENT, CONFIG, INFO and
// SLOWLOG may see.
#include <sys/socket.h>
#include <uv.h>

#include <string>

#include "proxy/client_session.h"
#include "proxy/heap_bytes.h"
#include "proxy/info.h"
#include "proxy/shared_state.h"
#include "proxy/worker.h"

namespace shardis::proxy {

namespace {

std::string addressText(const sockaddr_storage& address, int length) {
  if (length <= 0) return "?";
  char host[64] = {0};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    uv_ip4_name(&in, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    uv_ip6_name(&in6, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in6.sin6_port));
  }
  return "/unixsocket:0";  // Redis's wording for a unix socket client
}

uint64_t nowMs() { return uv_hrtime() / 1000000; }

}  // namespace

// Where the client is, for CLIENT INFO / LIST / KILL ADDR.
void ClientSession::noteAddresses() {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream_->raw()), &fd) != 0) return;
  ClientEntry entry;
  entry.id = client_.id;
  entry.fd = fd;
  entry.owner = &pool_.worker;
  entry.pool = pool_.index;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  int got = getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length);
  entry.addr = addressText(address, got == 0 ? static_cast<int>(length) : 0);
  length = sizeof address;
  got = getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  entry.laddr = addressText(address, got == 0 ? static_cast<int>(length) : 0);
  entry.created_ms = client_.last_active_ms = nowMs();
  entry.kill_requested = &kill_requested_;
  entry.subscribed = &subscribed_flag_;
  shared_.registry.add(entry);
}

// The registry holds the only copy of where the client is; it is asked on the rare paths
// that print it.
ClientEntry ClientSession::identity() const {
  std::optional<ClientEntry> entry = shared_.registry.find(client_.id);
  if (entry) return *entry;
  ClientEntry unregistered;  // its socket had no descriptor to ask (see noteAddresses)
  unregistered.id = client_.id;
  return unregistered;
}

// Redis 7.0's fields from what the session holds (admin_commands.h says what each means here).
// rbs and rbp: Redis 7.0 prints there its per-client reply buffer (c->buf: usable size, and
// peak use); a proxy client has no reply buffer of its own until it owes replies, which its
// stream then gathers in buffers taken from the worker's pool. So rbs is the memory of those
// buffers now (0 when nothing is owed) and rbp the most reply bytes the stream has held at
// once. They are not the read side: requests are read into the worker's scratch buffer, and
// what a client keeps of a cut request shows in qbuf and qbuf-free.
ClientActivity ClientSession::activity() const {
  ClientActivity activity;
  activity.name = client_.name;
  activity.idle_s = (nowMs() - client_.last_active_ms) / 1000;
  activity.cmd = client_.last_command;
  activity.resp = client_.protocol == resp::Protocol::kResp3 ? 3 : 2;
  activity.tracking = dispatcher_.tracking();
  activity.bcast = dispatcher_.trackingBcast();
  dispatcher_.subscriptionCounts(activity.sub, activity.psub, activity.ssub);
  activity.blocked = client_.mode == SessionMode::kBlocked;
  activity.multi = dispatcher_.queuedInMulti();
  activity.multi_mem = dispatcher_.transactionMemory();
  size_t memory = activity.multi_mem + sizeof(ClientSession) + stringHeapBytes(client_.name) +
                  stringHeapBytes(client_.lib_name) + stringHeapBytes(client_.lib_ver) +
                  waiting_on_.capacity() * sizeof(backend::ServerConnection*);
  if (partial_) {
    activity.qbuf = partial_->bytes().size();
    activity.qbuf_free = partial_->capacity() - activity.qbuf;
    activity.argv_mem = partial_->decoder().argBytes();
    memory += sizeof(PartialRequest) + partial_->capacity() + partial_->decoder().heapBytes();
  }
  if (stream_) {
    activity.rbs = stream_->outputMemory();
    activity.rbp = stream_->peakPendingBytes();
    activity.obl = stream_->pendingBytes();
    activity.reading = !read_paused_ && lifecycle_ != Lifecycle::kDraining;
    activity.writing = activity.obl > 0;
    memory += sizeof(net::Stream) + activity.rbs;
  }
  PendingQueue::Footprint queued = queue_.footprint();
  activity.oll = queued.held_replies;
  activity.omem = activity.obl + held_reply_bytes_;
  if (output_limit_) memory += sizeof(OutputLimit);
  activity.tot_mem = memory + queued.bytes;
  return activity;
}

ClientRegistry& ClientSession::registry() { return shared_.registry; }

stats::SlowLog& ClientSession::slowlog() { return shared_.slowlog(pool_.index); }

const config::Process& ClientSession::process() const { return shared_.config.process; }

uint32_t ClientSession::poolIndex() const { return pool_.index; }

bool ClientSession::servedHere(const KillSink* owner) const { return owner == &pool_.worker; }

void ClientSession::forEachLocalClient(const ClientVisit& visit) {
  pool_.worker.forEachSession([&](const ClientSession& session) {
    if (session.pool_.index == pool_.index) visit(session.id(), session.activity());
  });
}

void ClientSession::info(Request& request, uint32_t sections) {
  if (!infoNeedsServers(sections)) {
    std::string out;
    appendInfo(pool_, sections, client_.protocol, out);
    return reply(request, std::move(out));
  }
  dispatcher_.sendParts(request, pool_.every_server,
                        makeInfoMerger(pool_, sections, client_.protocol), kServerInfoRequest);
}

void ClientSession::hello(Request& request) {
  dispatcher_.sendParts(request, pool_.every_server,
                        makeHelloMerger(pool_, client_.id, client_.protocol),
                        kServerVersionRequest);
}

std::string_view ClientSession::serversVersion() const { return pool_.servers_version; }

}  // namespace shardis::proxy
