// The README lists every command by how the proxy handles it; this keeps those lists equal to
// the command table's routing classes, so neither can drift from the other.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "command/command_table.h"
#include "proxy/command_handlers.h"
#include "stats/command_index.h"

namespace shardis::proxy {
namespace {

using Classes = std::map<std::string, std::set<std::string>>;

std::string className(command::Routing routing) {
  switch (routing) {
    case command::Routing::kLocal:
      return "local";
    case command::Routing::kSingleKey:
      return "forwarded";
    case command::Routing::kSameServerKeys:
      return "same-server";
    case command::Routing::kSplit:
      return "split";
    case command::Routing::kAllServers:
      return "all-servers";
    case command::Routing::kPinned:
      return "pinned";
    case command::Routing::kUnsupported:
      return "refused";
  }
  return "?";
}

// A pinned command the proxy has handlers for runs on a leased connection ("leased"), is
// pub/sub ("pubsub") or client-side caching ("tracking"); the others are still refused
// ("pinned").
std::string classOf(const command::CommandSpec& spec) {
  if (spec.routing == command::Routing::kPinned &&
      commandEntry(stats::commandId(&spec)).handler != nullptr) {
    if (spec.name.starts_with("client|")) return "tracking";
    return spec.hasFlag(command::kPubsub) ? "pubsub" : "leased";
  }
  return className(spec.routing);
}

Classes tableClasses() {
  Classes classes;
  for (const command::CommandSpec& spec : command::allCommands()) {
    if (!spec.isContainer()) {
      classes[classOf(spec)].emplace(spec.name);
      continue;
    }
    for (const command::CommandSpec& sub : spec.subcommands)
      classes[classOf(sub)].emplace(sub.name);
  }
  return classes;
}

// Every `name` between "<!-- commands: class -->" and "<!-- /commands -->".
Classes readmeClasses(const std::string& text) {
  Classes classes;
  const std::string open = "<!-- commands: ";
  const std::string close = "<!-- /commands -->";
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
    size_t name_end = text.find(" -->", at);
    std::string name = text.substr(at + open.size(), name_end - at - open.size());
    size_t end = text.find(close, name_end);
    for (size_t tick = text.find('`', name_end); tick < end; tick = text.find('`', tick)) {
      size_t after = text.find('`', tick + 1);
      classes[name].insert(text.substr(tick + 1, after - tick - 1));
      tick = after + 1;
    }
    at = end;
  }
  return classes;
}

TEST(ReadmeCommands, ListsEveryCommandInItsRoutingClass) {
  std::ifstream file(std::string(SHARDIS_TEST_DATA) + "/../../README.md");
  ASSERT_TRUE(file) << "README.md not found";
  std::stringstream text;
  text << file.rdbuf();
  Classes readme = readmeClasses(text.str());
  Classes table = tableClasses();
  for (const auto& [name, commands] : table) {
    EXPECT_EQ(readme[name], commands) << "README list '" << name << "'";
  }
  EXPECT_EQ(readme.size(), table.size());
}

}  // namespace
}  // namespace shardis::proxy
