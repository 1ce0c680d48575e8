#include "backend/server_pool.h"

#include <utility>

namespace shardis::backend {

Lease::Lease(ServerPool& pool, uint32_t server, std::unique_ptr<ServerConnection> connection)
    : pool_(&pool), server_(server), connection_(std::move(connection)) {}

Lease::~Lease() {
  if (connection_) release(LeaseEnd::kAbandoned);
}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), server_(other.server_), connection_(std::move(other.connection_)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (connection_) release(LeaseEnd::kAbandoned);
    pool_ = other.pool_;
    server_ = other.server_;
    connection_ = std::move(other.connection_);
  }
  return *this;
}

void Lease::release(LeaseEnd end) {
  if (!connection_) return;
  pool_->giveBack(server_, std::move(connection_), end);
}

}  // namespace shardis::backend
