"""Shard channels (SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE, PUBSUB SHARD*) through the proxy against
one direct redis-server (issue 16), byte for byte, plus many shard channels over three servers.

A standalone redis-server (cluster mode off, what the proxy stands for) accepts one SSUBSCRIBE
naming channels of different slots; the proxy places each on its own server and answers the
same. See test_pubsub.py for how transcripts are compared.
"""
import itertools

import pytest

from harness import RawClient, encode_command as _cmd
from pubsub_support import (confirm, message, parse, pmessage, quiet, smessage,
                            sorted_array, subscribe, wait_idle)
from test_pubsub import ports, same_through_both, target, unsubscribe_all  # noqa: F401

_names = itertools.count()


@pytest.fixture
def chans(target):
    prefix = f"sh{next(_names)}"
    return target.one_on_each_server(f"{prefix}:ch"), prefix


def test_ssubscribe_spublish_and_sunsubscribe(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as plain, RawClient(port) as pat, \
                RawClient(port) as p:
            for channel in (a, b, c):
                t.append(subscribe(s, "SSUBSCRIBE", channel))
            t.append(subscribe(s, "SSUBSCRIBE", b))  # again
            t.append(subscribe(plain, "SUBSCRIBE", a))
            t.append(subscribe(pat, "PSUBSCRIBE", f"{prefix}:*"))  # never sees smessages
            for channel in (a, b, c):
                t.append(p.call("SPUBLISH", channel, f"shard {channel}"))
                t.append(s.read_reply())
            t.append(p.call("PUBLISH", a, "classic"))  # the classic subscribers only
            t.append(plain.read_reply())
            t.append(pat.read_reply())
            t.append(p.call("PUBLISH", b, "classic"))
            t.append(pat.read_reply())
            t.append(p.call("SPUBLISH", f"{prefix}:nobody", "x"))
            t.append(subscribe(s, "SUNSUBSCRIBE", b))
            t.append(p.call("SPUBLISH", b, "gone"))
            t.append(unsubscribe_all(s, "SUNSUBSCRIBE", 2))
            t.append(s.call("SUNSUBSCRIBE"))
            t.append(s.call("PING"))
            t += [quiet(cl) for cl in (s, plain, pat)]

    t = same_through_both(scenario, ports)
    assert t[:4] == [[confirm("ssubscribe", a, 1)], [confirm("ssubscribe", b, 2)],
                     [confirm("ssubscribe", c, 3)], [confirm("ssubscribe", b, 3)]]
    assert t[6:8] == [b":1\r\n", smessage(a, f"shard {a}")]
    assert t[12:15] == [b":2\r\n", message(a, "classic"), pmessage(f"{prefix}:*", a, "classic")]


def test_one_ssubscribe_naming_channels_of_several_servers(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SSUBSCRIBE", a, b, c, a))
            for channel in (c, b, a):
                t.append(p.call("SPUBLISH", channel, "x"))
                t.append(s.read_reply())
            t.append(p.call("PUBSUB", "SHARDNUMSUB", a, b, c))
            s.send_command("SUNSUBSCRIBE", c, a)
            t.append(s.read_replies(2))
            t.append(quiet(s))

    t = same_through_both(scenario, ports)
    assert t[0] == [confirm("ssubscribe", a, 1), confirm("ssubscribe", b, 2),
                    confirm("ssubscribe", c, 3), confirm("ssubscribe", a, 3)]


def test_shard_introspection_with_several_clients(ports, chans):
    (a, b, c), prefix = chans

    def snapshot(q):
        return [q.call("PUBSUB", "SHARDNUMSUB", a, b, c, f"{prefix}:none"),
                q.call("PUBSUB", "SHARDNUMSUB"),
                sorted_array(q.call("PUBSUB", "SHARDCHANNELS")),
                sorted_array(q.call("PUBSUB", "SHARDCHANNELS", f"{prefix}:*")),
                q.call("PUBSUB", "SHARDCHANNELS", c),
                q.call("PUBSUB", "CHANNELS"),  # shard channels are not classic channels
                q.call("PUBSUB", "NUMSUB", a)]

    def scenario(port, t):
        with RawClient(port) as c1, RawClient(port) as c2, RawClient(port) as c3, \
                RawClient(port) as q:
            subscribe(c1, "SSUBSCRIBE", a, b)
            subscribe(c2, "SSUBSCRIBE", b, c)
            subscribe(c3, "SSUBSCRIBE", c)
            t.append(snapshot(q))
            subscribe(c2, "SUNSUBSCRIBE", c)
            c3.send_command("RESET")
            t.append(c3.read_reply())
            t.append(snapshot(q))

    t = same_through_both(scenario, ports)
    assert t[0][0] == b"*8\r\n" + b"".join(
        b"$%d\r\n%s\r\n:%d\r\n" % (len(ch), ch.encode(), n)
        for ch, n in ((a, 1), (b, 2), (c, 2), (f"{prefix}:none", 0)))


def test_many_shard_channels_each_message_once(target):
    """300 shard channels over three servers, 50 subscribers of 30 channels each; every SPUBLISH
    reaches exactly the subscribers of its channel, and SHARDNUMSUB agrees."""
    wait_idle(target.port)
    channels = [f"many:{i * 2654435761 % 10**9}" for i in range(300)]
    placed = target.locate(*channels)
    assert {placed[ch] for ch in channels} == set(target.names)
    subscribers = [RawClient(target.port, timeout=10) for _ in range(50)]
    try:
        wanted = {ch: [] for ch in channels}
        for k, s in enumerate(subscribers):
            mine = channels[k::10][:30]
            assert subscribe(s, "SSUBSCRIBE", *mine) == [
                confirm("ssubscribe", ch, n + 1) for n, ch in enumerate(mine)]
            for ch in mine:
                wanted[ch].append(k)
        with RawClient(target.port, timeout=10) as p:
            p.send(b"".join(_cmd("SPUBLISH", ch, f"m {ch}") for ch in channels))
            counts = p.read_replies(len(channels))
            assert counts == [b":%d\r\n" % len(wanted[ch]) for ch in channels]
            numsub = parse(p.call("PUBSUB", "SHARDNUMSUB", *channels))
            assert numsub == [x for ch in channels for x in (ch.encode(), len(wanted[ch]))]
        for k, s in enumerate(subscribers):
            mine = [ch for ch in channels if k in wanted[ch]]
            got = sorted(s.read_replies(len(mine)))
            assert got == sorted(smessage(ch, f"m {ch}") for ch in mine), k
        assert [quiet(s, 0.05) for s in subscribers] == [b""] * len(subscribers)
    finally:
        for s in subscribers:
            s.close()
