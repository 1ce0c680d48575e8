"""Pub/sub across three servers at some scale, and keyspace notifications (issue 16).

1,000 channels spread over the servers and 200 subscriber connections, some with patterns:
every published message reaches every matching subscriber exactly once and no one else, and
the PUBLISH counts, PUBSUB NUMSUB, CHANNELS and NUMPAT are what one direct redis-server would
say for the same clients. The expectation is computed here from the subscriptions, with
patterns simple enough that Python's fnmatchcase follows Redis's glob rules (*, ?, [..]).
"""
from fnmatch import fnmatchcase

import pytest

from harness import RawClient, encode_command, wait_until
from pubsub_support import (MODE, Target, confirm, message, parse, pmessage, push, quiet,
                            subscribe, wait_idle)

CHANNELS = [f"ch:{i}" for i in range(1000)]
PATTERNS = ["ch:1*", "ch:*7", "ch:2?", "ch:[35]0*"]


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


def subscriptions():
    """[(channels, patterns)] for 200 subscribers: 180 with 15 channels each (ch:0..899, three
    subscribers per channel), 20 with one or two patterns, five of those with channels too."""
    plan = []
    for k in range(180):
        plan.append(([f"ch:{i}" for i in range(900) if i % 60 == k % 60], []))
    for j in range(20):
        patterns = [PATTERNS[j % 4]] + ([PATTERNS[(j + 1) % 4]] if j % 3 == 0 else [])
        channels = [f"ch:{i}" for i in range(1000) if i % 200 == j] if j < 5 else []
        plan.append((channels, patterns))
    return plan


def expected_frames(plan, payload):
    """Per subscriber, the sorted frames one publish per channel should bring it."""
    out = []
    for channels, patterns in plan:
        frames = [message(ch, payload(ch)) for ch in channels]
        frames += [pmessage(p, ch, payload(ch)) for ch in CHANNELS for p in patterns
                   if fnmatchcase(ch, p)]
        out.append(sorted(frames))
    return out


def receivers(plan, channel):
    return sum((channel in chans) + sum(fnmatchcase(channel, p) for p in pats)
               for chans, pats in plan)


def test_1000_channels_200_subscribers_each_message_once(target):
    wait_idle(target.port)
    placed = target.locate(*CHANNELS)
    assert {placed[ch] for ch in CHANNELS} == set(target.names)
    plan = subscriptions()
    clients = [RawClient(target.port, timeout=10) for _ in plan]
    try:
        for c, (channels, patterns) in zip(clients, plan):
            if channels:
                assert subscribe(c, "SUBSCRIBE", *channels) == [
                    confirm("subscribe", ch, n + 1) for n, ch in enumerate(channels)]
            if patterns:
                assert subscribe(c, "PSUBSCRIBE", *patterns) == [
                    confirm("psubscribe", p, len(channels) + n + 1)
                    for n, p in enumerate(patterns)]

        def payload(ch):
            return f"payload of {ch}"

        with RawClient(target.port, timeout=10) as p:
            p.send(b"".join(encode_command("PUBLISH", ch, payload(ch)) for ch in CHANNELS))
            counts = p.read_replies(len(CHANNELS))
            wrong = [(ch, got) for ch, got in zip(CHANNELS, counts)
                     if got != b":%d\r\n" % receivers(plan, ch)]
            assert wrong == []

        for k, (c, want) in enumerate(zip(clients, expected_frames(plan, payload))):
            got = sorted(c.read_replies(len(want)))
            assert got == want, f"subscriber {k}"
        extra = {k: x for k, c in enumerate(clients) if (x := quiet(c, 0.02))}
        assert extra == {}

        with RawClient(target.port, timeout=10) as q:
            numsub = parse(q.call("PUBSUB", "NUMSUB", *CHANNELS))
            assert numsub == [x for ch in CHANNELS
                              for x in (ch.encode(), sum(ch in chans for chans, _ in plan))]
            subscribed = {ch for chans, _ in plan for ch in chans}
            assert sorted(parse(q.call("PUBSUB", "CHANNELS"))) == sorted(
                ch.encode() for ch in subscribed)
            assert sorted(parse(q.call("PUBSUB", "CHANNELS", "ch:1*"))) == sorted(
                ch.encode() for ch in subscribed if fnmatchcase(ch, "ch:1*"))
            assert q.call("PUBSUB", "NUMPAT") == b":%d\r\n" % len(PATTERNS)
    finally:
        for c in clients:
            c.close()


@pytest.fixture
def notifying(target):
    """Every server that holds keys notifies keyspace events (shardis does not set this)."""
    for server in target.backends:
        with server.client() as c:
            assert c.call("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    yield target
    for server in target.backends:
        with server.client() as c:
            c.call("CONFIG", "SET", "notify-keyspace-events", "")


def test_keyspace_notifications_from_every_server_once(notifying):
    target = notifying
    wait_idle(target.port)
    spread = target.names_on_each_server("ks", per_server=2)
    keys = [k for name in target.names for k in spread[name]]
    space, event = "__keyspace@0__:*", "__keyevent@0__:*"
    with RawClient(target.port) as s, RawClient(target.port) as w:
        assert subscribe(s, "PSUBSCRIBE", space, event) == [
            confirm("psubscribe", space, 1), confirm("psubscribe", event, 2)]
        for key in keys:
            assert w.call("SET", key, "1") == b"+OK\r\n"
            assert w.call("INCR", key) == b":2\r\n"
            assert w.call("DEL", key) == b":1\r\n"
        want = []
        for key in keys:
            for name in ("set", "incrby", "del"):
                want.append(pmessage(space, f"__keyspace@0__:{key}", name))
                want.append(pmessage(event, f"__keyevent@0__:{name}", key))
        got = s.read_replies(len(want))
        assert sorted(got) == sorted(want)
        # One server's events keep their order: set, incrby, del for each key.
        for key in keys:
            own = [parse(f)[3] for f in got if parse(f)[2] == f"__keyspace@0__:{key}".encode()]
            assert own == [b"set", b"incrby", b"del"], key
        assert quiet(s, 0.5) == b""


@pytest.mark.skipif(MODE == "redis", reason="about the proxy's own upstream connections")
def test_subscriptions_are_shared_upstream():
    """100 clients on the same channels and pattern cost the servers one subscriber connection
    per worker (two here), and the last client to leave takes the subscriptions away there."""
    with Target(args=("--threads", "2")) as target:
        a, b, c = target.one_on_each_server("shared:ch")
        clients = [RawClient(target.port) for _ in range(100)]
        try:
            for cl in clients:
                assert subscribe(cl, "SUBSCRIBE", a, b, c)[-1] == confirm("subscribe", c, 3)
                assert subscribe(cl, "PSUBSCRIBE", "shared:*") == [
                    confirm("psubscribe", "shared:*", 4)]
            for server, channel in zip(target.redis, (a, b, c)):
                with server.client() as d:
                    numsub = parse(d.call("PUBSUB", "NUMSUB", channel))[1]
                    assert 1 <= numsub <= 2, (server.port, numsub)
                    listed = len(parse(d.call("CLIENT", "LIST", "TYPE", "pubsub")).splitlines())
                    assert 1 <= listed <= 2, (server.port, listed)
            with RawClient(target.port) as p:
                assert p.call("PUBLISH", b, "x") == b":200\r\n"
                assert p.call("PUBSUB", "NUMSUB", b) == b"*2\r\n$%d\r\n%s\r\n:100\r\n" % (
                    len(b), b.encode())
            for cl in clients:
                assert cl.read_replies(2) == [message(b, "x"), pmessage("shared:*", b, "x")]
        finally:
            for cl in clients:
                cl.close()

        def upstream_gone():
            for server in target.redis:
                with server.client() as d:
                    if (d.call("PUBSUB", "NUMPAT") != b":0\r\n"
                            or d.call("PUBSUB", "CHANNELS") != b"*0\r\n"):
                        return False
            return True
        wait_until(upstream_gone, timeout=10, what="the servers to lose every subscription")


@pytest.mark.skipif(MODE == "redis", reason="about where the proxy places channels")
def test_channels_live_where_locate_says(target):
    """Each channel's upstream subscription is on the server `shardis locate` names for it
    (hash tags included), shard channels too, and a pattern is on every server; a message
    published straight into that server reaches the proxy's subscriber."""
    wait_idle(target.port)
    names = [f"where:{i * 2654435761 % 10**9}" for i in range(20)]
    names += [f"{{tag{i}}}:where" for i in range(10)] + [f"{{where}}:{i}" for i in range(3)]
    placed = target.locate(*names)
    assert {placed[n] for n in names} == set(target.names)
    with RawClient(target.port) as s, RawClient(target.port) as sh:
        subscribe(s, "SUBSCRIBE", *names)
        subscribe(s, "PSUBSCRIBE", "nothing:*")
        for name in names:
            assert subscribe(sh, "SSUBSCRIBE", name)[0] == confirm(
                "ssubscribe", name, names.index(name) + 1)
        for server_name, server in target.by_name.items():
            with server.client() as d:
                want = [x for n in names for x in (n.encode(), int(placed[n] == server_name))]
                assert parse(d.call("PUBSUB", "NUMSUB", *names)) == want, server_name
                assert parse(d.call("PUBSUB", "SHARDNUMSUB", *names)) == want, server_name
                assert d.call("PUBSUB", "NUMPAT") == b":1\r\n", server_name
        for name in names:
            with target.by_name[placed[name]].client() as d:
                assert d.call("PUBLISH", name, "straight in") == b":1\r\n"
                assert d.call("SPUBLISH", name, "straight in") == b":1\r\n"
            assert s.read_reply() == message(name, "straight in")
            assert sh.read_reply() == push("smessage", name, "straight in")
