#include "proxy/function_merger.h"

#include <algorithm>
#include <new>

#include <spdlog/spdlog.h>

#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// "-ERR ...\r\n" (or RESP3 "!<len>\r\n...\r\n") without its framing.
std::string_view errorBody(std::string_view raw) {
  if (raw.starts_with('!')) {
    size_t line = raw.find("\r\n");
    raw.remove_prefix(line == std::string_view::npos ? raw.size() : line + 2);
  } else if (!raw.empty()) {
    raw.remove_prefix(1);
  }
  if (raw.ends_with("\r\n")) raw.remove_suffix(2);
  return raw;
}

// Appends `text` with its length first, so that concatenated pieces cannot run into another.
void appendPiece(std::string& out, std::string_view text) {
  out.append(std::to_string(text.size())).append(":").append(text);
}

// A library of FUNCTION LIST: its fields in the server's order, the functions sorted.
bool canonicalLibrary(std::string_view library, std::string& out) {
  std::vector<std::string_view> fields;
  std::vector<std::string_view> functions;
  if (!resp::arrayElements(library, fields) || fields.size() % 2 != 0) return false;
  for (size_t i = 0; i < fields.size(); i += 2) {
    appendPiece(out, fields[i]);
    if (resp::stringValue(fields[i]) != "functions") {
      appendPiece(out, fields[i + 1]);
      continue;
    }
    if (!resp::arrayElements(fields[i + 1], functions)) return false;
    std::sort(functions.begin(), functions.end());
    out.append(std::to_string(functions.size())).append("[");
    for (std::string_view function : functions) appendPiece(out, function);
    out.append("]");
  }
  return true;
}

// Reads big-endian bytes of an RDB length.
bool readBigEndian(std::string_view& in, size_t bytes, uint64_t& value) {
  if (in.size() < bytes) return false;
  value = 0;
  for (size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(bytes);
  return true;
}

// An RDB length (rdbLoadLen): 6 or 14 bits in the first byte(s), else 32 or 64 bits after a
// marker byte. `encoded` is set (and `value` is the encoding) for the 0b11 prefix.
bool readRdbLength(std::string_view& in, uint64_t& value, bool& encoded) {
  if (in.empty()) return false;
  auto first = static_cast<unsigned char>(in[0]);
  encoded = false;
  switch (first >> 6) {
    case 0:
      value = first & 0x3f;
      in.remove_prefix(1);
      return true;
    case 1:
      if (in.size() < 2) return false;
      value = ((first & 0x3fu) << 8) | static_cast<unsigned char>(in[1]);
      in.remove_prefix(2);
      return true;
    case 3:
      encoded = true;
      value = first & 0x3f;
      in.remove_prefix(1);
      return true;
    default:
      in.remove_prefix(1);
      if (first == 0x80) return readBigEndian(in, 4, value);
      if (first == 0x81) return readBigEndian(in, 8, value);
      return false;
  }
}

// A little-endian signed integer of an integer-encoded RDB string, as its decimal text.
bool readRdbInteger(std::string_view& in, size_t bytes, std::string& out) {
  if (in.size() < bytes) return false;
  uint64_t bits = 0;
  for (size_t i = 0; i < bytes; ++i) bits |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  in.remove_prefix(bytes);
  // Sign-extends from the integer's own width.
  const unsigned shift = 64 - 8 * static_cast<unsigned>(bytes);
  out = std::to_string(static_cast<int64_t>(bits << shift) >> shift);
  return true;
}

// An RDB string (rdbGenericLoadStringObject): plain, integer-encoded or LZF-compressed.
bool readRdbString(std::string_view& in, std::string& out) {
  uint64_t length = 0;
  bool encoded = false;
  if (!readRdbLength(in, length, encoded)) return false;
  if (!encoded) {
    if (in.size() < length) return false;
    out.assign(in.substr(0, length));
    in.remove_prefix(length);
    return true;
  }
  if (length <= 2) return readRdbInteger(in, size_t{1} << length, out);
  if (length != 3) return false;  // 3: RDB_ENC_LZF
  uint64_t compressed = 0;
  uint64_t expanded = 0;
  if (!readRdbLength(in, compressed, encoded) || encoded) return false;
  if (!readRdbLength(in, expanded, encoded) || encoded || in.size() < compressed) return false;
  // A dump's library is at most as large as the bulk that carried it many times over; a
  // declared size beyond 512 MB (Redis's bulk limit) is not a payload Redis wrote.
  if (expanded > (uint64_t{512} << 20)) return false;
  std::optional<std::string> text = lzfExpand(in.substr(0, compressed), expanded);
  if (!text) return false;
  out = std::move(*text);
  in.remove_prefix(compressed);
  return true;
}

constexpr unsigned char kRdbOpcodeFunction2 = 245;  // one library's code follows
constexpr size_t kDumpTrailer = 10;                 // 2 bytes RDB version, 8 bytes CRC64

// DELETE, FLUSH, RESTORE: +OK from every server.
class FunctionOkMerger final : public FunctionMerger {
 public:
  using FunctionMerger::FunctionMerger;

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (reply.raw != "+OK\r\n") unexpected(part);
  }
  void build(std::string& reply) override { resp::appendStatus(reply, "OK"); }
};

// LIST and DUMP: one canonical form per part, compared at the end; the first part's reply is
// the answer.
class AgreeingMerger final : public FunctionMerger {
 public:
  using Canonical = std::optional<std::string> (*)(std::string_view);
  AgreeingMerger(const ServerNames& servers, std::span<const uint32_t> part_servers,
                 Canonical canonical, std::string_view what)
      : FunctionMerger(servers, part_servers),
        canonical_(canonical),
        what_(what),
        forms_(part_servers.size()) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    std::optional<std::string> form = canonical_(reply.raw);
    if (!form) return unexpected(part);
    forms_[part] = std::move(*form);
    if (part == 0) first_ = reply.raw;
  }
  void build(std::string& reply) override {
    for (uint32_t part = 1; part < forms_.size(); ++part) {
      if (forms_[part] != forms_[0]) return differs(part, 0, what_);
    }
    reply = std::move(first_);
  }
  Canonical canonical_;
  std::string_view what_;
  std::vector<std::string> forms_;
  std::string first_;
};

std::optional<std::string> canonicalDumpReply(std::string_view raw) {
  std::optional<std::string_view> payload = resp::stringValue(raw);
  if (!payload || !raw.starts_with('$')) return std::nullopt;
  return canonicalFunctionDump(*payload);
}

// STATS: *4 running_script <nil | *6 name .. command .. duration_ms ..> engines <map>, or the
// same as maps (%2, %3) and _ in RESP3.
class FunctionStatsMerger final : public FunctionMerger {
 public:
  FunctionStatsMerger(const ServerNames& servers, std::span<const uint32_t> part_servers)
      : FunctionMerger(servers, part_servers), engines_(part_servers.size()) {}

 private:
  void merge(uint32_t part, const resp::Reply& reply) override {
    if (!resp::arrayElements(reply.raw, elements_) || elements_.size() != 4) {
      return unexpected(part);
    }
    engines_[part] = elements_[3];
    if (part == 0) {
      protocol_ = reply.raw.starts_with('%') ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
      running_label_ = elements_[0];
      engines_label_ = elements_[2];
    }
    std::vector<std::string_view> script;
    if (!resp::arrayElements(elements_[1], script)) return;  // nil: nothing runs there
    std::optional<int64_t> duration =
        script.size() == 6 ? resp::integerValue(script[5]) : std::nullopt;
    if (!duration) return unexpected(part);
    if (running_.empty() || *duration > longest_ms_) {
      longest_ms_ = *duration;
      running_ = elements_[1];
    }
  }
  void build(std::string& reply) override {
    for (uint32_t part = 1; part < engines_.size(); ++part) {
      if (engines_[part] != engines_[0]) return differs(part, 0, "FUNCTION STATS engines differ");
    }
    resp::appendMapHeader(reply, 2, protocol_);
    reply.append(running_label_);
    if (running_.empty()) {
      resp::appendNullBulk(reply, protocol_);
    } else {
      reply.append(running_);
    }
    reply.append(engines_label_).append(engines_[0]);
  }
  std::vector<std::string_view> elements_;
  std::vector<std::string> engines_;
  std::string running_label_;
  std::string engines_label_;
  std::string running_;
  int64_t longest_ms_ = 0;
  resp::Protocol protocol_ = resp::Protocol::kResp2;  // the servers' (the client's)
};

}  // namespace

FunctionMerger::FunctionMerger(const ServerNames& servers, std::span<const uint32_t> part_servers)
    : servers_(servers),
      part_servers_(part_servers.begin(), part_servers.end()),
      errors_(part_servers.size()),
      raw_errors_(part_servers.size()),
      transport_(part_servers.size(), false) {}

void FunctionMerger::onPartReply(uint32_t part, const resp::Reply& reply) {
  if (resp::isError(reply)) {
    ++failed_parts_;
    raw_errors_[part] = reply.raw;
    errors_[part] = serverError(serverNameOf(part), reply.raw);
    return;
  }
  try {
    merge(part, reply);
  } catch (const std::bad_alloc&) {
    spdlog::warn(
        "out of memory merging the replies of a FUNCTION command: the client gets an "
        "error");
    ++failed_parts_;
    errors_[part] = kOutOfMemoryError;
    transport_[part] = true;
  }
}

void FunctionMerger::onPartFailure(uint32_t part, std::string_view message) {
  // The connection's message already names the server ("ERR server s2: Connection refused").
  ++failed_parts_;
  errors_[part] = message;
  transport_[part] = true;
}

void FunctionMerger::unexpected(uint32_t part) {
  if (!errors_[part].empty()) return;
  ++failed_parts_;
  errors_[part] = "ERR server " + serverNameOf(part) + ": unexpected reply";
  transport_[part] = true;
}

void FunctionMerger::differs(uint32_t part, uint32_t first_part, std::string_view what) {
  if (!disagreement_.empty()) return;
  disagreement_ = "ERR server " + serverNameOf(part) + ": " + std::string(what) + " from server " +
                  serverNameOf(first_part) + "'s";
}

std::string FunctionMerger::errorText() const {
  if (failed_parts_ == 0) return disagreement_;
  bool same_everywhere = failed_parts_ == parts();
  for (size_t part = 0; part < parts() && same_everywhere; ++part) {
    same_everywhere = !transport_[part] && raw_errors_[part] == raw_errors_[0];
  }
  // Every server said the same: that is what one redis-server says, so it is the reply.
  if (same_everywhere) return std::string(errorBody(raw_errors_[0]));
  for (const std::string& error : errors_) {
    if (!error.empty()) return error;
  }
  return {};
}

void FunctionMerger::finish(std::string& reply) {
  reply.clear();
  std::string error = errorText();
  if (error.empty()) {
    try {
      build(reply);
    } catch (const std::bad_alloc&) {
      std::string().swap(reply);
      error = kOutOfMemoryError;
    }
    if (!disagreement_.empty()) error = disagreement_;
    if (error.empty()) return;
    reply.clear();
  }
  resp::appendError(reply, error);
}

std::optional<std::string> lzfExpand(std::string_view in, size_t expanded_size) {
  std::string out;
  out.reserve(expanded_size);
  size_t at = 0;
  while (at < in.size()) {
    auto control = static_cast<unsigned char>(in[at++]);
    if (control < 32) {  // a run of control + 1 bytes as they are
      size_t run = size_t{control} + 1;
      if (in.size() - at < run || out.size() + run > expanded_size) return std::nullopt;
      out.append(in.substr(at, run));
      at += run;
      continue;
    }
    // A copy of earlier output: length in the top 3 bits (7: one more byte of it), distance
    // in the low 5 bits and the next byte.
    size_t length = control >> 5;
    if (length == 7) {
      if (at == in.size()) return std::nullopt;
      length += static_cast<unsigned char>(in[at++]);
    }
    if (at == in.size()) return std::nullopt;
    size_t distance = ((size_t{control} & 0x1f) << 8) + static_cast<unsigned char>(in[at++]) + 1;
    length += 2;
    if (distance > out.size() || out.size() + length > expanded_size) return std::nullopt;
    // The source may overlap what this copy appends: byte by byte.
    for (size_t from = out.size() - distance, i = 0; i < length; ++i) out.push_back(out[from + i]);
  }
  if (out.size() != expanded_size) return std::nullopt;
  return out;
}

std::optional<std::string> canonicalFunctionList(std::string_view raw_reply) {
  std::vector<std::string_view> libraries;
  if (!resp::arrayElements(raw_reply, libraries)) return std::nullopt;
  std::vector<std::string> forms(libraries.size());
  for (size_t i = 0; i < libraries.size(); ++i) {
    if (!canonicalLibrary(libraries[i], forms[i])) return std::nullopt;
  }
  std::sort(forms.begin(), forms.end());
  std::string out;
  for (const std::string& form : forms) appendPiece(out, form);
  return out;
}

std::optional<std::string> canonicalFunctionDump(std::string_view payload) {
  if (payload.size() < kDumpTrailer) return std::nullopt;
  std::string_view version = payload.substr(payload.size() - kDumpTrailer, 2);
  std::string_view body = payload.substr(0, payload.size() - kDumpTrailer);
  std::vector<std::string> codes;
  while (!body.empty()) {
    if (static_cast<unsigned char>(body[0]) != kRdbOpcodeFunction2) return std::nullopt;
    body.remove_prefix(1);
    if (!readRdbString(body, codes.emplace_back())) return std::nullopt;
  }
  std::sort(codes.begin(), codes.end());
  std::string out;
  appendPiece(out, version);
  for (const std::string& code : codes) appendPiece(out, code);
  return out;
}

std::unique_ptr<Merger> makeFunctionOkMerger(const ServerNames& servers,
                                             std::span<const uint32_t> part_servers) {
  return std::make_unique<FunctionOkMerger>(servers, part_servers);
}

std::unique_ptr<Merger> makeFunctionListMerger(const ServerNames& servers,
                                               std::span<const uint32_t> part_servers) {
  return std::make_unique<AgreeingMerger>(servers, part_servers, canonicalFunctionList,
                                          "FUNCTION LIST differs");
}

std::unique_ptr<Merger> makeFunctionDumpMerger(const ServerNames& servers,
                                               std::span<const uint32_t> part_servers) {
  return std::make_unique<AgreeingMerger>(servers, part_servers, canonicalDumpReply,
                                          "FUNCTION DUMP differs");
}

std::unique_ptr<Merger> makeFunctionStatsMerger(const ServerNames& servers,
                                                std::span<const uint32_t> part_servers) {
  return std::make_unique<FunctionStatsMerger>(servers, part_servers);
}

}  // namespace shardis::proxy
