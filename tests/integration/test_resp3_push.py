"""RESP3 push frames through the proxy (issue 17): pub/sub confirmations and messages as `>`
frames, ordinary commands while subscribed, and client-side caching (CLIENT TRACKING) with
invalidation pushes, checked against one direct redis-server 7.0.

Channels and keys are chosen to land on s1, s2 and s3. Each pub/sub scenario is a function of
a port that returns the exact bytes a client read, in order; it runs through the target and
against the direct server, and the transcripts must be equal. Skipped until shardis speaks
RESP3 (resp3_support.RESP3_SKIP); with SHARDIS_RESP3_TARGET=redis the target is a plain
redis-server, which must pass them all.
"""
import itertools
import re
import time

import pytest

from harness import RawClient, wait_until
from resp3_support import (RESP3_SKIP, Target, connect3, invalidate, parse, push, quiet)

pytestmark = RESP3_SKIP

_names = itertools.count()

# The promise: an invalidation reaches the tracking client this soon after the write
# that caused it was acknowledged (Redis sends it before the writer's reply).
INVALIDATION_DEADLINE = 0.1


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


@pytest.fixture
def ports(target, direct_server):
    target.flushall()
    with direct_server.client() as c:
        c.call("FLUSHALL")
    for port in (target.port, direct_server.port):
        wait_until(lambda: no_subscriptions(port), timeout=5.0, what="no subscriptions left")
    return target.port, direct_server.port


def no_subscriptions(port):
    with RawClient(port) as c:
        return (c.call("PUBSUB", "NUMPAT") == b":0\r\n"
                and c.call("PUBSUB", "CHANNELS") == b"*0\r\n"
                and c.call("PUBSUB", "SHARDCHANNELS") == b"*0\r\n")


@pytest.fixture
def chans(target):
    """[name on s1, on s2, on s3], fresh per test (for channels and keys alike)."""
    return target.one_on_each_server(f"r3p{next(_names)}")


def same_through_both(scenario, ports, *args):
    direct = scenario(ports[1], *args)
    through_target = scenario(ports[0], *args)
    assert through_target == direct
    return through_target


# ---- pub/sub ---------------------------------------------------------------------------------

def subscribe_and_publish(port, chans):
    out = []
    with connect3(port) as sub, RawClient(port) as pub:
        sub.send_command("SUBSCRIBE", *chans)
        out += sub.read_replies(len(chans))
        out.append(sub.call("PSUBSCRIBE", chans[0]))  # a pattern without wildcards
        for i, ch in enumerate(chans):
            out.append(pub.call("PUBLISH", ch, f"m{i}"))
            out += sub.read_replies(2 if i == 0 else 1)  # message, then pmessage for chans[0]
        out.append(pub.call("SPUBLISH", chans[1], "nobody"))
        out.append(sub.call("SSUBSCRIBE", chans[2]))
        out.append(pub.call("SPUBLISH", chans[2], "sharded"))
        out.append(sub.read_reply())
        out.append(sub.call("UNSUBSCRIBE", chans[1]))
        out.append(pub.call("PUBLISH", chans[1], "gone"))
        out.append(quiet(sub, 0.2))
    return out


def test_confirmations_and_messages_are_pushes(ports, chans):
    transcript = same_through_both(subscribe_and_publish, ports, chans)
    assert transcript[0] == push("subscribe", chans[0], 1)
    assert transcript[4] == b":2\r\n"  # one subscriber and one pattern got it
    assert transcript[5] == push("message", chans[0], "m0")
    assert transcript[6] == push("pmessage", chans[0], chans[0], "m0")


def commands_while_subscribed(port, chans):
    out = []
    with connect3(port) as sub, RawClient(port) as pub:
        out.append(sub.call("SUBSCRIBE", chans[0]))
        for key in chans:
            out.append(sub.call("SET", key, "v"))
            out.append(sub.call("GET", key))
        out += [sub.call("GET", "nope"), sub.call("HGETALL", chans[1]), sub.call("PING"),
                sub.call("PING", "x"), sub.call("MGET", *chans, "nope"),
                sub.call("SUBSCRIBE", chans[1])]
        out.append(pub.call("PUBLISH", chans[1], "between"))
        out.append(sub.read_reply())
        out.append(sub.call("EXISTS", *chans))
        # Pipelined: replies come in order, whole, a push never inside one of them.
        sub.send_command("GET", chans[0])
        out.append(pub.call("PUBLISH", chans[0], "racing"))
        sub.send_command("MGET", *chans)
        frames = sub.read_replies(3)
        out.append(sorted(frames))
        out.append([f for f in frames if not f.startswith(b">")])
        out.append(unsubscribe_all(sub, 2))
        out.append(sub.call("UNSUBSCRIBE"))  # none left: the channel is a null
        out.append(sub.call("PUNSUBSCRIBE"))
        out.append(sub.call("GET", chans[2]))
        out.append(quiet(sub, 0.1))
    return out


def unsubscribe_all(client, n):
    """An argument-less UNSUBSCRIBE from n channels: the channels sorted (Redis walks a hash
    table) and the counts in the order they came."""
    client.send_command("UNSUBSCRIBE")
    frames = [parse(f) for f in client.read_replies(n)]
    assert all(f[0] == "push" and f[1][0] == b"unsubscribe" for f in frames), frames
    return sorted(f[1][1] for f in frames), [f[1][2] for f in frames]


def test_ordinary_commands_while_subscribed(ports, chans):
    transcript = same_through_both(commands_while_subscribed, ports, chans)
    assert b"+PONG\r\n" in transcript  # RESP3 PING while subscribed is a plain PONG
    assert push("unsubscribe", None, 0) in transcript


def resp2_and_resp3_subscribers(port, chans):
    """A RESP2 and a RESP3 subscriber of the same channels each get their own framing."""
    out = []
    with connect3(port) as three, RawClient(port) as two, RawClient(port) as pub:
        for c in (three, two):
            c.send_command("SUBSCRIBE", *chans)
            out += c.read_replies(len(chans))
        for ch in chans:
            out.append(pub.call("PUBLISH", ch, "both"))
            out += [three.read_reply(), two.read_reply()]
    return out


def test_resp2_and_resp3_subscribers_side_by_side(ports, chans):
    transcript = same_through_both(resp2_and_resp3_subscribers, ports, chans)
    assert push("message", chans[2], "both") in transcript
    assert (b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$4\r\nboth\r\n"
            % (len(chans[2]), chans[2].encode())) in transcript


def hello2_while_subscribed(port, chans):
    """A RESP3 subscriber that says HELLO 2 is a RESP2 subscriber from then on: RESP2 frames and
    RESP2's subscribed-mode limits."""
    out = []
    with connect3(port) as sub, RawClient(port) as pub:
        sub.send_command("SUBSCRIBE", *chans)
        out += sub.read_replies(len(chans))
        out.append(re.sub(rb":\d+\r\n\$4\r\nmode", b":ID\r\n$4\r\nmode",
                          sub.call("HELLO", "2")))
        out += [sub.call("PING"), sub.call("GET", chans[0]), sub.call("HELLO", "3")]
        for ch in chans:
            out += [pub.call("PUBLISH", ch, "after"), sub.read_reply()]
        out.append(sub.call("UNSUBSCRIBE", chans[0]))
    return out


def test_hello2_while_subscribed(ports, chans):
    transcript = same_through_both(hello2_while_subscribed, ports, chans)
    assert transcript[4] == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


# ---- client-side caching ---------------------------------------------------------------------

def invalidation_after(tracker, write):
    """Runs `write` (which returns its reply), then reads the next frame of the tracking
    client; returns (reply, frame, seconds from the write's reply to the frame)."""
    reply = write()
    start = time.monotonic()
    frame = tracker.read_reply()
    return reply, frame, time.monotonic() - start


def tracking_default_mode(port, chans, backend_of):
    out = []
    with connect3(port) as tracker, RawClient(port) as writer:
        out += [tracker.call("CLIENT", "TRACKING", "ON"), tracker.call("CLIENT", "TRACKINGINFO"),
                tracker.call("CLIENT", "GETREDIR")]
        for key in chans:
            writer.call("SET", key, "old")
            out.append(tracker.call("GET", key))
            reply, frame, delay = invalidation_after(
                tracker, lambda: writer.call("SET", key, "new"))
            out += [reply, frame]
            assert delay < INVALIDATION_DEADLINE, (key, delay)
        # A key read with MGET over every server, then changed directly on its server.
        out.append(tracker.call("MGET", *chans))
        with backend_of(chans[1]).client() as server:
            reply, frame, delay = invalidation_after(
                tracker, lambda: server.call("DEL", chans[1]))
        out += [reply, frame]
        assert delay < INVALIDATION_DEADLINE, delay
        # Not read since its last invalidation: no push; the others were read by MGET.
        out.append(writer.call("SET", chans[1], "again"))
        out.append(writer.call("DEL", chans[0], chans[2]))
        out.append(sorted(tracker.read_replies(2)))
        out.append(quiet(tracker, 0.2))
        out += [tracker.call("CLIENT", "TRACKING", "OFF"), tracker.call("GET", chans[0]),
                writer.call("SET", chans[0], "untracked"), quiet(tracker, 0.2)]
    return out


def test_tracking_invalidates_keys_on_every_server(target, ports, chans, direct_server):
    backend = {ports[0]: target.server_of, ports[1]: lambda key: direct_server}
    direct = tracking_default_mode(ports[1], chans, backend[ports[1]])
    through = tracking_default_mode(ports[0], chans, backend[ports[0]])
    assert through == direct
    assert invalidate(chans[0]) in through


def tracking_bcast_and_noloop(port, chans):
    out = []
    prefix = chans[0].split(":")[0] + ":"
    with connect3(port) as tracker, RawClient(port) as writer:
        out += [tracker.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", prefix),
                tracker.call("CLIENT", "TRACKINGINFO")]
        for key in chans:  # never read, announced all the same
            reply, frame, delay = invalidation_after(
                tracker, lambda: writer.call("SET", key, "x"))
            out += [reply, frame]
            assert delay < INVALIDATION_DEADLINE, (key, delay)
        out += [writer.call("SET", "other:" + chans[0], "x"), quiet(tracker, 0.2)]
        out += [tracker.call("CLIENT", "TRACKING", "OFF"),
                tracker.call("CLIENT", "TRACKING", "ON", "NOLOOP"),
                tracker.call("CLIENT", "TRACKINGINFO"), tracker.call("GET", chans[1]),
                tracker.call("SET", chans[1], "mine"), quiet(tracker, 0.2)]
        out += [tracker.call("GET", chans[1]), writer.call("SET", chans[1], "theirs"),
                tracker.read_reply()]
        out += [tracker.call("RESET"), tracker.call("CLIENT", "TRACKINGINFO")]
    return out


def test_tracking_bcast_prefix_and_noloop(ports, chans):
    transcript = same_through_both(tracking_bcast_and_noloop, ports, chans)
    assert transcript[3] == invalidate(chans[0])


def test_tracking_info_shapes(ports):
    same_through_both(tracking_info, ports)


def tracking_info(port):
    with connect3(port) as c:
        return [c.call("CLIENT", "TRACKINGINFO"), c.call("CLIENT", "GETREDIR"),
                c.call("CLIENT", "TRACKING", "ON", "PREFIX", "p:"),
                c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a:", "PREFIX", "b:"),
                sorted_info(c.call("CLIENT", "TRACKINGINFO")),
                c.call("CLIENT", "TRACKING", "OFF"), c.call("CLIENT", "TRACKINGINFO")]


def sorted_info(reply):
    """TRACKINGINFO's prefixes come from a radix tree walk: parsed, the lists sorted."""
    value = parse(reply)
    assert value[0] == "map", reply
    return [(k, sorted(v) if isinstance(v, list) else v) for k, v in value[1]]
