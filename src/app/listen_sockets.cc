#include "app/listen_sockets.h"

#include <unistd.h>

#include "net/listener.h"
#include "proxy/listen_address.h"

namespace shardis::app {

bool openPoolSockets(const config::Pool& pool, size_t workers, std::vector<int>& fds,
                     std::string& error) {
  const bool is_unix = pool.listen.kind == config::ListenAddress::Kind::kUnix;
  const bool reuseport = pool.reuseport || workers > 1;
  fds.clear();
  for (size_t w = 0; w < workers; ++w) {
    int fd = -1;
    if (!is_unix || fds.empty()) {
      fd = net::openListenSocket(proxy::listenAddressOf(pool.listen), pool.backlog, reuseport,
                                 error);
    } else {
      fd = ::dup(fds.front());
      if (fd < 0) error = "cannot duplicate the listening socket";
    }
    if (fd < 0) {
      for (int open : fds) ::close(open);
      fds.clear();
      return false;
    }
    fds.push_back(fd);
  }
  return true;
}

}  // namespace shardis::app
