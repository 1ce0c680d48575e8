// UvHandle: the close rule every handle owner in net/ relies on, on a test owner of its own.
#include "net/uv_handle.h"

#include <gtest/gtest.h>

#include "net/loop.h"

namespace shardis::net {
namespace {

// An idle handle that counts the hooks the template calls and its own destruction.
struct Counts {
  int closing = 0;  // onClosing() calls
  int freed = 0;    // destructor calls
};

class IdleOwner;
using IdleOwnerPtr = UvHandlePtr<IdleOwner>;

class IdleOwner final : public UvHandle<IdleOwner, uv_idle_t> {
 public:
  static IdleOwnerPtr create(Loop& loop, Counts& counts) {
    return IdleOwnerPtr(new IdleOwner(loop, counts));
  }
  // Finishes work first, then lets the handle go (as Stream's graceful close does).
  void closeLater() { setClosing(); }
  void finish() { closeHandle(); }
  // The owner found back from the raw handle, as a libuv callback does.
  IdleOwner* fromRaw() { return ownerOf(&handle()); }

 private:
  friend class UvHandle<IdleOwner, uv_idle_t>;
  IdleOwner(Loop& loop, Counts& counts) : counts_(counts) { uv_idle_init(loop.raw(), &handle()); }
  ~IdleOwner() { ++counts_.freed; }
  void onClosing() { ++counts_.closing; }

  Counts& counts_;
};

TEST(UvHandle, CloseTwiceClosesOnceAndFreesOnlyInTheCloseCallback) {
  Loop loop;
  Counts counts;
  IdleOwner* owner = IdleOwner::create(loop, counts).release();
  EXPECT_EQ(owner->fromRaw(), owner);
  owner->close();
  owner->close();  // a second uv_close of one handle would abort inside libuv
  EXPECT_TRUE(owner->closing());
  EXPECT_EQ(counts.closing, 1);
  EXPECT_EQ(counts.freed, 0);  // libuv may still call in: the memory stays until the callback
  loop.run();
  EXPECT_EQ(counts.freed, 1);
}

TEST(UvHandle, DroppingThePointerClosesAndTheLoopFrees) {
  Loop loop;
  Counts counts;
  {
    IdleOwnerPtr owner = IdleOwner::create(loop, counts);
    EXPECT_FALSE(owner->closing());
  }
  EXPECT_EQ(counts.closing, 1);
  EXPECT_EQ(counts.freed, 0);
  loop.run();
  EXPECT_EQ(counts.freed, 1);
}

TEST(UvHandle, AGracefulCloseIgnoresCloseUntilTheOwnerLetsTheHandleGo) {
  Loop loop;
  Counts counts;
  IdleOwner* owner = IdleOwner::create(loop, counts).release();
  owner->closeLater();
  owner->close();  // already closing: neither the hook nor uv_close runs
  EXPECT_EQ(counts.closing, 0);
  loop.run();
  EXPECT_EQ(counts.freed, 0);  // still open: the owner has not let go
  owner->finish();
  owner->finish();  // once only
  loop.run();
  EXPECT_EQ(counts.freed, 1);
}

}  // namespace
}  // namespace shardis::net
