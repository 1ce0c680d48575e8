#include "stats/command_index.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "command/command_table.h"

namespace shardis::stats {

namespace {

// Built once, on first use, from the static command table; read-only afterwards, so workers
// share it without locks.
struct Index {
  std::vector<std::string_view> names;
  std::unordered_map<const command::CommandSpec*, CommandId> ids;

  Index() {
    for (const command::CommandSpec& spec : command::allCommands()) {
      add(&spec);
      for (const command::CommandSpec& sub : spec.subcommands) add(&sub);
    }
    names.push_back(kUnknownCommandName);
  }
  void add(const command::CommandSpec* spec) {
    ids.emplace(spec, static_cast<CommandId>(names.size()));
    names.push_back(spec->name);
  }
};

const Index& index() {
  static const Index instance;
  return instance;
}

}  // namespace

CommandId commandId(const command::CommandSpec* spec) {
  const Index& table = index();
  auto found = table.ids.find(spec);
  return found == table.ids.end() ? unknownCommandId() : found->second;
}

size_t commandCount() { return index().names.size(); }

std::string_view commandName(CommandId id) {
  const Index& table = index();
  return id < table.names.size() ? table.names[id] : kUnknownCommandName;
}

CommandId unknownCommandId() { return static_cast<CommandId>(index().names.size() - 1); }

}  // namespace shardis::stats
