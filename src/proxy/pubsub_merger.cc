#include "proxy/pubsub_merger.h"

#include <algorithm>
#include <optional>
#include <unordered_set>
#include <utility>

#include "resp/encoder.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {

class PublishMerger final : public PartMerger {
 public:
  PublishMerger(const ServerNames& servers, std::span<const uint32_t> part_servers,
                PubSubRegistry& registry, SubKind kind, std::string_view channel,
                PublishFence::Pass pass, PubSubRegistry::PublishTicket ticket)
      : PartMerger(servers, part_servers),
        registry_(registry),
        kind_(kind),
        channel_(channel),
        pass_(std::move(pass)),
        ticket_(std::move(ticket)) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    std::optional<int64_t> value = resp::integerValue(reply.raw);
    if (!value) return unexpected(part);
    receivers_ = *value;
  }
  void build(std::string& reply) override {
    if (kind_ == SubKind::kChannel) {
      return resp::appendInteger(reply, registry_.publishReceivers(channel_, receivers_));
    }
    // Never below zero, whatever a subscription changing meanwhile did to the figures.
    resp::appendInteger(reply,
                        std::max<int64_t>(0, receivers_ + registry_.correction(kind_, channel_)));
  }

  PubSubRegistry& registry_;
  SubKind kind_;
  std::string channel_;
  int64_t receivers_ = 0;
  PublishFence::Pass pass_;
  PubSubRegistry::PublishTicket ticket_;
};

// [channel, count, channel, count ...] from each server; each channel's count is taken from
// its own server.
class NumsubMerger final : public PartMerger {
 public:
  NumsubMerger(const ServerNames& servers, std::span<const uint32_t> part_servers,
               PubSubRegistry& registry, SubKind kind, std::vector<std::string> channels,
               std::vector<uint32_t> owners)
      : PartMerger(servers, part_servers),
        registry_(registry),
        kind_(kind),
        channels_(std::move(channels)),
        owners_(std::move(owners)),
        counts_(channels_.size(), 0) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!resp::arrayElements(reply.raw, elements_) || elements_.size() != 2 * channels_.size()) {
      return unexpected(part);
    }
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (owners_[i] != serverOf(part)) continue;
      std::optional<int64_t> value = resp::integerValue(elements_[2 * i + 1]);
      if (!value) return unexpected(part);
      counts_[i] = *value;
    }
  }
  void build(std::string& reply) override {
    resp::appendArrayHeader(reply, 2 * channels_.size());
    for (size_t i = 0; i < channels_.size(); ++i) {
      resp::appendBulk(reply, channels_[i]);
      int64_t corrected = counts_[i] + registry_.correction(kind_, channels_[i]);
      resp::appendInteger(reply, std::max<int64_t>(0, corrected));
    }
  }

  PubSubRegistry& registry_;
  SubKind kind_;
  std::vector<std::string> channels_;
  std::vector<uint32_t> owners_;
  std::vector<int64_t> counts_;
  std::vector<std::string_view> elements_;
};

class ChannelsMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!resp::arrayElements(reply.raw, elements_)) return unexpected(part);
    for (std::string_view element : elements_) {
      std::optional<std::string_view> name = resp::stringValue(element);
      if (!name) return unexpected(part);
      if (seen_.emplace(*name).second) order_.emplace_back(*name);
    }
  }
  void build(std::string& reply) override {
    resp::appendArrayHeader(reply, order_.size());
    for (const std::string& name : order_) resp::appendBulk(reply, name);
  }
  void release() override {
    seen_ = {};
    order_ = {};
  }

  std::unordered_set<std::string> seen_;
  std::vector<std::string> order_;
  std::vector<std::string_view> elements_;
};

class NumpatMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    std::optional<int64_t> value = resp::integerValue(reply.raw);
    if (!value) return unexpected(part);
    largest_ = std::max(largest_, *value);
  }
  void build(std::string& reply) override { resp::appendInteger(reply, largest_); }

  int64_t largest_ = 0;
};

}  // namespace

std::unique_ptr<Merger> makePublishMerger(const ServerNames& servers, uint32_t server,
                                          PubSubRegistry& registry, SubKind kind,
                                          std::string_view channel, PublishFence::Pass pass,
                                          PubSubRegistry::PublishTicket ticket) {
  return std::make_unique<PublishMerger>(servers, std::span<const uint32_t>(&server, 1), registry,
                                         kind, channel, std::move(pass), std::move(ticket));
}

std::unique_ptr<Merger> makeNumsubMerger(const ServerNames& servers,
                                         std::span<const uint32_t> every_server,
                                         PubSubRegistry& registry, SubKind kind,
                                         std::vector<std::string> channels,
                                         std::vector<uint32_t> owners) {
  return std::make_unique<NumsubMerger>(servers, every_server, registry, kind, std::move(channels),
                                        std::move(owners));
}

std::unique_ptr<Merger> makeChannelsMerger(const ServerNames& servers,
                                           std::span<const uint32_t> every_server) {
  return std::make_unique<ChannelsMerger>(servers, every_server);
}

std::unique_ptr<Merger> makeNumpatMerger(const ServerNames& servers,
                                         std::span<const uint32_t> every_server) {
  return std::make_unique<NumpatMerger>(servers, every_server);
}

}  // namespace shardis::proxy
