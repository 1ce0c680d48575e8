#include "proxy/command_handlers.h"

#include <gtest/gtest.h>

#include <string>

#include "command/command_table.h"
#include "stats/command_index.h"

namespace shardis::proxy {
namespace {

// A container that needs a subcommand is never dispatched itself: alone it fails its arity,
// and with a subcommand the subcommand's entry is used.
bool dispatchable(const command::CommandSpec& spec) {
  return !(spec.isContainer() && spec.arity <= -2);
}

TEST(CommandHandlers, OneEntryPerCommandIdInIdOrder) {
  ASSERT_EQ(commandEntries().size(), stats::commandCount());
  for (const command::CommandSpec& spec : command::allCommands()) {
    EXPECT_EQ(commandEntry(stats::commandId(&spec)).spec, &spec) << spec.name;
    for (const command::CommandSpec& sub : spec.subcommands) {
      EXPECT_EQ(commandEntry(stats::commandId(&sub)).spec, &sub) << sub.name;
    }
  }
  EXPECT_EQ(commandEntry(stats::unknownCommandId()).spec, nullptr);
}

TEST(CommandHandlers, EveryLocalSplitOrAllServersCommandHasAHandler) {
  size_t checked = 0;
  for (const CommandEntry& entry : commandEntries()) {
    if (entry.spec == nullptr || !dispatchable(*entry.spec)) continue;
    if (entry.route != RouteClass::kLocal && entry.route != RouteClass::kSplit &&
        entry.route != RouteClass::kAllServers) {
      continue;
    }
    ++checked;
    EXPECT_NE(entry.handler, nullptr) << entry.spec->name << " has no handler";
    // SCAN and FUNCTION LOAD make mergers of their own (one server; the undo).
    if (entry.route != RouteClass::kLocal && entry.spec->name != "scan" &&
        entry.spec->name != "function|load") {
      EXPECT_TRUE(entry.has_merge) << entry.spec->name << " has no merge kind";
    }
  }
  EXPECT_GT(checked, 40u);
}

TEST(CommandHandlers, EveryRefusedCommandHasAReason) {
  size_t checked = 0;
  for (const CommandEntry& entry : commandEntries()) {
    if (entry.spec == nullptr) continue;
    if (entry.route != RouteClass::kRefused && entry.route != RouteClass::kPinned) continue;
    // A pinned command with a handler (MULTI, EXEC ...) is served, not refused.
    if (entry.route == RouteClass::kPinned && entry.handler != nullptr) continue;
    ++checked;
    EXPECT_TRUE(entry.refusal.starts_with("ERR ")) << entry.spec->name << ": " << entry.refusal;
    EXPECT_GT(entry.refusal.size(), 4u) << entry.spec->name;
  }
  EXPECT_GT(checked, 50u);
}

TEST(CommandHandlers, ClassesFollowTheCommandTable) {
  auto entry = [](std::string_view name) -> const CommandEntry& {
    return commandEntry(stats::commandId(command::lookup(name)));
  };
  EXPECT_EQ(entry("get").route, RouteClass::kForwarded);
  EXPECT_EQ(entry("rename").route, RouteClass::kSameServer);
  EXPECT_EQ(entry("mget").route, RouteClass::kSplit);
  EXPECT_EQ(entry("mget").merge, MergeKind::kMget);
  EXPECT_EQ(entry("dbsize").route, RouteClass::kAllServers);
  EXPECT_EQ(entry("wait").merge, MergeKind::kMin);
  EXPECT_EQ(entry("multi").route, RouteClass::kPinned);
  EXPECT_EQ(entry("ping").route, RouteClass::kLocal);
  EXPECT_TRUE(entry("auth").before_auth);
  EXPECT_TRUE(entry("quit").before_auth);
  EXPECT_FALSE(entry("get").before_auth);
  EXPECT_TRUE(entry("client|setname").changes_client_state);
  EXPECT_TRUE(entry("client|reply").changes_client_state);
  EXPECT_FALSE(entry("client|getname").changes_client_state);
  EXPECT_TRUE(entry("info").needs_session);
  EXPECT_FALSE(entry("ping").needs_session);
}

}  // namespace
}  // namespace shardis::proxy
