#include "app/sentinel_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <tuple>
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

namespace {

// Whether one replica's fields (name, value, name, value ...) say it can serve reads; its
// address in `replica`.
bool healthyReplica(const std::vector<std::string_view>& fields, config::Server::Replica& replica) {
  bool link_ok = false;
  bool down = false;
  std::optional<std::string_view> ip;
  uint16_t port = 0;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto name = resp::stringValue(fields[i]);
    const auto value = resp::stringValue(fields[i + 1]);
    if (!name || !value) continue;
    if (*name == "ip") {
      ip = value;
    } else if (*name == "port") {
      if (!parsePort(*value, port)) return false;
    } else if (*name == "master-link-status") {
      link_ok = *value == "ok";
    } else if (*name == "flags") {
      for (std::string_view rest = *value; !rest.empty();) {
        const size_t comma = rest.find(',');
        const std::string_view flag = rest.substr(0, comma);
        down = down || flag == "s_down" || flag == "o_down" || flag == "disconnected";
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  if (!ip || ip->empty() || port == 0 || down || !link_ok) return false;
  replica.host = std::string(*ip);
  replica.port = port;
  replica.address_text = hostPortText(replica.host, port);
  return true;
}

}  // namespace

AskStatus parseReplicasReply(std::string_view reply, std::vector<config::Server::Replica>& healthy,
                             std::string& said) {
  resp::ReplyDecoder decoder(resp::serverReplyLimits());
  if (decoder.decode(reply) != resp::Status::kFrame) {
    said = "a reply that is not RESP";
    return AskStatus::kFailed;
  }
  if (resp::isError(decoder.reply())) {
    said = errorText(reply);
    return said.find("No such master") != std::string::npos ? AskStatus::kUnknownMaster
                                                            : AskStatus::kFailed;
  }
  std::vector<std::string_view> replicas;
  if (!resp::arrayElements(reply, replicas)) {
    said = "an answer that is not a list of replicas: " + std::string(reply.substr(0, 80));
    return AskStatus::kFailed;
  }
  healthy.clear();
  std::vector<std::string_view> fields;
  for (std::string_view each : replicas) {
    config::Server::Replica replica;
    if (resp::arrayElements(each, fields) && healthyReplica(fields, replica)) {
      healthy.push_back(std::move(replica));
    }
  }
  std::sort(healthy.begin(), healthy.end(), [](const auto& a, const auto& b) {
    return std::tie(a.host, a.port) < std::tie(b.host, b.port);
  });
  return AskStatus::kFound;
}

std::string replicasText(const std::vector<config::Server::Replica>& replicas) {
  if (replicas.empty()) return "no replica";
  std::string text = "replicas ";
  for (const config::Server::Replica& replica : replicas) {
    if (&replica != &replicas.front()) text += ", ";
    text += replica.address_text;
  }
  return text;
}

bool parseReplicaEvent(std::string_view payload, std::string_view& master_name) {
  if (!payload.starts_with("slave ")) return false;
  const size_t at = payload.find(" @ ");
  if (at == std::string_view::npos) return false;
  const std::string_view master = payload.substr(at + 3);
  master_name = master.substr(0, master.find(' '));
  return !master_name.empty();
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

AskStatus SentinelConnection::askReplicas(std::string_view master_name,
                                          std::vector<config::Server::Replica>& healthy,
                                          std::string& said) {
  if (!client_.connected() && !open(said)) {
    return AskStatus::kFailed;
  }
  for (;;) {
    const std::array<std::string_view, 3> argv = {"SENTINEL", replicas_command_, master_name};
    std::string_view reply;
    if (!client_.call(argv, reply, said)) {
      return AskStatus::kFailed;
    }
    const AskStatus status = parseReplicasReply(reply, healthy, said);
    // A Sentinel before 5.0 knows the command by its old name only.
    if (status == AskStatus::kFailed && reply.starts_with("-") && replicas_command_ != "SLAVES") {
      replicas_command_ = "SLAVES";
      continue;
    }
    if (status == AskStatus::kFailed) {
      client_.close();
    }
    return status;
  }
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

// The replicas of a master just found, from the Sentinel that found it. Reads can wait for
// them: without an answer the server starts with none and SentinelMonitor asks again.
void discoverReplicas(const config::Pool& pool, SentinelConnection& link, config::Server& server) {
  std::string said;
  std::vector<config::Server::Replica> replicas;
  if (link.askReplicas(server.master_name, replicas, said) != AskStatus::kFound) {
    spdlog::warn(
        "pool '{}': sentinel {} did not list the replicas of master '{}' ({}); it starts "
        "with none",
        pool.name, link.name(), server.master_name, said);
    server.replicas.clear();
    return;
  }
  server.replicas = std::move(replicas);
  spdlog::info("pool '{}': master '{}' has {}", pool.name, server.master_name,
               replicasText(server.replicas));
}

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
        discoverReplicas(pool, link, server);
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
