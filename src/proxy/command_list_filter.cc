#include "proxy/command_list_filter.h"

#include <fnmatch.h>

#include <vector>

#include "command/ascii.h"
#include "resp/reply_decoder.h"

namespace shardis::proxy {

namespace {
// COMMAND INFO's element for one command: name, arity, flags, first, last, step, ACL
// categories (status replies "+@read" ...), tips, key specs, subcommands.
constexpr size_t kAclCategoriesElement = 6;
}  // namespace

std::optional<CommandListFilter> CommandListFilter::parse(std::span<const std::string_view> argv) {
  CommandListFilter filter;
  if (argv.size() == 2) return filter;
  if (argv.size() != 5 || !command::isKeyword(argv[2], "filterby")) return std::nullopt;
  std::string_view type = argv[3];
  if (command::isKeyword(type, "module")) {
    filter.kind_ = Kind::kModule;
  } else if (command::isKeyword(type, "aclcat")) {
    filter.kind_ = Kind::kAclCategory;
    // Redis compares category names without case; its own names are lowercase.
    std::string name(argv[4]);
    for (char& c : name) c = static_cast<char>(command::foldCase(c));
    filter.arg_ = "+@" + name + "\r\n";
  } else if (command::isKeyword(type, "pattern")) {
    filter.kind_ = Kind::kPattern;
    filter.arg_ = argv[4];
  } else {
    return std::nullopt;
  }
  return filter;
}

bool CommandListFilter::matches(const command::CommandSpec& spec) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kModule:
      return false;
    case Kind::kAclCategory: {
      thread_local std::vector<std::string_view> elements;
      if (!resp::arrayElements(spec.raw_info, elements) ||
          elements.size() <= kAclCategoriesElement) {
        return false;
      }
      return elements[kAclCategoriesElement].find(arg_) != std::string_view::npos;
    }
    case Kind::kPattern:
      // Redis matches the full name ("client|list") without case.
      return ::fnmatch(arg_.c_str(), std::string(spec.name).c_str(), FNM_CASEFOLD) == 0;
  }
  return false;
}

}  // namespace shardis::proxy
