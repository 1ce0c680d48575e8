"""Pub/sub through the proxy with real client libraries (issue 16): redis-py's PubSub object
(Debian's python3-redis) subscribes, pattern-subscribes, polls with get_message, pings and
unsubscribes; ioredis does the same with shard channels too; channels on each of the three
servers.
"""
import os
import shutil
import subprocess
import time

import pytest
import redis

from harness import HOST
from pubsub_support import Target, wait_idle

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


def messages(pubsub, n, timeout=5.0):
    """The next n messages get_message hands out, as (type, pattern, channel, data)."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        m = pubsub.get_message(timeout=0.2)
        if m is not None:
            got.append((m["type"], m["pattern"], m["channel"], m["data"]))
    return got


def test_redis_py_pubsub_subscribe_poll_unsubscribe(target):
    wait_idle(target.port)
    a, b, c = target.one_on_each_server("py:ch")
    ea, eb, ec = a.encode(), b.encode(), c.encode()
    r = redis.Redis(host=HOST, port=target.port, socket_timeout=5)
    pubsub = r.pubsub()
    try:
        pubsub.subscribe(a, b)
        pubsub.psubscribe("py:*")
        assert messages(pubsub, 3) == [("subscribe", None, ea, 1), ("subscribe", None, eb, 2),
                                       ("psubscribe", None, b"py:*", 3)]
        assert r.publish(a, "one") == 2
        assert r.publish(c, "two") == 1
        assert r.publish("elsewhere", "none") == 0
        # Sorted: messages of channels on different servers may come in either order.
        assert sorted(messages(pubsub, 3)) == sorted([("message", None, ea, b"one"),
                                                      ("pmessage", b"py:*", ea, b"one"),
                                                      ("pmessage", b"py:*", ec, b"two")])
        assert r.pubsub_numsub(a, b, c) == [(ea, 1), (eb, 1), (ec, 0)]
        assert r.pubsub_numpat() == 1
        assert sorted(r.pubsub_channels()) == sorted([ea, eb])

        pubsub.ping("still here")
        assert messages(pubsub, 1) == [("pong", None, None, b"still here")]

        pubsub.unsubscribe(a)
        assert messages(pubsub, 1) == [("unsubscribe", None, ea, 2)]
        assert r.publish(a, "three") == 1  # the pattern only
        assert r.publish(b, "four") == 2
        assert sorted(messages(pubsub, 3)) == sorted([("pmessage", b"py:*", ea, b"three"),
                                                      ("message", None, eb, b"four"),
                                                      ("pmessage", b"py:*", eb, b"four")])
        pubsub.punsubscribe()
        pubsub.unsubscribe()
        assert messages(pubsub, 2) == [("punsubscribe", None, b"py:*", 1),
                                       ("unsubscribe", None, eb, 0)]
        assert r.publish(b, "five") == 0
        assert messages(pubsub, 1, timeout=0.5) == []
        assert r.set(a, "normal mode") is True  # the same proxy, other connections
    finally:
        pubsub.close()
        r.close()


def test_redis_py_many_subscribers_with_handlers(target):
    """Ten PubSub objects with handlers, each with its own channels on every server, polled in
    turn with get_message: every message reaches its own subscriber's handler only."""
    wait_idle(target.port)
    spread = target.names_on_each_server("pyh:ch", per_server=10)
    channels = [ch for name in target.names for ch in spread[name]]
    r = redis.Redis(host=HOST, port=target.port, socket_timeout=5)
    subscribers = [r.pubsub(ignore_subscribe_messages=True) for _ in range(10)]
    received = {k: [] for k in range(10)}
    try:
        for k, ps in enumerate(subscribers):
            mine = channels[k::10]
            ps.subscribe(**{ch: (lambda m, k=k: received[k].append((m["channel"], m["data"])))
                            for ch in mine})
            for _ in range(len(mine)):  # one confirmation per call, swallowed
                assert ps.get_message(timeout=2) is None
        for ch in channels:
            assert r.publish(ch, f"to {ch}") == 1
        deadline = time.monotonic() + 10
        while sum(map(len, received.values())) < len(channels) and time.monotonic() < deadline:
            for ps in subscribers:
                ps.get_message(timeout=0.01)
        for k in range(10):
            assert sorted(received[k]) == sorted((ch.encode(), f"to {ch}".encode())
                                                 for ch in channels[k::10]), k
    finally:
        for ps in subscribers:
            ps.close()
        r.close()


def test_ioredis_pubsub(target):
    if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "node_modules",
                                                                   "ioredis")):
        pytest.fail("ioredis is missing: run scripts/install-node-clients.sh")
    wait_idle(target.port)
    channels = target.one_on_each_server("io:ch")
    result = subprocess.run(["node", os.path.join(HERE, "ioredis_pubsub.js"), str(target.port),
                             *channels, "io:*"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
