// Leaving the terminal and announcing the process id, the way twemproxy's -d and -p do.
// main() calls these after the config is loaded and before serve() starts any thread:
// fork() copies only the calling thread.
#pragma once

#include <string>

namespace shardis::app {

// Forks twice into a new session with standard input, output and error on /dev/null; the
// original process exits 0. Returns false with `error` set if a step fails. Does not chdir,
// so relative paths from the command line keep their meaning.
bool daemonize(std::string& error);

// Writes the current pid followed by a newline. Returns false with `error` set on failure.
bool writePidFile(const std::string& path, std::string& error);
// Removes the file if it still holds our pid (a newer instance may have replaced it).
void removePidFile(const std::string& path);

}  // namespace shardis::app
