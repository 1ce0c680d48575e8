"""Shared parts of the pub/sub tests (issue 16): the target they talk to, channel names placed
on each server, RESP frame builders and readers that tell a message that never came from one
that came twice.

The target is shardis in front of three redis-servers, or, with SHARDIS_PUBSUB_TARGET=redis,
one plain redis-server in the proxy's place. The second mode proves a test right: every test
must pass against Redis itself, which is the specification. Channel placement always comes
from `shardis locate` on the pool's config (the binary is only asked to read its config then),
so both modes use the same channel names.

Everything talks to 127.0.0.1 only; every wait is bounded.
"""
import os
import select
import shutil
import socket
import tempfile
import time

from harness import RawClient, RedisServer, Shardis, wait_until

MODE = os.environ.get("SHARDIS_PUBSUB_TARGET", "shardis")
POOL_OPTIONS = {"hash_tag": "{}", "timeout": 2000}


class Target:
    """Where the tests' clients connect ("the proxy"), and the servers that hold channels."""

    def __init__(self, process_options=None, args=(), redis_extra=(), mode=MODE,
                 pool_options=POOL_OPTIONS, prefix="shardis-pubsub-"):
        self.mode = mode
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.names = ["s1", "s2", "s3"]
        self.redis_extra = list(redis_extra)
        self.redis = [RedisServer(self.dir, extra=redis_extra) for _ in self.names]
        self.by_name = dict(zip(self.names, self.redis))
        self.process_options = dict(process_options or {})
        self.proxy = Shardis(self.dir, list(zip(self.names, self.redis)), pool_options,
                             self.process_options, args)
        # `shardis locate` reads only the pool; a config without the process options keeps it
        # usable when a binary does not know one of them yet.
        self.placement = Shardis(self.dir, self.proxy.servers, POOL_OPTIONS, None)
        self.placement.config_path = os.path.join(self.dir, "placement.yml")
        self.lone = None

    def __enter__(self):
        try:
            with open(self.placement.config_path, "w") as f:
                f.write(self.placement.config_text())
            if self.mode == "redis":
                self.lone = RedisServer(self.dir, extra=self._redis_equivalents()).start()
            else:
                for r in self.redis:
                    r.start()
                self.proxy.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None and self.lone is None:
                self.proxy.stop()
        finally:
            self.cleanup()

    def cleanup(self):
        if self.proxy.proc is not None and self.proxy.proc.poll() is None:
            self.proxy.proc.kill()
            self.proxy.proc.wait()
        for r in self.redis + ([self.lone] if self.lone else []):
            r.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _redis_equivalents(self):
        """The redis.conf lines that stand for the proxy's own settings in redis mode."""
        limit = self.process_options.get("client_output_buffer_limit_pubsub")
        return ["--client-output-buffer-limit", f"pubsub {limit}"] if limit else []

    @property
    def port(self):
        return self.lone.port if self.lone else self.proxy.port

    @property
    def pid(self):
        return self.lone.proc.pid if self.lone else self.proxy.proc.pid

    @property
    def backends(self):
        """The redis-servers that hold channels (all three, or the lone one in redis mode)."""
        return [self.lone] if self.lone else list(self.redis)

    def client(self, timeout=5.0):
        return RawClient(self.port, timeout=timeout)

    def locate(self, *names):
        """{name: server name} for channels, by the pool's own placement."""
        found = {}
        for i in range(0, len(names), 500):
            found.update(self.placement.locate(*names[i:i + 500]))
        return found

    def server_of(self, channel):
        """The redis-server a channel lives on."""
        return self.lone or self.by_name[self.locate(channel)[channel]]

    def names_on_each_server(self, prefix, per_server=1):
        """{server name: [per_server channel names that hash there]}, s1, s2, s3."""
        # fnv1a_64 on ketama puts names that differ in their last digit close together on the
        # ring: numbers scattered over a wide range reach every server quickly.
        candidates = [f"{prefix}:{i * 2654435761 % 10**9}" for i in range(60 + 20 * per_server)]
        placed = self.locate(*candidates)
        found = {name: [] for name in self.names}
        for channel in candidates:
            if len(found[placed[channel]]) < per_server:
                found[placed[channel]].append(channel)
        assert all(len(v) == per_server for v in found.values()), found
        return found

    def one_on_each_server(self, prefix):
        """[channel on s1, channel on s2, channel on s3]."""
        spread = self.names_on_each_server(prefix)
        return [spread[name][0] for name in self.names]


def wait_idle(port, timeout=5.0):
    """Waits until a server (or the proxy) reports no channel, shard channel or pattern, so a
    test does not count what the previous one left. Returns at once on an error reply: the
    test itself then shows the refusal."""
    with RawClient(port) as c:
        def idle():
            numpat = c.call("PUBSUB", "NUMPAT")
            if numpat.startswith(b"-"):
                return True
            return (numpat == b":0\r\n" and c.call("PUBSUB", "CHANNELS") == b"*0\r\n"
                    and c.call("PUBSUB", "SHARDCHANNELS") == b"*0\r\n")
        wait_until(idle, timeout=timeout, what=f"no subscriptions left on port {port}")


# ---- RESP frames ---------------------------------------------------------------------------

def _b(x):
    if isinstance(x, int):
        return str(x).encode()
    return x.encode() if isinstance(x, str) else x


def bulk(x):
    if x is None:
        return b"$-1\r\n"
    x = _b(x)
    return b"$%d\r\n%s\r\n" % (len(x), x)


def push(kind, *parts):
    """A pub/sub frame: kind, bulk strings, and a trailing integer when the last part is one."""
    out = [b"*%d\r\n" % (len(parts) + 1), bulk(kind)]
    for p in parts:
        out.append(b":%d\r\n" % p if isinstance(p, int) else bulk(p))
    return b"".join(out)


def confirm(kind, channel, count):
    return push(kind, channel, count)


def message(channel, payload):
    return push("message", channel, payload)


def pmessage(pattern, channel, payload):
    return push("pmessage", pattern, channel, payload)


def smessage(channel, payload):
    return push("smessage", channel, payload)


PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def subscribed_mode_error(command):
    return (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            b"RESET are allowed in this context\r\n" % command.encode())


def parse(frame):
    """A RESP2 reply as Python values: bytes, int, None, list, or ('error', text)."""
    value, end = _parse(frame, 0)
    assert end == len(frame), frame
    return value


def _parse(data, pos):
    end = data.index(b"\r\n", pos)
    kind, head = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return head, pos
    if kind == b"-":
        return ("error", head), pos
    if kind == b":":
        return int(head), pos
    if kind == b"$":
        n = int(head)
        if n < 0:
            return None, pos
        return data[pos:pos + n], pos + n + 2
    if kind == b"*":
        n = int(head)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            item, pos = _parse(data, pos)
            items.append(item)
        return items, pos
    raise AssertionError(f"not RESP2: {data[pos - 1:pos + 40]!r}")


def quiet(client, seconds=0.3):
    """The bytes that arrive within `seconds` (b"" when nothing does): what a subscriber got
    beyond what the test expected."""
    extra = client.buf
    client.buf = b""
    client.sock.settimeout(seconds)
    try:
        while True:
            chunk = client.sock.recv(1 << 16)
            if not chunk:
                return extra + b"<EOF>"
            extra += chunk
    except socket.timeout:
        return extra
    finally:
        client.sock.settimeout(5.0)


def split_frames(buf):
    """(complete RESP2 frames at the start of buf, the rest)."""
    frames, pos = [], 0
    while True:
        end = _complete(buf, pos)
        if end is None:
            return frames, buf[pos:]
        frames.append(buf[pos:end])
        pos = end


def _complete(buf, pos):
    """The end of the frame starting at pos, or None when it has not all arrived."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind, n = buf[pos:pos + 1], end + 2
    if kind == b"$":
        size = int(buf[pos + 1:end])
        return n if size < 0 else (n + size + 2 if n + size + 2 <= len(buf) else None)
    if kind == b"*":
        for _ in range(max(int(buf[pos + 1:end]), 0)):
            n = _complete(buf, n)
            if n is None:
                return None
    return n


def drain(clients, total, timeout=10.0):
    """Reads the subscribers until `total` frames came over all of them (or `timeout`), then
    briefly more: [frames of each client]. For a test that knows how many deliveries there
    are (the sum of PUBLISH counts) but not who gets which."""
    got = [[] for _ in clients]
    deadline = time.monotonic() + timeout
    while sum(map(len, got)) < total and time.monotonic() < deadline:
        ready, _, _ = select.select([c.sock for c in clients], [], [], 0.1)
        for k, c in enumerate(clients):
            if c.sock in ready:
                chunk = c.sock.recv(1 << 16)
                c.buf += chunk if chunk else b"<EOF>\r\n"
            frames, c.buf = split_frames(c.buf)
            got[k] += frames
    for k, c in enumerate(clients):
        extra = quiet(c, 0.05)
        if extra:
            got[k].append(extra)
    return got


def subscribe(client, command, *channels):
    """Sends (P|S)SUBSCRIBE and reads one confirmation per argument (or the one error)."""
    client.send_command(command, *channels)
    first = client.read_reply()
    if first.startswith(b"-"):
        return [first]
    return [first] + client.read_replies(len(channels) - 1)


def sorted_array(reply):
    """The elements of an array reply, sorted (an error reply as it came)."""
    return reply if reply.startswith(b"-") else ("sorted", sorted(parse(reply)))


__all__ = ["MODE", "Target", "wait_idle", "bulk", "push", "confirm", "message",
           "pmessage", "smessage", "PONG", "subscribed_mode_error", "parse", "quiet",
           "subscribe", "sorted_array", "split_frames", "drain"]
