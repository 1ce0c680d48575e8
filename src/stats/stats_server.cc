#include "stats/stats_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <unordered_map>

#include "config/address.h"
#include "config/config.h"
#include "net/async.h"
#include "net/listen_address.h"
#include "net/listener.h"
#include "net/loop.h"
#include "stats/http_session.h"
#include "stats/hub.h"
#include "stats/render.h"

namespace shardis::stats {

namespace {

constexpr int kBacklog = 128;
// The admin port is for a few scrapers. A scraper sends its request as soon as it connects,
// so a connection still short of its headers when others come is the first to go: past
// kMaxAwaitingHeaders of those, the oldest is closed for the new one, and past kMaxSessions
// connections in all, the oldest of any kind. Connections that never finish their headers,
// or never read their answers, so cannot lock a scraper out.
constexpr size_t kMaxAwaitingHeaders = 16;
constexpr size_t kMaxSessions = 64;

// The stats port never reads; its streams need an events object until closeAfterWrites().
class NoEvents final : public net::StreamEvents {
 public:
  uv_buf_t readBuffer(size_t /*suggested*/) override { return uv_buf_init(nullptr, 0); }
  void onRead(size_t /*nread*/) override {}
  void onStreamEnd(int /*status*/) override {}
};
NoEvents no_events;

uint16_t boundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

// "host:port" or "[v6]:port"; port 0 is allowed here (tests bind a free port).
bool parseAdminListen(const std::string& text, net::ListenAddress& out) {
  out.kind = net::ListenAddress::Kind::kTcp;
  out.text = text;
  return config::parseHostAndPort(text, out.host, out.port);
}

}  // namespace

class StatsServer::Impl final : public net::ListenerEvents, public HttpSessionOwner {
 public:
  Impl(StatsHub& hub, AdminActions actions) : hub_(hub), actions_(std::move(actions)) {
    handler_ = [this](int method, std::string_view path) { return route(method, path); };
  }

  bool open(const config::Process& process, std::string& error) {
    if (process.stats_port >= 0) {
      stats_address_.host = process.stats_addr;
      stats_address_.port = static_cast<uint16_t>(process.stats_port);
      stats_address_.text = process.stats_addr + ":" + std::to_string(process.stats_port);
      stats_listener_ = listen(stats_address_, stats_port_, error);
      if (!stats_listener_) return false;
    }
    if (!process.admin_listen.empty()) {
      if (!parseAdminListen(process.admin_listen, admin_address_)) {
        error = "admin: not a host:port: " + process.admin_listen;
        return false;
      }
      admin_listener_ = listen(admin_address_, admin_port_, error);
      if (!admin_listener_) return false;
    }
    wakeup_ = net::Wakeup::create(loop_, [this] { shutdown(); });
    return true;
  }

  void run() {
    thread_ = std::thread([this] { loop_.run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    wakeup_->send();
    thread_.join();
    static_cast<void>(wakeup_.release());  // closed on the loop by shutdown()
  }

  uint16_t stats_port_ = 0;
  uint16_t admin_port_ = 0;

 private:
  net::ListenerPtr listen(const net::ListenAddress& address, uint16_t& port, std::string& error) {
    int fd = net::openListenSocket(address, kBacklog, false, error);
    if (fd < 0) return nullptr;
    port = boundPort(fd);
    return net::Listener::open(loop_, address, fd, kBacklog, this, error);
  }

  void onConnection(net::Listener& listener) override {
    if (&listener == stats_listener_.get()) return serveStats(listener);
    auto session = std::make_unique<HttpSession>(loop_, *this, handler_);
    if (listener.accept(session->stream()) != 0) return;
    makeRoom();
    HttpSession* raw = session.get();
    sessions_.emplace(raw, Admitted{std::move(session), next_serial_++});
    raw->start();
  }

  // Closes the oldest session awaiting its headers past kMaxAwaitingHeaders, then the oldest
  // of all past kMaxSessions. Finished sessions are already on their way out (release()).
  void makeRoom() {
    size_t awaiting = 0;
    size_t open = 0;
    for (const auto& [raw, admitted] : sessions_) {
      awaiting += raw->awaitingHeaders() ? 1 : 0;
      open += raw->finished() ? 0 : 1;
    }
    if (awaiting >= kMaxAwaitingHeaders) {
      closeOldest([](const HttpSession& session) { return session.awaitingHeaders(); });
      --open;
    }
    if (open >= kMaxSessions) {
      closeOldest([](const HttpSession& session) { return !session.finished(); });
    }
  }

  template <typename Which>
  void closeOldest(Which which) {
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (!which(*it->first)) continue;
      if (oldest == sessions_.end() || it->second.serial < oldest->second.serial) oldest = it;
    }
    if (oldest == sessions_.end()) return;
    // Not finished, so no release() is pending for it: it can go now.
    oldest->first->close();
    sessions_.erase(oldest);
  }

  void serveStats(net::Listener& listener) {
    net::StreamPtr stream = net::Stream::create(loop_, net::Stream::Kind::kTcp, &no_events);
    if (listener.accept(*stream) != 0) return;
    stream->write(renderTwemproxyJson(hub_.snapshot()));
    stream->closeAfterWrites();
    static_cast<void>(stream.release());  // frees itself once written
  }

  void release(HttpSession* session) override {
    // Called from inside the session's own callbacks: free it after they return.
    loop_.defer([this, session] { sessions_.erase(session); });
  }

  HttpResponse route(int method, std::string_view path) {
    HttpResponse response;
    if (path == "/reload" && actions_.reload) {
      if (method == HTTP_POST) return actions_.reload();
      response.status = 405;
      response.allow = "POST";
      response.body = "only POST\n";
      return response;
    }
    if (method != HTTP_GET && method != HTTP_HEAD) {
      response.status = 405;
      response.body = "only GET and HEAD\n";
      return response;
    }
    if (path == "/metrics") {
      response.content_type = std::string(kPrometheusContentType);
      response.body = renderPrometheus(hub_.snapshot());
    } else if (path == "/stats") {
      response.content_type = "application/json";
      response.body = renderTwemproxyJson(hub_.snapshot());
    } else if (path == "/healthz") {
      response.content_type = "application/json";
      response.status = renderHealth(hub_.snapshot(), response.body) ? 200 : 503;
    } else {
      response.status = 404;
      response.body = "not found; try /metrics, /stats or /healthz\n";
    }
    return response;
  }

  void shutdown() {
    stats_listener_.reset();
    admin_listener_.reset();
    for (auto& [raw, admitted] : sessions_) admitted.session->close();
    sessions_.clear();
    wakeup_->close();
  }

  StatsHub& hub_;
  AdminActions actions_;
  HttpHandler handler_;
  net::Loop loop_;
  net::ListenAddress stats_address_;
  net::ListenAddress admin_address_;
  net::ListenerPtr stats_listener_;
  net::ListenerPtr admin_listener_;
  net::WakeupPtr wakeup_;
  struct Admitted {
    std::unique_ptr<HttpSession> session;
    uint64_t serial = 0;  // accept order: the smallest is the oldest
  };
  std::unordered_map<HttpSession*, Admitted> sessions_;
  uint64_t next_serial_ = 0;
  std::thread thread_;
};

std::unique_ptr<StatsServer> StatsServer::start(const config::Process& process, StatsHub& hub,
                                                std::string& error, AdminActions actions) {
  auto impl = std::make_unique<Impl>(hub, std::move(actions));
  if (!impl->open(process, error)) return nullptr;
  impl->run();
  return std::unique_ptr<StatsServer>(new StatsServer(std::move(impl)));
}

StatsServer::StatsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatsServer::~StatsServer() { stop(); }

uint16_t StatsServer::statsPort() const { return impl_->stats_port_; }
uint16_t StatsServer::adminPort() const { return impl_->admin_port_; }

void StatsServer::stop() { impl_->stop(); }

}  // namespace shardis::stats
