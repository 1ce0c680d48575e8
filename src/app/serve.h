// Runs the proxy for a loaded configuration until SIGTERM/SIGINT. Implemented by the proxy
// layer (src/app/serve.cc); main() calls it for Options::Mode::kServe.
#pragma once

#include "app/options.h"
#include "config/config.h"

namespace shardis::app {

// Returns the process exit code.
int serve(const config::Config& config, const Options& options);

}  // namespace shardis::app
