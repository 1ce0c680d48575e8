// loadFile/loadString: the top level of a config file. Top-level keys are pool names, as in
// twemproxy, except `shardis`, which holds the process settings. Each pool is validated on
// its own (pool_loader.cc); what spans pools, such as listen addresses, is checked here.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/pool_loader.h"
#include "config/process_loader.h"
#include "config/yaml_context.h"

namespace shardis::config {

namespace {

constexpr std::string_view kProcessSection = "shardis";

YAML::Node parseYaml(std::string_view yaml, const detail::Context& top) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& error) {
    top.fail(error.mark, "YAML syntax error: " + error.msg);
  }
}

// Two pools on one address would leave the second unable to bind; say so at load time.
std::string listenIdentity(const ListenAddress& listen) {
  if (listen.kind == ListenAddress::Kind::kUnix) {
    return "unix:" + listen.path;
  }
  return listen.host + "|" + std::to_string(listen.port);
}

void checkListenUnique(std::string_view file, const Config& config, const YAML::Node& body) {
  const Pool& added = config.pools.back();
  for (size_t i = 0; i + 1 < config.pools.size(); ++i) {
    const Pool& earlier = config.pools[i];
    if (listenIdentity(earlier.listen) == listenIdentity(added.listen)) {
      const detail::Context context(file, "pool '" + added.name + "'");
      context.fail(body["listen"].Mark(), "listen '" + added.listen.text +
                                              "' is already used by pool '" + earlier.name + "'");
    }
  }
}

}  // namespace

Config loadString(std::string_view yaml, std::string_view file_name) {
  const detail::Context top(file_name, "");
  const YAML::Node root = parseYaml(yaml, top);
  Config config;
  config.file = std::string(file_name);
  if (root.IsNull()) {
    top.fail(YAML::Mark::null_mark(), "no pools defined (the file is empty)");
  }
  if (!root.IsMap()) {
    top.fail(root.Mark(),
             "the file must be a mapping of pool names to pools, got " + detail::describe(root));
  }
  bool have_process = false;
  for (const auto& item : root) {
    const std::string name = top.text(item.first, "a pool name");
    if (name == kProcessSection) {
      if (have_process) {
        top.fail(item.first.Mark(), "section 'shardis' is given twice");
      }
      have_process = true;
      config.process = detail::loadProcess(file_name, item.first, item.second);
      continue;
    }
    for (const Pool& pool : config.pools) {
      if (pool.name == name) {
        top.fail(item.first.Mark(), "pool '" + name + "' is defined twice");
      }
    }
    config.pools.push_back(detail::loadPool(file_name, item.first, item.second));
    checkListenUnique(file_name, config, item.second);
  }
  if (config.pools.empty()) {
    top.fail(root.Mark(), "no pools defined (only the shardis section)");
  }
  return config;
}

Config loadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(path + ": cannot open the configuration file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw Error(path + ": cannot read the configuration file");
  }
  return loadString(text.str(), path);
}

}  // namespace shardis::config
