"""Pub/sub when things go wrong (issue 16): a server killed and restarted on its port gets its
channels and patterns back from the proxy without the client doing anything, and a subscriber
that never reads is closed at `client_output_buffer_limit_pubsub`, like Redis's
`client-output-buffer-limit pubsub`, while the others get every message.

RSS is read from /proc/PID/status. The proxy runs with a small AddressSanitizer quarantine here
(ASan keeps 256 MiB of freed memory by default, which RSS would count); the bounds are generous
yet far below what an unbounded subscriber buffer holds. Every loop is bounded in time.
"""
import signal
import socket
import threading
import time

import pytest

from harness import HOST, RawClient, encode_command, rss_bytes, wait_until
from test_admin_limits import small_quarantine  # noqa: F401 (a fixture)
from pubsub_support import (MODE, PONG, Target, confirm, message, pmessage, quiet, subscribe,
                            wait_idle)

MIB = 1 << 20


@pytest.mark.skipif(MODE == "redis", reason="needs a proxy between the client and the server "
                                            "that is killed")
def test_killed_server_gets_its_subscriptions_back():
    with Target() as target:
        a, b, c = target.one_on_each_server("kill:ch")
        pattern = "kill:*"
        victim = target.server_of(b)
        with RawClient(target.port) as s, RawClient(target.port) as p:
            assert subscribe(s, "SUBSCRIBE", a, b, c) == [
                confirm("subscribe", ch, n + 1) for n, ch in enumerate((a, b, c))]
            assert subscribe(s, "PSUBSCRIBE", pattern) == [confirm("psubscribe", pattern, 4)]
            assert p.call("PUBLISH", b, "before") == b":2\r\n"
            assert s.read_replies(2) == [message(b, "before"), pmessage(pattern, b, "before")]

            victim.kill(signal.SIGKILL)
            victim.start()  # same port, empty: nothing subscribed there

            def resubscribed():
                with victim.client() as d:
                    return (d.call("PUBSUB", "NUMSUB", b) != b"*2\r\n$%d\r\n%s\r\n:0\r\n" % (
                        len(b), b.encode()) and d.call("PUBSUB", "NUMPAT") != b":0\r\n")
            wait_until(resubscribed, timeout=15, interval=0.1,
                       what="the proxy to subscribe again on the restarted server")

            with victim.client() as d:  # straight into the restarted server
                assert d.call("PUBLISH", b, "direct") != b":0\r\n"
            assert s.read_replies(2) == [message(b, "direct"), pmessage(pattern, b, "direct")]

            # Through the proxy: its ordinary connection to the victim may have to come back
            # first, and a publish it refused reached no one.
            deadline = time.monotonic() + 10
            reply = p.call("PUBLISH", b, "after")
            while reply.startswith(b"-") and time.monotonic() < deadline:
                time.sleep(0.1)
                reply = p.call("PUBLISH", b, "after")
            assert reply == b":2\r\n"
            assert s.read_replies(2) == [message(b, "after"), pmessage(pattern, b, "after")]
            for ch in (a, c):
                assert p.call("PUBLISH", ch, "others") == b":2\r\n"
                assert s.read_replies(2) == [message(ch, "others"), pmessage(pattern, ch, "others")]
            assert p.call("PUBSUB", "NUMSUB", a, b, c) == b"*6\r\n" + b"".join(
                b"$%d\r\n%s\r\n:1\r\n" % (len(ch), ch.encode()) for ch in (a, b, c))
            assert p.call("PUBSUB", "NUMPAT") == b":1\r\n"
            assert quiet(s) == b""
            assert s.call("PING") == PONG  # the same connection, still subscribed


def slow_socket(port):
    """A client socket with a small receive buffer, so the kernel absorbs little for it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(10)
    sock.connect((HOST, port))
    return RawClient(sock=sock)


class Reader(threading.Thread):
    """Reads a subscriber's socket until `size` bytes came, EOF, or `timeout` seconds."""

    def __init__(self, client, size, timeout=60.0):
        super().__init__(daemon=True)
        self.client, self.size, self.timeout = client, size, timeout
        self.data = bytearray(client.buf)

    def run(self):
        deadline = time.monotonic() + self.timeout
        self.client.sock.settimeout(1.0)
        while len(self.data) < self.size and time.monotonic() < deadline:
            try:
                chunk = self.client.sock.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                return
            self.data += chunk


def first_difference(a, b):
    n = min(len(a), len(b))
    i = next((k for k in range(n) if a[k] != b[k]), n)
    return f"first difference at byte {i} of {len(a)}/{len(b)}: {bytes(a[i:i + 60])!r}"


def run_slow_subscriber(limit, messages, value_bytes, peak_bound, settle_bound):
    options = {"client_output_buffer_limit_pubsub": limit} if limit else {}
    with Target(process_options=options) as target:
        wait_idle(target.port)
        channel = target.one_on_each_server("slow:ch")[1]
        pid = target.pid
        slow, fast = slow_socket(target.port), RawClient(target.port, timeout=10)
        try:
            for c in (slow, fast):
                assert subscribe(c, "SUBSCRIBE", channel) == [confirm("subscribe", channel, 1)]
            filler = b"p" * (value_bytes - 8)
            payloads = [b"%08d" % i + filler for i in range(messages)]
            expected = b"".join(message(channel, v) for v in payloads)
            reader = Reader(fast, len(expected))
            reader.start()
            time.sleep(0.5)
            baseline = peak = rss_bytes(pid)
            counts = []
            with RawClient(target.port, timeout=30) as p:
                for i in range(0, messages, 16):
                    batch = payloads[i:i + 16]
                    p.send(b"".join(encode_command("PUBLISH", channel, v) for v in batch))
                    counts += p.read_replies(len(batch))
                    peak = max(peak, rss_bytes(pid))
            reader.join(70)
            assert len(reader.data) == len(expected) and reader.data == expected, \
                first_difference(reader.data, expected)
            # Two receivers until the slow one was closed, then one.
            assert set(counts) <= {b":2\r\n", b":1\r\n"}, set(counts)
            assert counts == sorted(counts, reverse=True) and counts[-1] == b":1\r\n", counts[:5]
            assert slow.closed_by_peer(timeout=10), "the slow subscriber is still connected"
            assert expected.startswith(slow.buf), first_difference(slow.buf, expected)
            assert len(slow.buf) < len(expected) // 2, len(slow.buf)
            grown = peak - baseline
            assert grown < peak_bound, f"RSS grew by {grown / MIB:.0f} MiB at its peak"
            try:
                wait_until(lambda: rss_bytes(pid) - baseline < settle_bound, timeout=12,
                           interval=0.25, what="RSS back near its baseline")
            except TimeoutError:
                raise AssertionError(f"RSS {(rss_bytes(pid) - baseline) / MIB:.0f} MiB above "
                                     f"baseline 12 s after (peak +{grown / MIB:.0f} MiB)")
            with RawClient(target.port) as q:
                assert q.call("PUBSUB", "NUMSUB", channel) == b"*2\r\n$%d\r\n%s\r\n:1\r\n" % (
                    len(channel), channel.encode())
        finally:
            slow.close()
            fast.close()


def test_slow_subscriber_closed_at_a_small_limit(small_quarantine):
    """64 MiB published to a subscriber that never reads, at a 4mb hard limit."""
    run_slow_subscriber("4mb 1mb 60", messages=1024, value_bytes=64 * 1024,
                        peak_bound=32 * MIB, settle_bound=16 * MIB)


def test_slow_subscriber_closed_at_the_default_limit(small_quarantine):
    """100 MiB published with no setting: the default is Redis's (32mb hard, 8mb soft over
    60 s)."""
    run_slow_subscriber(None, messages=1600, value_bytes=64 * 1024,
                        peak_bound=72 * MIB, settle_bound=16 * MIB)


def test_slow_subscriber_closed_by_the_soft_limit(small_quarantine):
    """`64mb 1mb 1`: a subscriber that owes more than 1 MiB for more than a second is closed
    at the next message for it, far below the hard limit; the reading one gets everything."""
    with Target(process_options={"client_output_buffer_limit_pubsub": "64mb 1mb 1"}) as target:
        wait_idle(target.port)
        channel = target.one_on_each_server("soft:ch")[2]
        slow, fast = slow_socket(target.port), RawClient(target.port, timeout=10)
        try:
            for c in (slow, fast):
                assert subscribe(c, "SUBSCRIBE", channel) == [confirm("subscribe", channel, 1)]
            payloads = [b"%08d" % i + b"s" * (64 * 1024 - 8) for i in range(192)]  # 12 MiB
            payloads.append(b"last")
            expected = b"".join(message(channel, v) for v in payloads)
            reader = Reader(fast, len(expected) + len(message(channel, "after")))
            reader.start()
            with RawClient(target.port, timeout=30) as p:
                p.send(b"".join(encode_command("PUBLISH", channel, v) for v in payloads[:-1]))
                assert set(p.read_replies(len(payloads) - 1)) == {b":2\r\n"}
                time.sleep(2.0)  # over the soft limit for longer than its second
                assert p.call("PUBLISH", channel, payloads[-1]) in (b":2\r\n", b":1\r\n")
                assert slow.closed_by_peer(timeout=5), "the slow subscriber is still connected"
                assert expected.startswith(slow.buf), first_difference(slow.buf, expected)
                assert p.call("PUBLISH", channel, "after") == b":1\r\n"
            expected += message(channel, "after")
            reader.join(30)
            assert reader.data == expected, first_difference(reader.data, expected)
        finally:
            slow.close()
            fast.close()


@pytest.mark.skipif(MODE == "redis", reason="needs a proxy that ejects a server")
def test_an_ejected_server_keeps_its_channels():
    """With auto_eject_hosts a key moves to another server while its own is ejected; a channel
    does not, or a subscriber that came before the ejection and a publisher that came during
    it would be on different servers. PUBLISH then gets the down server's error, and once it
    is back the subscriber gets messages again, without doing anything."""
    from harness import Cluster
    options = {"auto_eject_hosts": True, "server_failure_limit": 1,
               "server_retry_timeout": 300, "timeout": 500}
    with Cluster(3, pool_options=options, args=("--threads", "1")) as c:
        channel = next(f"eject:{i}" for i in range(100)
                       if c.proxy.locate(f"eject:{i}")[f"eject:{i}"] == "s2")
        victim = c.by_name["s2"]
        with RawClient(c.proxy.port) as s, RawClient(c.proxy.port) as p:
            assert subscribe(s, "SUBSCRIBE", channel) == [confirm("subscribe", channel, 1)]
            victim.kill(signal.SIGKILL)
            # A request to the dead server gets it ejected.
            wait_until(lambda: p.call("PUBLISH", channel, "x").startswith(b"-ERR server s2"),
                       timeout=10, what="PUBLISH to fail on the dead server")
            # Still s2's while s2 is ejected: refused, not published on another server.
            for _ in range(5):
                assert p.call("PUBLISH", channel, "during").startswith(b"-ERR server s2")
                time.sleep(0.1)
            victim.start()
            deadline = time.monotonic() + 15
            reply = p.call("PUBLISH", channel, "after")
            while reply != b":1\r\n" and time.monotonic() < deadline:
                time.sleep(0.1)
                reply = p.call("PUBLISH", channel, "after")
            assert reply == b":1\r\n"
            assert s.read_reply() == message(channel, "after")


# Keeps a redis-server busy for ARGV[1] milliseconds: it reads nothing meanwhile.
_BUSY_SCRIPT = ("local s = redis.call('TIME') "
                "local stop = s[1] * 1000000 + s[2] + tonumber(ARGV[1]) * 1000 "
                "while true do local t = redis.call('TIME') "
                "if t[1] * 1000000 + t[2] >= stop then return 1 end end")


@pytest.mark.skipif(MODE == "redis", reason="needs a proxy between the client and the server "
                                            "that is killed")
def test_unsubscribe_waiting_for_a_killed_server_is_answered():
    """A last UNSUBSCRIBE or PUNSUBSCRIBE is answered once its server has left the name; a
    server killed before it read the proxy's UNSUBSCRIBE no longer counts anything, so the
    client is answered then, and the proxy does not count that subscription any more."""
    with Target() as target:
        a, b, c = target.one_on_each_server("gone:ch")
        pattern = "gone:*"
        victim = target.server_of(b)
        with RawClient(target.port) as s, RawClient(target.port) as p:
            assert subscribe(s, "SUBSCRIBE", b) == [confirm("subscribe", b, 1)]
            assert subscribe(s, "PSUBSCRIBE", pattern) == [confirm("psubscribe", pattern, 2)]
            busy = victim.client()
            assert busy.call("PING") == b"+PONG\r\n"
            busy.send_command("EVAL", _BUSY_SCRIPT, "0", "3000")
            time.sleep(0.05)  # the script runs: the victim reads nothing for a while
            s.send(encode_command("UNSUBSCRIBE", b) + encode_command("PUNSUBSCRIBE", pattern))
            s.sock.settimeout(0.3)
            with pytest.raises(socket.timeout):  # the victim has not read the UNSUBSCRIBE
                s.read_reply()
            s.sock.settimeout(5)
            victim.kill(signal.SIGKILL)
            busy.close()
            assert s.read_replies(2) == [confirm("unsubscribe", b, 1),
                                         confirm("punsubscribe", pattern, 0)]
            assert s.call("PING") == b"+PONG\r\n"  # no longer subscribed

            victim.start()  # same port, empty
            with victim.client() as y:  # a subscriber of the victim's own
                assert subscribe(y, "SUBSCRIBE", b) == [confirm("subscribe", b, 1)]
                deadline = time.monotonic() + 10
                reply = p.call("PUBLISH", b, "after")
                while reply.startswith(b"-") and time.monotonic() < deadline:
                    time.sleep(0.1)
                    reply = p.call("PUBLISH", b, "after")
                assert reply == b":1\r\n"
                assert p.call("PUBSUB", "NUMSUB", b) == b"*2\r\n$%d\r\n%s\r\n:1\r\n" % (
                    len(b), b.encode())
            assert quiet(s) == b""
