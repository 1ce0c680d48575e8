// Reading typed values out of yaml-cpp nodes with operator-facing errors. Every pool and the
// `shardis:` section get a Context that knows the file name and what is being read, so all
// messages share one shape: "FILE:LINE:COLUMN: pool 'NAME': ...". Used only by the loader.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace shardis::config::detail {

class Context {
 public:
  // `scope` is "pool 'alpha'" or "section 'shardis'"; empty for top-level messages.
  Context(std::string_view file, std::string scope);

  [[noreturn]] void fail(const YAML::Mark& mark, std::string_view message) const;

  // The scalar text of `value`; `what` names the setting in the message.
  [[nodiscard]] std::string text(const YAML::Node& value, std::string_view what) const;
  [[nodiscard]] int64_t integer(const YAML::Node& value, std::string_view what, int64_t min,
                                int64_t max) const;
  [[nodiscard]] bool boolean(const YAML::Node& value, std::string_view what) const;
  // A byte count: a whole number, or one with Redis's units (1k = 1000, 1kb = 1024, ...).
  [[nodiscard]] uint64_t bytes(const YAML::Node& value, std::string_view what) const;

  [[nodiscard]] const std::string& scope() const { return scope_; }

 private:
  std::string file_;
  std::string scope_;
};

// "a mapping", "a sequence", "nothing" or the quoted scalar: what the file holds instead.
std::string describe(const YAML::Node& value);

// Parses an optionally signed decimal integer, all of `text`; false if it is not one.
bool parseInteger(std::string_view text, int64_t& out);

// Parses a byte count with Redis's units (1k = 1000, 1kb = 1024, ..., any case), 0 included;
// false if `text` is not one or does not fit in 64 bits.
bool parseByteCount(std::string_view text, uint64_t& out);

// Looks the setting named by `key_node` up in `table` (entries with a `name` member),
// refusing unknown names and names given twice; `seen` collects the names read so far.
template <typename Entry>
const Entry& findSetting(const Context& context, const YAML::Node& key_node,
                         std::span<const Entry> table, std::vector<std::string>& seen) {
  const std::string key = context.text(key_node, "a setting name");
  const auto entry =
      std::find_if(table.begin(), table.end(), [&](const Entry& e) { return e.name == key; });
  if (entry == table.end()) {
    context.fail(key_node.Mark(), "unknown key '" + key + "'");
  }
  if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
    context.fail(key_node.Mark(), "key '" + key + "' is given twice");
  }
  seen.push_back(key);
  return *entry;
}

}  // namespace shardis::config::detail
