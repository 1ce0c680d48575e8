"""Shared parts of the RESP3 tests (issue 17): the target they talk to, keys placed on each
server, whether the shardis binary speaks RESP3 yet, and a RESP3 reader.

The target is shardis in front of three redis-servers, or, with SHARDIS_RESP3_TARGET=redis,
one plain redis-server in the proxy's place. The second mode proves a test right: every test
must pass against Redis itself, which is the specification. Key placement always comes from
`shardis locate` on the pool's config (the binary only reads its config then), so both modes
use the same keys.

Until shardis answers `HELLO 3` with anything but -NOPROTO, the RESP3 test modules skip
themselves (see RESP3_SKIP): they turn on by themselves once RESP3 lands.

Everything talks to 127.0.0.1 only; every wait is bounded.
"""
import functools
import os

import pytest

import pubsub_support
from harness import Cluster, RawClient, bulk_elements
from pubsub_support import quiet  # noqa: F401 (the RESP3 tests import it from here)

MODE = os.environ.get("SHARDIS_RESP3_TARGET", "shardis")
POOL_OPTIONS = {"hash_tag": "{}", "timeout": 2000}
NOPROTO = b"-NOPROTO unsupported protocol version\r\n"


@functools.lru_cache(maxsize=None)
def resp3_landed():
    """True once a freshly started shardis answers HELLO 3 with anything but -NOPROTO (a
    half-done answer counts as landed, so that the tests run and show what is wrong)."""
    with Cluster(1, pool_options={"timeout": 2000}) as c, c.proxy.client() as client:
        return client.call("HELLO", "3") != NOPROTO


# Every RESP3 test module sets `pytestmark = RESP3_SKIP`. The short circuit keeps redis mode
# from starting shardis at import time.
RESP3_SKIP = pytest.mark.skipif(MODE != "redis" and not resp3_landed(),
                                reason="issue 17: RESP3 not implemented yet")


class Target(pubsub_support.Target):
    """Where the tests' clients connect ("the proxy"), and the servers that hold the keys; the
    pub/sub tests' target, in this module's mode, with an optional password everywhere."""

    def __init__(self, password=None):
        redis_extra = ["--requirepass", password] if password else []
        pool = dict(POOL_OPTIONS, **({"redis_auth": password} if password else {}))
        super().__init__(redis_extra=redis_extra, mode=MODE, pool_options=pool,
                         prefix="shardis-resp3-")
        self.password = password

    def _redis_equivalents(self):
        return self.redis_extra

    def backend_client(self, server):
        """A direct connection to a backend (authenticated when the pool has a password)."""
        client = server.client()
        if self.password:
            assert client.call("AUTH", self.password) == b"+OK\r\n"
        return client

    def flushall(self):
        for server in self.backends:
            with self.backend_client(server) as c:
                c.call("FLUSHALL")

    def server_of(self, key):
        """The redis-server that holds a key (the lone one in redis mode)."""
        return self.lone or self.by_name[self.placement.locate(key)[key]]

    def one_on_each_server(self, prefix):
        """[key on s1, key on s2, key on s3], named prefix:<number>."""
        # Numbers scattered over a wide range reach every server quickly on the ketama ring.
        candidates = [f"{prefix}:{i * 2654435761 % 10**9}" for i in range(100)]
        placed = self.placement.locate(*candidates)
        found = {}
        for key in candidates:
            found.setdefault(placed[key], key)
        assert set(found) == set(self.names), placed
        return [found[name] for name in self.names]


def hello3(client, *options):
    """Switches a raw client to RESP3; returns the HELLO reply (a map, asserted)."""
    reply = client.call("HELLO", "3", *options)
    assert reply.startswith(b"%7\r\n"), reply
    return reply


def connect3(port, timeout=5.0):
    client = RawClient(port, timeout=timeout)
    hello3(client)
    return client


# ---- RESP3 values ----------------------------------------------------------------------------

def parse(frame):
    """A RESP3 (or RESP2) reply as Python values that keep the type: bytes for a simple or bulk
    string, int, None for any null, ("error", text), ("double", text), ("bool", b),
    ("big", text), ("verbatim", format, text), ("map", [(k, v)]), ("set", [...]),
    ("push", [...]), lists for arrays. ("attr", ...) would show an attribute."""
    value, end = _parse(frame, 0)
    assert end == len(frame), frame
    return value


_AGGREGATES = {b"*": None, b"~": "set", b">": "push"}


def _parse(data, pos):
    end = data.index(b"\r\n", pos)
    kind, head = data[pos:pos + 1], data[pos + 1:end]
    pos = end + 2
    simple = {b"+": lambda: head, b"-": lambda: ("error", head), b":": lambda: int(head),
              b"_": lambda: None, b",": lambda: ("double", head),
              b"#": lambda: ("bool", head == b"t"), b"(": lambda: ("big", head)}
    if kind in simple:
        return simple[kind](), pos
    if kind in b"$=!":
        n = int(head)
        if n < 0:
            return None, pos
        body = data[pos:pos + n]
        value = body
        if kind == b"=":
            value = ("verbatim", body[:3], body[4:])
        elif kind == b"!":
            value = ("error", body)
        return value, pos + n + 2
    n = int(head)
    if n < 0:
        return None, pos
    items = []
    for _ in range(n * 2 if kind in b"%|" else n):
        item, pos = _parse(data, pos)
        items.append(item)
    if kind in b"%|":
        return (("map" if kind == b"%" else "attr"), list(zip(items[::2], items[1::2]))), pos
    if kind in _AGGREGATES:
        tag = _AGGREGATES[kind]
        return (items if tag is None else (tag, items)), pos
    raise AssertionError(f"not RESP: {data[pos - 1:pos + 40]!r}")


def unordered(frame):
    """A flat array or set reply with its elements sorted, the type header kept (Redis 7.0's
    sets of strings come in an order seeded per process)."""
    return frame[:1], sorted(bulk_elements(frame, kinds=b"*~"))


def bulk(x):
    if isinstance(x, str):
        x = x.encode()
    return b"$%d\r\n%s\r\n" % (len(x), x)


def push(kind, *parts):
    """A RESP3 push frame: kind, then bulk strings, integers (int) and nulls (None)."""
    out = [b">%d\r\n" % (len(parts) + 1), bulk(kind)]
    for p in parts:
        if p is None:
            out.append(b"_\r\n")
        elif isinstance(p, int):
            out.append(b":%d\r\n" % p)
        else:
            out.append(bulk(p))
    return b"".join(out)


def invalidate(*keys):
    """The push a tracking client gets when keys it read change."""
    return (b">2\r\n$10\r\ninvalidate\r\n*%d\r\n" % len(keys)) + b"".join(bulk(k) for k in keys)
