#include "proxy/client_setinfo.h"

#include <algorithm>

#include "command/ascii.h"
#include "resp/encoder.h"

namespace shardis::proxy {

namespace {

// Redis keeps CLIENT LIST splittable on spaces: an attribute holds printable ASCII only.
bool printable(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= '!' && c <= '~'; });
}

// Redis formats these errors with the client's word; newlines in it become spaces so that
// the error stays one line.
std::string oneLine(std::string_view text) {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\r', ' ');
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

}  // namespace

void clientSetinfo(std::span<const std::string_view> argv, ClientState& client, std::string& out) {
  const std::string_view attribute = argv[2];
  const std::string_view value = argv[3];
  std::string* field = nullptr;
  if (command::isKeyword(attribute, "lib-name")) {
    field = &client.lib_name;
  } else if (command::isKeyword(attribute, "lib-ver")) {
    field = &client.lib_ver;
  } else {
    return resp::appendError(out, "ERR Unrecognized option '" + oneLine(attribute) + "'");
  }
  if (!printable(value)) {
    return resp::appendError(out, "ERR " + oneLine(attribute) +
                                      " cannot contain spaces, newlines or special characters.");
  }
  field->assign(value);
  resp::appendStatus(out, "OK");
}

void clientNoTouch(std::span<const std::string_view> argv, std::string& out) {
  if (command::isKeyword(argv[2], "on") || command::isKeyword(argv[2], "off")) {
    return resp::appendStatus(out, "OK");
  }
  resp::appendError(out, "ERR syntax error");
}

}  // namespace shardis::proxy
