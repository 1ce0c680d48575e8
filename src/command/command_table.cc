// Name lookup over the generated table: an open-addressing hash table of every command and
// subcommand, built once on first use, probed with a hash of the case-folded name so that no
// lowercase copy of the client's bytes is ever made.

#include <algorithm>
#include <array>
#include <cstring>

#include "command/ascii.h"
#include "command/command_table.h"

namespace shardis::command {
namespace {

constexpr uint32_t kFnvOffset = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;
// Redis 7.0 has 366 commands and subcommands; a quarter-full table keeps probes short.
constexpr size_t kSlotCount = 2048;

inline uint32_t hashFolded(uint32_t hash, std::string_view text) {
  for (const char c : text) {
    hash = (hash ^ foldCase(c)) * kFnvPrime;
  }
  return hash;
}

class NameIndex {
 public:
  NameIndex() {
    for (const CommandSpec& spec : allCommands()) {
      insert(spec);
      for (const CommandSpec& sub : spec.subcommands) {
        insert(sub);
      }
    }
  }

  [[nodiscard]] size_t maxNameLength() const { return max_name_length_; }

  // Finds the entry whose name is `first` (or `first|second` when second is given).
  [[nodiscard]] const CommandSpec* find(std::string_view first,
                                        const std::string_view* second) const {
    uint32_t hash = hashFolded(kFnvOffset, first);
    size_t length = first.size();
    if (second != nullptr) {
      hash = hashFolded((hash ^ static_cast<unsigned char>('|')) * kFnvPrime, *second);
      length += 1 + second->size();
    }
    for (size_t i = hash & (kSlotCount - 1);; i = (i + 1) & (kSlotCount - 1)) {
      const Slot& slot = slots_[i];
      if (slot.spec == nullptr) {
        return nullptr;
      }
      if (slot.hash == hash && slot.spec->name.size() == length &&
          matches(*slot.spec, first, second)) {
        return slot.spec;
      }
    }
  }

 private:
  struct Slot {
    uint32_t hash = 0;
    const CommandSpec* spec = nullptr;
  };

  static bool matches(const CommandSpec& spec, std::string_view first,
                      const std::string_view* second) {
    if (!prefixEqualsFolded(spec.name.substr(0, first.size()), first)) {
      return false;
    }
    if (second == nullptr) {
      return true;
    }
    return spec.name[first.size()] == '|' &&
           prefixEqualsFolded(spec.name.substr(first.size() + 1), *second);
  }

  void insert(const CommandSpec& spec) {
    const uint32_t hash = hashFolded(kFnvOffset, spec.name);
    size_t i = hash & (kSlotCount - 1);
    while (slots_[i].spec != nullptr) {
      i = (i + 1) & (kSlotCount - 1);
    }
    slots_[i] = Slot{hash, &spec};
    max_name_length_ = std::max(max_name_length_, spec.name.size());
  }

  std::array<Slot, kSlotCount> slots_{};
  size_t max_name_length_ = 0;
};

const NameIndex& nameIndex() {
  static const NameIndex index;
  return index;
}

}  // namespace

bool CommandSpec::mayHaveKeys() const {
  if (key_rule != KeyRule::kKeySpecs) {
    return true;
  }
  return std::any_of(key_specs.begin(), key_specs.end(),
                     [](const KeySpec& spec) { return (spec.flags & kKeyNotKey) == 0; });
}

const CommandSpec* lookup(std::string_view name) {
  const NameIndex& index = nameIndex();
  // Long arguments are never names: skip hashing them.
  if (name.empty() || name.size() > index.maxNameLength()) {
    return nullptr;
  }
  return index.find(name, nullptr);
}

const CommandSpec* resolve(std::span<const std::string_view> argv) {
  if (argv.empty()) {
    return nullptr;
  }
  // "client|setname" names a subcommand in COMMAND INFO, never a command on the wire.
  if (std::memchr(argv[0].data(), '|', argv[0].size()) != nullptr) {
    return nullptr;
  }
  const CommandSpec* spec = lookup(argv[0]);
  if (spec == nullptr || !spec->isContainer() || argv.size() < 2) {
    return spec;
  }
  const NameIndex& index = nameIndex();
  if (argv[0].size() + 1 + argv[1].size() > index.maxNameLength()) {
    return nullptr;
  }
  return index.find(argv[0], &argv[1]);
}

Routing routingOf(const CommandSpec& spec, std::span<const std::string_view> argv) {
  if (spec.key_rule != KeyRule::kStreams) {
    return spec.routing;
  }
  // XREAD/XREADGROUP options come before STREAMS; BLOCK among them makes it a blocking read.
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string_view arg = argv[i];
    if (isKeyword(arg, "block")) {
      return Routing::kPinned;
    }
    if (isKeyword(arg, "count")) {
      i += 1;
    } else if (isKeyword(arg, "group")) {
      i += 2;
    } else if (!isKeyword(arg, "noack")) {
      break;  // STREAMS, or a syntax error the server will report
    }
  }
  return spec.routing;
}

}  // namespace shardis::command
