// PublishFence: the PUBLISHes and SPUBLISHes one worker sent to one pool's servers, grouped by
// the topology that routed them, until each is answered. A topology change leaves a moved
// channel's old home only in its last step (TopologyStep::kFinish). A PUBLISH routed there
// before the switch may still be on its way then: sent, but not yet read by the server, or
// read after the hub's UNSUBSCRIBE, which travels on another connection. It would find
// nobody subscribed, answer :0, and the message would be lost. So the switch closes the fence,
// and the worker reports the switch done only once every PUBLISH from before it is answered.
//
// One worker's loop only: no lock.
#pragma once

#include <functional>
#include <memory>
#include <utility>

namespace shardis::proxy {

class PublishFence {
 public:
  // Held by a PUBLISH from when it is sent until its request is complete (answered or
  // failed); an empty one holds nothing.
  using Pass = std::shared_ptr<const void>;

  [[nodiscard]] Pass pass() const { return current_; }
  // The topology changed: PUBLISHes sent from now on belong to the new one. `drained` is
  // called once no pass taken before this call is held any more: at once if none is.
  void close(std::function<void()> drained) {
    std::shared_ptr<Era> before = std::exchange(current_, std::make_shared<Era>());
    before->drained = std::move(drained);
  }

 private:
  struct Era {
    Era() = default;
    Era(const Era&) = delete;
    Era& operator=(const Era&) = delete;
    ~Era() {
      if (drained) drained();
    }
    std::function<void()> drained;
  };
  std::shared_ptr<Era> current_ = std::make_shared<Era>();
};

}  // namespace shardis::proxy
