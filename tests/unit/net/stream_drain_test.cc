// Stream::notifyWhenDrained(): the owner of a stream whose peer does not read stops reading
// and resumes on onDrained(), which comes once, when the last queued byte is in the kernel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>

#include "net/loop.h"
#include "net/stream.h"
#include "net/timer.h"

namespace shardis::net {
namespace {

struct DrainEvents final : StreamEvents {
  uv_buf_t readBuffer(size_t /*suggested*/) override {
    return uv_buf_init(buffer.data(), static_cast<unsigned>(buffer.size()));
  }
  void onRead(size_t /*nread*/) override {}
  void onStreamEnd(int /*status*/) override {}
  void onDrained() override {
    ++drained;
    pending_when_drained = stream->pendingBytes();
    memory_when_drained = stream->outputMemory();
  }
  std::array<char, 64> buffer{};
  Stream* stream = nullptr;
  int drained = 0;
  size_t pending_when_drained = SIZE_MAX;
  size_t memory_when_drained = SIZE_MAX;
};

TEST(StreamDrain, OnDrainedOnceWhenThePeerHasTakenEverything) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  Loop loop;
  DrainEvents events;
  StreamPtr stream = Stream::create(loop, Stream::Kind::kUnix, &events);
  events.stream = stream.get();
  ASSERT_EQ(stream->open(fds[0]), 0);
  constexpr size_t kBytes = 8 << 20;  // far more than a socket buffer holds
  stream->write(std::string(kBytes, 'x'));
  // CLIENT LIST's rbs and rbp: the buffers holding unsent output, and the most it has been.
  EXPECT_GE(stream->outputMemory(), kBytes);
  EXPECT_EQ(stream->peakPendingBytes(), kBytes);

  size_t pending_when_asked = 0;
  size_t memory_when_asked = 0;
  size_t received = 0;
  int drained_before_reading = -1;
  TimerPtr ask = Timer::create(loop, [&] {
    pending_when_asked = stream->pendingBytes();
    memory_when_asked = stream->outputMemory();
    stream->notifyWhenDrained();
  });
  ask->start(5);
  uint64_t reader_started = loop.now();
  TimerPtr reader;
  reader = Timer::create(loop, [&] {
    if (drained_before_reading < 0) drained_before_reading = events.drained;
    char chunk[1 << 16];
    for (ssize_t n; (n = ::read(fds[1], chunk, sizeof chunk)) > 0;) {
      received += static_cast<size_t>(n);
    }
    if (received == kBytes || loop.now() > 5000 + reader_started) {
      stream.reset();
      ask.reset();
      reader.reset();  // last: this closes the timer whose callback this is
    }
  });
  reader->start(20, 2);
  loop.run();
  ::close(fds[1]);

  EXPECT_GT(pending_when_asked, 0u);  // the kernel could not take it all at once
  EXPECT_EQ(drained_before_reading, 0);
  EXPECT_EQ(received, kBytes);
  EXPECT_EQ(events.drained, 1);
  EXPECT_EQ(events.pending_when_drained, 0u);
  EXPECT_GE(memory_when_asked, pending_when_asked);  // what libuv holds counts
  EXPECT_EQ(events.memory_when_drained, 0u);
}

}  // namespace
}  // namespace shardis::net
