#include "app/sentinel_client.h"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include "resp/reply_decoder.h"

namespace shardis::app {

namespace {

std::string hostPortText(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// What an error reply says, without the RESP framing, for messages.
std::string errorText(std::string_view reply) {
  const size_t end = reply.find("\r\n");
  return std::string(reply.substr(1, end == std::string_view::npos ? end : end - 1));
}

bool parsePort(std::string_view text, uint16_t& port) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || number == 0 || number > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(number);
  return true;
}

}  // namespace

std::string MasterAddress::text() const { return hostPortText(host, port); }

AskStatus parseMasterReply(std::string_view reply, MasterAddress& address, std::string& said) {
  resp::ReplyDecoder decoder(resp::serverReplyLimits());
  if (decoder.decode(reply) != resp::Status::kFrame) {
    said = "a reply that is not RESP";
    return AskStatus::kFailed;
  }
  const resp::Reply& parsed = decoder.reply();
  if (resp::isError(parsed)) {
    said = errorText(reply);
    return AskStatus::kFailed;
  }
  if (parsed.type == resp::ReplyType::kNull || parsed.count < 0) {
    said = "unknown master (nil)";
    return AskStatus::kUnknownMaster;
  }
  std::vector<std::string_view> elements;
  std::optional<std::string_view> host;
  std::optional<std::string_view> port;
  if (resp::arrayElements(reply, elements) && elements.size() == 2) {
    host = resp::stringValue(elements[0]);
    port = resp::stringValue(elements[1]);
  }
  if (!host || host->empty() || !port || !parsePort(*port, address.port)) {
    said = "an answer that is not [ip, port]: " + std::string(reply.substr(0, 80));
    return AskStatus::kFailed;
  }
  address.host = std::string(*host);
  return AskStatus::kFound;
}

bool parseSwitchMaster(std::string_view payload, std::string_view& name, MasterAddress& to) {
  std::array<std::string_view, 5> fields;
  for (auto& field : fields) {
    const size_t space = payload.find(' ');
    field = payload.substr(0, space);
    payload = space == std::string_view::npos ? std::string_view() : payload.substr(space + 1);
  }
  // Nothing may follow the new port.
  if (fields[0].empty() || fields[3].empty() || !payload.empty() ||
      !parsePort(fields[4], to.port)) {
    return false;
  }
  name = fields[0];
  to.host = std::string(fields[3]);
  return true;
}

SentinelConnection::SentinelConnection(const config::Sentinel& sentinel,
                                       const config::SentinelHost& host, int wake_fd)
    : sentinel_(sentinel),
      host_(host),
      name_(hostPortText(host.host, host.port)),
      client_(static_cast<int>(sentinel.timeout_ms)) {
  client_.setWakeFd(wake_fd);
}

bool SentinelConnection::open(std::string& error) {
  if (!client_.connect(host_.host, host_.port, error)) {
    return false;
  }
  if (!sentinel_.password) {
    return true;
  }
  std::vector<std::string_view> argv = {"AUTH"};
  if (sentinel_.username) argv.emplace_back(*sentinel_.username);
  argv.emplace_back(*sentinel_.password);
  std::string_view reply;
  if (!client_.call(argv, reply, error)) {
    return false;
  }
  if (!reply.starts_with("+OK")) {
    error = "AUTH failed: " + errorText(reply);
    client_.close();
    return false;
  }
  return true;
}

AskStatus SentinelConnection::askMaster(std::string_view master_name, MasterAddress& address,
                                        std::string& said) {
  const std::array<std::string_view, 3> argv = {"SENTINEL", "get-master-addr-by-name", master_name};
  std::string_view reply;
  if (!client_.connected() && !open(said)) {
    return AskStatus::kFailed;
  }
  if (!client_.call(argv, reply, said)) {
    return AskStatus::kFailed;
  }
  const AskStatus status = parseMasterReply(reply, address, said);
  if (status == AskStatus::kFailed) {
    client_.close();
  }
  return status;
}

bool findMaster(const config::Sentinel& sentinel, std::string_view master_name,
                MasterAddress& address, std::string& said) {
  said.clear();
  for (const config::SentinelHost& host : sentinel.hosts) {
    SentinelConnection link(sentinel, host);
    std::string error;
    if (link.askMaster(master_name, address, error) == AskStatus::kFound) {
      return true;
    }
    said += (said.empty() ? "" : "; ") + link.name() + ": " + error;
  }
  said = "no sentinel gave the address of master '" + std::string(master_name) + "' (" + said + ")";
  return false;
}

namespace {

// One pool's Sentinels during discovery: each opened once; one that failed is not asked
// again, so a dead Sentinel costs one socket_timeout, not one per master.
struct DiscoveryLinks {
  std::vector<std::unique_ptr<SentinelConnection>> links;
  std::vector<std::string> failures;  // non-empty: why that Sentinel is skipped

  explicit DiscoveryLinks(const config::Sentinel& sentinel) : failures(sentinel.hosts.size()) {
    for (const config::SentinelHost& host : sentinel.hosts) {
      links.push_back(std::make_unique<SentinelConnection>(sentinel, host));
    }
  }
};

bool discoverServer(const config::Pool& pool, DiscoveryLinks& links, config::Server& server) {
  std::string said_by_all;
  for (size_t i = 0; i < links.links.size(); ++i) {
    SentinelConnection& link = *links.links[i];
    std::string said = links.failures[i];
    MasterAddress address;
    if (said.empty()) {
      const AskStatus status = link.askMaster(server.master_name, address, said);
      if (status == AskStatus::kFound) {
        server.host = address.host;
        server.port = address.port;
        server.address_text = address.text();
        spdlog::info("pool '{}': master '{}' is at {} (sentinel {})", pool.name, server.master_name,
                     server.address_text, link.name());
        return true;
      }
      if (status == AskStatus::kFailed) links.failures[i] = said;
    }
    said_by_all += (said_by_all.empty() ? "" : "; ") + link.name() + ": " + said;
  }
  spdlog::critical("pool '{}': no sentinel gave the address of master '{}' ({}); not starting",
                   pool.name, server.master_name, said_by_all);
  return false;
}

}  // namespace

bool discoverMasters(config::Config& config) {
  for (config::Pool& pool : config.pools) {
    if (!pool.sentinel) continue;
    DiscoveryLinks links(*pool.sentinel);
    for (config::Server& server : pool.servers) {
      if (!discoverServer(pool, links, server)) return false;
    }
  }
  return true;
}

}  // namespace shardis::app
