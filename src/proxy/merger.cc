#include "proxy/merger.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <new>
#include <random>

#include <spdlog/spdlog.h>

#include "proxy/fanout.h"
#include "proxy/function_merger.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

std::string_view errorText(std::string_view raw) {
  // "-WRONGTYPE ...\r\n" (or RESP3 "!<len>\r\n...\r\n") without its framing.
  if (raw.starts_with('!')) {
    size_t line = raw.find("\r\n");
    raw.remove_prefix(line == std::string_view::npos ? raw.size() : line + 2);
  } else {
    raw.remove_prefix(1);
  }
  if (raw.ends_with("\r\n")) raw.remove_suffix(2);
  return raw;
}

// The elements of an array reply, without its header.
std::string_view arrayBody(std::string_view raw) {
  size_t line = raw.find("\r\n");
  return line == std::string_view::npos ? std::string_view{} : raw.substr(line + 2);
}

// The parts' integers folded into one, from `start`: summed (DEL, EXISTS ...) or the
// smallest kept (WAIT, LASTSAVE).
class IntegerMerger final : public PartMerger {
 public:
  using Fold = int64_t (*)(int64_t, int64_t);
  IntegerMerger(const ServerNames& servers, std::span<const uint32_t> part_servers, int64_t start,
                Fold fold)
      : PartMerger(servers, part_servers), value_(start), fold_(fold) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    std::optional<int64_t> value = resp::integerValue(reply.raw);
    if (!value) return unexpected(part);
    value_ = fold_(value_, *value);
  }
  void build(std::string& reply) override { resp::appendInteger(reply, value_); }
  int64_t value_;
  Fold fold_;
};

int64_t sum(int64_t a, int64_t b) { return a + b; }
int64_t smaller(int64_t a, int64_t b) { return std::min(a, b); }

class AllOkMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (reply.raw != "+OK\r\n") unexpected(part);
  }
  void build(std::string& reply) override { resp::appendStatus(reply, "OK"); }
};

// Each part's elements are kept as that part's reply body (its bytes after the array header),
// copied once as it arrives, and each key as an (offset, length) into its part's body: the
// merge holds what the servers sent and no more, whatever the sizes of the other replies, and
// allocates per part, never per key. The client's reply is sized from the sum of the elements.
class MgetMerger final : public PartMerger {
 public:
  MgetMerger(const ServerNames& servers, std::span<const uint32_t> part_servers,
             std::span<const uint32_t> key_parts)
      : PartMerger(servers, part_servers), bodies_(part_servers.size()) {
    keys_.reserve(key_parts.size());
    for (uint32_t part : key_parts) keys_.push_back(KeySlot{part, 0, 0});
  }

 private:
  struct KeySlot {
    uint32_t part;    // the part whose reply holds this key's element
    uint32_t length;  // the element's bytes (a bulk is at most 512 MB)
    size_t offset;    // where they start in the part's body
  };
  void merge(uint32_t part, const resp::Reply& reply) override {
    // Parsed views are needed only during this call: one vector per thread serves them all.
    thread_local std::vector<std::string_view> elements;
    if (!resp::arrayElements(reply.raw, elements)) return unexpected(part);
    std::string_view body = arrayBody(reply.raw);
    size_t next = 0;
    for (KeySlot& key : keys_) {
      if (key.part != part) continue;
      if (next == elements.size()) return unexpected(part);
      std::string_view element = elements[next++];
      key.offset = static_cast<size_t>(element.data() - body.data());
      key.length = static_cast<uint32_t>(element.size());
    }
    if (next != elements.size()) return unexpected(part);
    bodies_[part].assign(body);
    elements_bytes_ += body.size();
  }
  void build(std::string& reply) override {
    reply.reserve(elements_bytes_ + 24);  // "*<count>\r\n" and the elements
    resp::appendArrayHeader(reply, keys_.size());
    for (const KeySlot& key : keys_) reply.append(bodies_[key.part], key.offset, key.length);
    release();
  }
  void release() override { std::vector<std::string>().swap(bodies_); }
  std::vector<KeySlot> keys_;
  std::vector<std::string> bodies_;  // per part
  size_t elements_bytes_ = 0;
};

class ConcatMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (reply.type != resp::ReplyType::kArray || reply.count < 0) return unexpected(part);
    count_ += static_cast<size_t>(reply.count);
    body_.append(arrayBody(reply.raw));
  }
  void build(std::string& reply) override {
    reply.reserve(body_.size() + 24);
    resp::appendArrayHeader(reply, count_);
    reply.append(body_);
    release();
  }
  void release() override { std::string().swap(body_); }
  size_t count_ = 0;
  std::string body_;
};

class RandomKeyMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    bool null = reply.type == resp::ReplyType::kNull ||
                (reply.type == resp::ReplyType::kBulk && reply.count < 0);
    if (!null && reply.type != resp::ReplyType::kBulk) return unexpected(part);
    // An empty database's null is answered in the protocol the servers spoke.
    (null ? null_ : keys_.emplace_back()) = reply.raw;
  }
  void build(std::string& reply) override {
    if (keys_.empty()) {
      reply = null_;
      return;
    }
    thread_local std::minstd_rand random{std::random_device{}()};
    reply = keys_[random() % keys_.size()];
  }
  std::vector<std::string> keys_;
  std::string null_;
};

class SameStringMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!seen_) {
      first_ = reply.raw;
      seen_ = true;
    } else if (reply.raw != first_) {
      unexpected(part);
    }
  }
  void build(std::string& reply) override { reply = std::move(first_); }
  std::string first_;
  bool seen_ = false;
};

class AllOnesMerger final : public PartMerger {
 public:
  using PartMerger::PartMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!resp::arrayElements(reply.raw, elements_)) return unexpected(part);
    if (flags_.empty()) flags_.assign(elements_.size(), true);
    if (flags_.size() != elements_.size()) return unexpected(part);
    for (size_t i = 0; i < elements_.size(); ++i) {
      if (elements_[i] != ":1\r\n") flags_[i] = false;
    }
  }
  void build(std::string& reply) override {
    resp::appendArrayHeader(reply, flags_.size());
    for (bool flag : flags_) resp::appendInteger(reply, flag ? 1 : 0);
  }
  std::vector<std::string_view> elements_;
  std::vector<bool> flags_;
};

class ScanMerger final : public PartMerger {
 public:
  ScanMerger(const ServerNames& servers, uint32_t server, const ScanCursor& at, size_t server_count)
      : PartMerger(servers, std::span<const uint32_t>(&server, 1)),
        at_(at),
        server_count_(server_count) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!resp::arrayElements(reply.raw, elements_) || elements_.size() != 2) {
      return unexpected(part);
    }
    std::optional<std::string_view> text = resp::stringValue(elements_[0]);
    uint64_t cursor = 0;
    if (!text) return unexpected(part);
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), cursor);
    if (ec != std::errc() || end != text->data() + text->size() ||
        cursor > ScanCursor::kMaxServerCursor) {
      return unexpected(part);
    }
    // This server is done: the client continues with the next one from its start.
    ScanCursor next{at_.server, cursor, at_.epoch};
    if (cursor == 0) next = ScanCursor{at_.server + 1, 0, at_.epoch};
    if (next.server >= server_count_) next = ScanCursor{};
    resp::appendArrayHeader(result_, 2);
    resp::appendBulk(result_, std::to_string(next.encode()));
    result_.append(elements_[1]);
  }
  void build(std::string& reply) override { reply = std::move(result_); }
  ScanCursor at_;  // the cursor asked for: the server's position, the list's epoch
  size_t server_count_;
  std::vector<std::string_view> elements_;
  std::string result_;
};

// SCRIPT KILL, FUNCTION KILL: at most one script runs per server, and the client cannot
// know on which. OK when one was killed; Redis's own NOTBUSY when none was running anywhere;
// any other answer (UNKILLABLE: it has written, a server down) is the reply, since something
// may still be busy.
class KillMerger final : public Merger {
 public:
  KillMerger(const ServerNames& servers, std::span<const uint32_t> part_servers)
      : servers_(servers), part_servers_(part_servers.begin(), part_servers.end()) {}

  void onPartReply(uint32_t part, const resp::Reply& reply) override {
    if (reply.raw == "+OK\r\n") {
      killed_ = true;
    } else if (resp::isError(reply) && errorText(reply.raw).starts_with("NOTBUSY")) {
      if (not_busy_.empty()) not_busy_ = reply.raw;
    } else if (error_.empty()) {
      const std::string& name = servers_.serverName(part_servers_[part]);
      error_ = resp::isError(reply) ? serverError(name, reply.raw)
                                    : "ERR server " + name + ": unexpected reply";
    }
  }
  void onPartFailure(uint32_t /*part*/, std::string_view message) override {
    if (error_.empty()) error_ = message;
  }
  void finish(std::string& reply) override {
    reply.clear();
    if (!error_.empty()) return resp::appendError(reply, error_);
    if (killed_) return resp::appendStatus(reply, "OK");
    reply = not_busy_;
  }

 private:
  const ServerNames& servers_;
  std::vector<uint32_t> part_servers_;
  bool killed_ = false;
  std::string not_busy_;  // the first NOTBUSY, as the server worded it
  std::string error_;
};

}  // namespace

// Client libraries act on the error's first word (BUSY, LOADING, READONLY, NOSCRIPT ...), so
// it stays first; the server that said it comes right after.
std::string serverError(std::string_view server_name, std::string_view raw) {
  std::string_view text = errorText(raw);
  size_t space = text.find(' ');
  std::string error(text.substr(0, space));
  error.append(" server ").append(server_name).append(": ");
  if (space != std::string_view::npos) error.append(text.substr(space + 1));
  return error;
}

void PartMerger::onPartReply(uint32_t part, const resp::Reply& reply) {
  if (!error_.empty()) return;
  if (resp::isError(reply)) {
    error_ = serverError(servers_.serverName(serverOf(part)), reply.raw);
    return;
  }
  // A merge holds copies of the parts' replies, as large as the servers make them: one that
  // cannot be allocated fails this request only (see outOfMemory()).
  try {
    merge(part, reply);
  } catch (const std::bad_alloc&) {
    outOfMemory();
  }
}

void PartMerger::onPartFailure(uint32_t /*part*/, std::string_view message) {
  // The connection's message already names the server ("ERR server s2: Connection refused").
  if (error_.empty()) error_ = message;
}

void PartMerger::unexpected(uint32_t part) {
  if (error_.empty()) {
    error_ = "ERR server " + servers_.serverName(serverOf(part)) + ": unexpected reply";
  }
}

void PartMerger::outOfMemory() {
  spdlog::warn(
      "out of memory merging the replies of a command split over servers: the client "
      "gets an error");
  release();
  error_ = kOutOfMemoryError;
}

void PartMerger::finish(std::string& reply) {
  reply.clear();
  if (error_.empty()) {
    try {
      return build(reply);
    } catch (const std::bad_alloc&) {
      std::string().swap(reply);
      outOfMemory();
    }
  }
  resp::appendError(reply, error_);
}

std::unique_ptr<Merger> makeMerger(MergeKind kind, const ServerNames& servers,
                                   std::span<const uint32_t> part_servers,
                                   std::span<const uint32_t> key_parts) {
  switch (kind) {
    case MergeKind::kSum:
      return std::make_unique<IntegerMerger>(servers, part_servers, 0, sum);
    case MergeKind::kAllOk:
      return std::make_unique<AllOkMerger>(servers, part_servers);
    case MergeKind::kMget:
      return std::make_unique<MgetMerger>(servers, part_servers, key_parts);
    case MergeKind::kConcat:
      return std::make_unique<ConcatMerger>(servers, part_servers);
    case MergeKind::kRandomKey:
      return std::make_unique<RandomKeyMerger>(servers, part_servers);
    case MergeKind::kSameString:
      return std::make_unique<SameStringMerger>(servers, part_servers);
    case MergeKind::kAllOnes:
      return std::make_unique<AllOnesMerger>(servers, part_servers);
    case MergeKind::kMin:
      return std::make_unique<IntegerMerger>(servers, part_servers,
                                             std::numeric_limits<int64_t>::max(), smaller);
    case MergeKind::kKill:
      return std::make_unique<KillMerger>(servers, part_servers);
    case MergeKind::kFunctionOk:
      return makeFunctionOkMerger(servers, part_servers);
    case MergeKind::kFunctionList:
      return makeFunctionListMerger(servers, part_servers);
    case MergeKind::kFunctionDump:
      return makeFunctionDumpMerger(servers, part_servers);
    case MergeKind::kFunctionStats:
      return makeFunctionStatsMerger(servers, part_servers);
  }
  return nullptr;
}

std::unique_ptr<Merger> makeScanMerger(const ServerNames& servers, uint32_t server,
                                       const ScanCursor& at, size_t server_count) {
  return std::make_unique<ScanMerger>(servers, server, at, server_count);
}

}  // namespace shardis::proxy
