#include "proxy/help_text.h"

#include <span>
#include <string_view>
#include <vector>

#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// One subcommand's lines of the help, as redis-server 7.0.15 prints them; `name` is the
// command table's name, "" for lines that are always shown.
struct HelpEntry {
  std::string_view name;
  std::span<const std::string_view> lines;
};

struct ContainerHelp {
  std::string_view help_name;  // "client|help"
  std::string_view usage;      // the first line
  std::span<const HelpEntry> entries;
};

// Arrays that outlive the tables below.
constexpr std::string_view kClientCaching[] = {
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes."};
constexpr std::string_view kClientGetredir[] = {
    "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled."};
constexpr std::string_view kClientGetname[] = {"GETNAME",
                                               "    Return the name of the current connection."};
constexpr std::string_view kClientId[] = {"ID", "    Return the ID of the current connection."};
constexpr std::string_view kClientInfo[] = {
    "INFO", "    Return information about the current client connection."};
// KILL's TYPE and USER filters are left out: the proxy's CLIENT KILL refuses them.
constexpr std::string_view kClientKill[] = {
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes)."};
constexpr std::string_view kClientList[] = {
    "LIST [options ...]", "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type."};
constexpr std::string_view kClientUnpause[] = {
    "UNPAUSE", "    Stop the current client pause, resuming traffic."};
constexpr std::string_view kClientPause[] = {
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds."};
constexpr std::string_view kClientReply[] = {
    "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection."};
constexpr std::string_view kClientSetname[] = {
    "SETNAME <name>", "    Assign the name <name> to the current connection."};
constexpr std::string_view kClientUnblock[] = {"UNBLOCK <clientid> [TIMEOUT|ERROR]",
                                               "    Unblock the specified blocked client."};
constexpr std::string_view kClientTracking[] = {
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching."};
constexpr std::string_view kClientTrackinginfo[] = {
    "TRACKINGINFO", "    Report tracking status for the current connection."};
constexpr std::string_view kClientNoEvict[] = {
    "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction."};

constexpr HelpEntry kClientEntries[] = {
    {"client|caching", kClientCaching},   {"client|getredir", kClientGetredir},
    {"client|getname", kClientGetname},   {"client|id", kClientId},
    {"client|info", kClientInfo},         {"client|kill", kClientKill},
    {"client|list", kClientList},         {"client|unpause", kClientUnpause},
    {"client|pause", kClientPause},       {"client|reply", kClientReply},
    {"client|setname", kClientSetname},   {"client|unblock", kClientUnblock},
    {"client|tracking", kClientTracking}, {"client|trackinginfo", kClientTrackinginfo},
    {"client|no-evict", kClientNoEvict}};

constexpr std::string_view kConfigGet[] = {
    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values."};
constexpr std::string_view kConfigSet[] = {"SET <directive> <value>",
                                           "    Set the configuration <directive> to <value>."};
constexpr std::string_view kConfigResetstat[] = {
    "RESETSTAT", "    Reset statistics reported by the INFO command."};
constexpr std::string_view kConfigRewrite[] = {"REWRITE", "    Rewrite the configuration file."};

constexpr HelpEntry kConfigEntries[] = {{"config|get", kConfigGet},
                                        {"config|set", kConfigSet},
                                        {"config|resetstat", kConfigResetstat},
                                        {"config|rewrite", kConfigRewrite}};

constexpr std::string_view kCommandAll[] = {"(no subcommand)",
                                            "    Return details about all Redis commands."};
constexpr std::string_view kCommandCount[] = {
    "COUNT", "    Return the total number of commands in this Redis server."};
constexpr std::string_view kCommandList[] = {
    "LIST", "    Return a list of all commands in this Redis server."};
constexpr std::string_view kCommandInfo[] = {
    "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned."};
constexpr std::string_view kCommandDocs[] = {
    "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned."};
constexpr std::string_view kCommandGetkeys[] = {"GETKEYS <full-command>",
                                                "    Return the keys from a full Redis command."};
constexpr std::string_view kCommandGetkeysandflags[] = {
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command."};

constexpr HelpEntry kCommandEntries[] = {{"command", kCommandAll},
                                         {"command|count", kCommandCount},
                                         {"command|list", kCommandList},
                                         {"command|info", kCommandInfo},
                                         {"command|docs", kCommandDocs},
                                         {"command|getkeys", kCommandGetkeys},
                                         {"command|getkeysandflags", kCommandGetkeysandflags}};

constexpr std::string_view kPubsubChannels[] = {
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*')."};
constexpr std::string_view kPubsubNumpat[] = {"NUMPAT",
                                              "    Return number of subscriptions to patterns."};
constexpr std::string_view kPubsubNumsub[] = {
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels)."};
constexpr std::string_view kPubsubShardchannels[] = {
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*')."};
constexpr std::string_view kPubsubShardnumsub[] = {
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)"};

constexpr HelpEntry kPubsubEntries[] = {{"pubsub|channels", kPubsubChannels},
                                        {"pubsub|numpat", kPubsubNumpat},
                                        {"pubsub|numsub", kPubsubNumsub},
                                        {"pubsub|shardchannels", kPubsubShardchannels},
                                        {"pubsub|shardnumsub", kPubsubShardnumsub}};

constexpr ContainerHelp kContainers[] = {
    {"client|help",
     "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", kClientEntries},
    {"config|help",
     "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", kConfigEntries},
    {"command|help",
     "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", kCommandEntries},
    {"pubsub|help",
     "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", kPubsubEntries},
};

// Shown when the proxy answers or forwards it: refused subcommands have no help line.
bool served(std::string_view name) {
  const command::CommandSpec* spec = command::lookup(name);
  return spec != nullptr && spec->routing != command::Routing::kUnsupported;
}

}  // namespace

bool appendHelp(const command::CommandSpec& spec, std::string& out) {
  for (const ContainerHelp& container : kContainers) {
    if (spec.name != container.help_name) continue;
    std::vector<std::string_view> lines = {container.usage};
    for (const HelpEntry& entry : container.entries) {
      if (served(entry.name)) lines.insert(lines.end(), entry.lines.begin(), entry.lines.end());
    }
    // Redis ends every help with HELP's own entry.
    lines.insert(lines.end(), {"HELP", "    Prints this help."});
    resp::appendArrayHeader(out, lines.size());
    for (std::string_view line : lines) resp::appendStatus(out, line);
    return true;
  }
  return false;
}

}  // namespace shardis::proxy
