// Asking Redis Sentinel where a pool's masters are. SentinelConnection is one authenticated
// connection to one Sentinel (BlockingClient underneath, every step bounded by the pool's
// socket_timeout); discoverMasters() fills in the masters' addresses at start, before any
// worker exists; SentinelMonitor (sentinel_monitor.h) uses the same connection afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/blocking_client.h"
#include "config/config.h"

namespace shardis::app {

struct MasterAddress {
  std::string host;
  uint16_t port = 0;
  bool operator==(const MasterAddress&) const = default;
  // "host:port", "[v6]:port" for an IPv6 literal.
  [[nodiscard]] std::string text() const;
};

enum class AskStatus : uint8_t {
  kFound,          // the Sentinel gave the master's address
  kUnknownMaster,  // the Sentinel answered nil: it does not monitor that name
  kFailed,         // no usable answer (connection, timeout, error reply); the link is closed
};

// Reads a get-master-addr-by-name reply: [ip, port], or nil for a name the Sentinel does
// not monitor; `said` tells what else it was.
[[nodiscard]] AskStatus parseMasterReply(std::string_view reply, MasterAddress& address,
                                         std::string& said);

// Reads a +switch-master message: "<master name> <old ip> <old port> <new ip> <new port>".
[[nodiscard]] bool parseSwitchMaster(std::string_view payload, std::string_view& name,
                                     MasterAddress& to);

// Reads a SENTINEL REPLICAS reply (one flat field/value array per replica, Redis 7) into
// the replicas fit to serve reads: `flags` without s_down, o_down or disconnected, and
// `master-link-status` ok. Sorted by address, so that two answers with the same replicas
// compare equal. kUnknownMaster for Sentinel's "No such master" error.
[[nodiscard]] AskStatus parseReplicasReply(std::string_view reply,
                                           std::vector<config::Server::Replica>& healthy,
                                           std::string& said);

// "replicas A, B" or "no replica", for logs.
[[nodiscard]] std::string replicasText(const std::vector<config::Server::Replica>& replicas);

// Reads a +sdown, -sdown or +slave payload about a replica ("slave <ip:port> <ip> <port> @
// <master name> <master ip> <master port>"): the master's name, or false for a message
// about anything else (a master, a sentinel).
[[nodiscard]] bool parseReplicaEvent(std::string_view payload, std::string_view& master_name);

class SentinelConnection {
 public:
  // `wake_fd`: see BlockingClient::setWakeFd; -1 for none.
  SentinelConnection(const config::Sentinel& sentinel, const config::SentinelHost& host,
                     int wake_fd = -1);

  // Connects and, when the pool has a sentinel password, authenticates.
  [[nodiscard]] bool open(std::string& error);
  // SENTINEL get-master-addr-by-name; `said` tells what went wrong when not kFound.
  [[nodiscard]] AskStatus askMaster(std::string_view master_name, MasterAddress& address,
                                    std::string& said);
  // SENTINEL REPLICAS (SENTINEL SLAVES for a Sentinel older than 5.0, which refuses the new
  // name): the master's healthy replicas, as parseReplicasReply() reads them.
  [[nodiscard]] AskStatus askReplicas(std::string_view master_name,
                                      std::vector<config::Server::Replica>& healthy,
                                      std::string& said);
  [[nodiscard]] BlockingClient& client() { return client_; }
  // "host:port" of the Sentinel, for logs.
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  const config::Sentinel& sentinel_;
  config::SentinelHost host_;
  std::string name_;
  BlockingClient client_;
  std::string_view replicas_command_ = "REPLICAS";
};

// Asks the Sentinels in order for one master, first answer wins, logging nothing: for the
// one-shot tools. False with what each Sentinel said.
[[nodiscard]] bool findMaster(const config::Sentinel& sentinel, std::string_view master_name,
                              MasterAddress& address, std::string& said);

// Asks each sentinel pool's Sentinels, in order, for every server's master (first answer
// wins) and fills in the server's host, port and address_text, then asks the Sentinel that
// answered for its healthy replicas (Server::replicas). False, after logging which pool and
// master and what each Sentinel said, when a master has no address; a master whose replicas
// that Sentinel could not list starts with none (SentinelMonitor asks again).
[[nodiscard]] bool discoverMasters(config::Config& config);

}  // namespace shardis::app
