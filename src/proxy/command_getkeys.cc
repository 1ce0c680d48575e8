#include "proxy/command_getkeys.h"

#include <vector>

#include "command/command_table.h"
#include "command/getkeys_flags.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// A set of status replies, as Redis sends flags; RESP2 has no set, so an array.
void appendKeyFlags(uint16_t flags, resp::Protocol protocol, std::string& out) {
  std::span<const std::string_view> names = command::keyFlagNames();
  size_t count = 0;
  for (size_t bit = 0; bit < names.size(); ++bit) count += (flags >> bit) & 1U;
  resp::appendSetHeader(out, count, protocol);
  for (size_t bit = 0; bit < names.size(); ++bit) {
    if (((flags >> bit) & 1U) != 0) resp::appendStatus(out, names[bit]);
  }
}

}  // namespace

void commandGetkeysAndFlags(std::span<const std::string_view> argv, resp::Protocol protocol,
                            std::string& out) {
  std::span<const std::string_view> request = argv.subspan(2);
  const command::CommandSpec* spec = command::resolve(request);
  // The server's order: an unknown command, then one without keys, then its arity.
  if (spec == nullptr) return resp::appendError(out, "ERR Invalid command specified");
  if (!spec->mayHaveKeys()) return resp::appendError(out, "ERR The command has no key arguments");
  if (!command::arityOk(*spec, request.size())) {
    return resp::appendError(out, "ERR Invalid number of arguments specified for command");
  }
  std::vector<command::KeyWithFlags> keys;
  if (!command::keysWithFlags(*spec, request, keys) && !spec->hasFlag(command::kNoMandatoryKeys)) {
    return resp::appendError(out, "ERR Invalid arguments specified for command");
  }
  resp::appendArrayHeader(out, keys.size());
  for (const command::KeyWithFlags& key : keys) {
    resp::appendArrayHeader(out, 2);
    resp::appendBulk(out, request[key.index]);
    appendKeyFlags(key.flags, protocol, out);
  }
}

}  // namespace shardis::proxy
