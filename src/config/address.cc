#include "config/address.h"

#include <algorithm>
#include <charconv>

#include "config/yaml_context.h"

namespace shardis::config::detail {

namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) {
    return {};
  }
  const size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

// Host names, IPv4 and IPv6 literals; resolution happens later, in the backend.
bool validHost(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':' || c == '%';
  });
}

bool parseWeight(std::string_view text, uint32_t& weight) {
  int64_t number = 0;
  if (!parseInteger(text, number) || number < 1 || number > UINT32_MAX) {
    return false;
  }
  weight = static_cast<uint32_t>(number);
  return true;
}

std::string weightError(std::string_view text) {
  return "weight must be an integer of at least 1, got '" + std::string(text) + "'";
}

std::string portError(std::string_view text) {
  return "port must be an integer from 1 to 65535, got '" + std::string(text) + "'";
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Passwords in URLs may be percent-encoded ("p%40ss" for "p@ss").
bool percentDecode(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return false;
    }
    const int high = hexDigit(text[i + 1]);
    const int low = hexDigit(text[i + 2]);
    if (high < 0 || low < 0) {
      return false;
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

}  // namespace

bool splitHostPort(std::string_view text, HostPort& out) {
  size_t colon = 0;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    out.host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    out.host = std::string(text.substr(0, colon));
  }
  out.host_text = std::string(text.substr(0, colon));
  out.port_text = text.substr(colon + 1);
  return validHost(out.host);
}

bool parsePort(std::string_view text, uint16_t& port) {
  int64_t number = 0;
  if (!parseInteger(text, number) || number < 1 || number > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(number);
  return true;
}

std::string defaultServerName(std::string_view host_text, uint16_t port) {
  if (port == kKetamaDefaultPort) {
    return std::string(host_text);
  }
  return std::string(host_text) + ':' + std::to_string(port);
}

std::string parseListen(std::string_view text, ListenAddress& out) {
  out = ListenAddress{};
  out.text = std::string(trim(text));
  std::string_view value = out.text;
  if (!value.empty() && value.front() == '/') {
    out.kind = ListenAddress::Kind::kUnix;
    const size_t space = value.find_first_of(kWhitespace);
    out.path = std::string(value.substr(0, space));
    if (space == std::string_view::npos) {
      return {};
    }
    const std::string_view mode = trim(value.substr(space));
    const bool octal =
        !mode.empty() && mode.size() <= 4 &&
        std::all_of(mode.begin(), mode.end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!octal) {
      return "permissions must be octal such as 0666, got '" + std::string(mode) + "'";
    }
    out.permissions = static_cast<uint32_t>(std::stoul(std::string(mode), nullptr, 8));
    return {};
  }
  HostPort parts;
  if (!splitHostPort(value, parts)) {
    return "is not host:port, [ipv6]:port or /path.sock [permissions]";
  }
  if (!parsePort(parts.port_text, out.port)) {
    return portError(parts.port_text);
  }
  out.kind = ListenAddress::Kind::kTcp;
  out.host = parts.host;
  return {};
}

namespace {

std::string parseUnixServer(std::string_view address, Server& out) {
  // The weight follows the last colon, if that colon comes after the last slash.
  const size_t colon = address.rfind(':');
  if (colon != std::string_view::npos && colon > address.rfind('/')) {
    if (!parseWeight(address.substr(colon + 1), out.weight)) {
      return weightError(address.substr(colon + 1));
    }
    address = address.substr(0, colon);
  }
  out.unix_path = std::string(address);
  out.address_text = out.unix_path;
  if (out.name.empty()) {
    out.name = out.unix_path + ':';  // twemproxy appends the (empty) port
  }
  return {};
}

std::string parseTcpServer(std::string_view address, Server& out) {
  // Forms: host:port, host:port:weight, [v6]:port[:weight], v6:port:weight.
  const bool bracketed = !address.empty() && address.front() == '[';
  const size_t close = bracketed ? address.find(']') : 0;
  const size_t colons = static_cast<size_t>(
      std::count(address.begin() + static_cast<ptrdiff_t>(close), address.end(), ':'));
  std::string_view host_port = address;
  if ((bracketed && colons == 2) || (!bracketed && colons >= 2)) {
    const size_t colon = address.rfind(':');
    if (!parseWeight(address.substr(colon + 1), out.weight)) {
      return weightError(address.substr(colon + 1));
    }
    host_port = address.substr(0, colon);
  }
  HostPort parts;
  if (!splitHostPort(host_port, parts)) {
    return "is not host:port:weight [name], /path.sock:weight [name] or a redis:// URL";
  }
  if (!parsePort(parts.port_text, out.port)) {
    return portError(parts.port_text);
  }
  out.host = parts.host;
  out.address_text = parts.host_text + ':' + std::string(parts.port_text);
  if (out.name.empty()) {
    // twemproxy names the server by the text as written, so "h:07001" stays "h:07001".
    out.name = out.port == kKetamaDefaultPort ? parts.host_text : out.address_text;
  }
  return {};
}

}  // namespace

std::string parseServerString(std::string_view text, Server& out) {
  out = Server{};
  text = trim(text);
  const size_t space = text.find_first_of(kWhitespace);
  const std::string_view address = text.substr(0, space);
  if (space != std::string_view::npos) {
    out.name = std::string(trim(text.substr(space)));
  }
  if (address.empty()) {
    return "is empty";
  }
  if (address.front() == '/') {
    return parseUnixServer(address, out);
  }
  return parseTcpServer(address, out);
}

namespace {

std::string applyUrlParameter(std::string_view key, std::string_view value, Server& out) {
  int64_t number = 0;
  if (key == "name") {
    out.name = std::string(value);
  } else if (key == "weight") {
    if (!parseWeight(value, out.weight)) {
      return weightError(value);
    }
  } else if (key == "db") {
    if (!parseInteger(value, number) || number < 0 || number > INT32_MAX) {
      return "db must be a non-negative integer, got '" + std::string(value) + "'";
    }
    out.db = static_cast<int>(number);
  } else if (key == "max_connections") {
    if (!parseInteger(value, number) || number < 1 || number > UINT32_MAX) {
      return "max_connections must be an integer of at least 1, got '" + std::string(value) + "'";
    }
    out.max_connections = static_cast<uint32_t>(number);
  } else if (key == "password") {
    std::string password;
    if (!percentDecode(value, password)) {
      return "has a badly percent-encoded password";
    }
    out.password = password;
  } else {
    return "has an unknown parameter '" + std::string(key) +
           "' (known: name, weight, db, password, max_connections)";
  }
  return {};
}

std::string parseUrlQuery(std::string_view query, Server& out) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      return "has a parameter without a value: '" + std::string(pair) + "'";
    }
    std::string error = applyUrlParameter(pair.substr(0, equals), pair.substr(equals + 1), out);
    if (!error.empty()) {
      return error;
    }
  }
  return {};
}

std::string parseUrlUserInfo(std::string_view info, Server& out) {
  // user:password, :password (no user) or user alone, as redis-py reads them.
  const size_t colon = info.find(':');
  std::string decoded;
  if (!percentDecode(info.substr(0, colon), decoded)) {
    return "has a badly percent-encoded user name";
  }
  if (!decoded.empty()) {
    out.username = decoded;
  }
  if (colon != std::string_view::npos) {
    if (!percentDecode(info.substr(colon + 1), decoded)) {
      return "has a badly percent-encoded password";
    }
    out.password = decoded;
  }
  return {};
}

std::string parseUrlHost(std::string_view authority, Server& out) {
  HostPort parts;
  const bool bare_v6 = authority.find(':') != authority.rfind(':') && authority[0] != '[';
  const bool has_port =
      !bare_v6 && (authority.starts_with('[') ? authority.find("]:") != std::string_view::npos
                                              : authority.find(':') != std::string_view::npos);
  if (has_port) {
    if (!splitHostPort(authority, parts)) {
      return "has an invalid host '" + std::string(authority) + "'";
    }
    if (!parsePort(parts.port_text, out.port)) {
      return portError(parts.port_text);
    }
  } else {
    parts.host_text = std::string(authority);
    parts.host = authority.starts_with('[') && authority.ends_with(']')
                     ? std::string(authority.substr(1, authority.size() - 2))
                     : std::string(authority);
    if (!validHost(parts.host)) {
      return "has an invalid host '" + std::string(authority) + "'";
    }
    out.port = kRedisDefaultPort;
  }
  out.host = parts.host;
  out.address_text = parts.host_text + ':' + std::to_string(out.port);
  return {};
}

}  // namespace

std::string parseServerUrl(std::string_view text, Server& out) {
  out = Server{};
  constexpr std::string_view kScheme = "redis://";
  text = trim(text);
  if (!text.starts_with(kScheme)) {
    return "is not a redis:// URL";
  }
  std::string_view rest = text.substr(kScheme.size());
  const size_t question = rest.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  rest = rest.substr(0, question);
  const size_t slash = rest.find('/');
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  std::string_view authority = rest.substr(0, slash);
  const size_t at = authority.rfind('@');
  std::string error;
  if (at != std::string_view::npos) {
    error = parseUrlUserInfo(authority.substr(0, at), out);
    authority = authority.substr(at + 1);
  }
  if (error.empty()) {
    error = parseUrlHost(authority, out);
  }
  if (error.empty() && !path.empty()) {
    error = applyUrlParameter("db", path, out);
  }
  if (error.empty()) {
    error = parseUrlQuery(query, out);
  }
  if (error.empty() && out.name.empty()) {
    out.name = defaultServerName(out.address_text.substr(0, out.address_text.rfind(':')), out.port);
  }
  return error;
}

}  // namespace shardis::config::detail

namespace shardis::config {

bool parseHostAndPort(std::string_view text, std::string& host, uint16_t& port) {
  detail::HostPort parts;
  if (!detail::splitHostPort(text, parts)) return false;
  unsigned number = 0;
  const char* first = parts.port_text.data();
  const char* last = first + parts.port_text.size();
  auto [end, ec] = std::from_chars(first, last, number);
  if (ec != std::errc() || end != last || number > 65535) return false;
  host = parts.host;
  port = static_cast<uint16_t>(number);
  return true;
}

}  // namespace shardis::config
