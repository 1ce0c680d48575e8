"""Client-side caching through shardis beyond what one redis-server can show: a tracking
client's own connection to a server is lost (the server's tracking goes with it), and the
refusals of what a proxy cannot offer (REDIRECT, OPTIN/OPTOUT). shardis only: in
SHARDIS_RESP3_TARGET=redis mode these are skipped.
"""
import itertools

import pytest

from harness import RawClient
from resp3_support import RESP3_SKIP, Target, connect3, invalidate, quiet

pytestmark = RESP3_SKIP

_names = itertools.count()
INVALIDATE_ALL = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        if t.lone:
            pytest.skip("about the proxy's own connections")
        yield t


@pytest.fixture
def keys(target):
    target.flushall()
    return target.one_on_each_server(f"r3t{next(_names)}")


def kill_tracking_connections(target, server):
    """Closes, on the server, the proxy's connections that track keys (flags contain t)."""
    with target.backend_client(server) as admin:
        listing = admin.call("CLIENT", "LIST").decode()
        ids = [line.split()[0].split("=")[1] for line in listing.splitlines()
               if " flags=t" in line]
        assert ids, listing
        for client_id in ids:
            admin.call("CLIENT", "KILL", "ID", client_id)


def test_lost_connection_invalidates_everything_and_tracks_again(target, keys):
    """What the client cached may have changed while the server was out of reach: it hears
    Redis's "invalidate everything" push, and what it reads afterwards is tracked again."""
    key, other, _ = keys
    with connect3(target.port) as tracker, RawClient(target.port) as writer:
        writer.call("SET", key, "old")
        writer.call("SET", other, "kept")
        assert tracker.call("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
        assert tracker.call("GET", key) == b"$3\r\nold\r\n"
        assert tracker.call("GET", other) == b"$4\r\nkept\r\n"
        kill_tracking_connections(target, target.server_of(key))
        assert tracker.read_reply() == INVALIDATE_ALL
        assert tracker.call("GET", key) == b"$3\r\nold\r\n"
        assert writer.call("SET", key, "new") == b"+OK\r\n"
        assert tracker.read_reply() == invalidate(key)
        # The other server's tracking was never lost.
        assert writer.call("SET", other, "changed") == b"+OK\r\n"
        assert tracker.read_reply() == invalidate(other)
        assert quiet(tracker, 0.2) == b""


def test_what_a_proxy_cannot_track_is_refused(target):
    with connect3(target.port) as client, RawClient(target.port) as resp2:
        for command in (("ON", "REDIRECT", resp2.call("CLIENT", "ID").decode()[1:-2]),
                        ("ON", "OPTIN"), ("ON", "OPTOUT"), ("ON", "BCAST", "OPTIN")):
            reply = client.call("CLIENT", "TRACKING", *command)
            assert reply.startswith(b"-ERR CLIENT TRACKING ") and b"not supported" in reply, reply
        # A prefix named like an option is a prefix.
        assert client.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "optin") == b"+OK\r\n"
        # The servers' own words: never in OPTIN mode through the proxy.
        assert client.call("CLIENT", "CACHING", "yes") == (
            b"-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n")
        info = client.call("CLIENT", "INFO").decode()
        assert " flags=tB " in info and " redir=0 " in info and " resp=3" in info, info
