// The replies of the pub/sub commands that servers answer, made what one Redis would answer
// for this process's clients (pubsub_registry.h says how counts are corrected):
//   PUBLISH, SPUBLISH            the channel's server's receivers, corrected
//   PUBSUB NUMSUB, SHARDNUMSUB   each channel's count from its server, corrected
//   PUBSUB CHANNELS, SHARDCHANNELS   every server's channels, each once
//   PUBSUB NUMPAT                the largest server's count (every pattern is on every server)
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/merger.h"
#include "proxy/publish_fence.h"
#include "proxy/pubsub_registry.h"

namespace shardis::proxy {

// PUBLISH (kChannel) or SPUBLISH (kShard) on `channel`, sent to `server` alone; the merger
// holds `pass` and `ticket` until it is freed (publish_fence.h, PubSubRegistry::publishing();
// both empty inside a transaction, whose ExecRun holds them).
std::unique_ptr<Merger> makePublishMerger(const ServerNames& servers, uint32_t server,
                                          PubSubRegistry& registry, SubKind kind,
                                          std::string_view channel, PublishFence::Pass pass,
                                          PubSubRegistry::PublishTicket ticket);
// NUMSUB (kChannel) or SHARDNUMSUB (kShard) sent to every server (part p = server p);
// `owners[i]` is the server of `channels[i]`.
std::unique_ptr<Merger> makeNumsubMerger(const ServerNames& servers,
                                         std::span<const uint32_t> every_server,
                                         PubSubRegistry& registry, SubKind kind,
                                         std::vector<std::string> channels,
                                         std::vector<uint32_t> owners);
// CHANNELS or SHARDCHANNELS sent to every server.
std::unique_ptr<Merger> makeChannelsMerger(const ServerNames& servers,
                                           std::span<const uint32_t> every_server);
// NUMPAT sent to every server.
std::unique_ptr<Merger> makeNumpatMerger(const ServerNames& servers,
                                         std::span<const uint32_t> every_server);

}  // namespace shardis::proxy
