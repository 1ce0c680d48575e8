"""Pub/sub through the proxy against one direct redis-server (issue 16), RESP2 byte for byte.

Each scenario is a function of a port that drives raw connections and returns a transcript:
the exact bytes of every reply and pushed frame, in the order a client reads them. It runs
once through the target (shardis over three servers, channels chosen to land on each) and
once against a lone redis-server, and the transcripts must be equal. Only what Redis itself
leaves unordered is normalised: the frames of an argument-less (P|S)UNSUBSCRIBE (Redis walks
a hash table), pmessages of one publish to a client with several matching patterns, and the
element order of PUBSUB CHANNELS.

A subscriber reads its confirmations before anyone publishes, so every sequence is
deterministic; `quiet` then shows anything delivered beyond what was expected.
"""
import itertools
import time

import pytest

from harness import RawClient, encode_command as _cmd, wait_until
from pubsub_support import (PONG, Target, confirm, drain, message, parse, pmessage, quiet,
                            sorted_array, subscribe, subscribed_mode_error, wait_idle)

_names = itertools.count()


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


@pytest.fixture
def ports(target, direct_server):
    wait_idle(target.port)
    wait_idle(direct_server.port)
    return target.port, direct_server.port


@pytest.fixture
def chans(target):
    """[channel on s1, on s2, on s3] with a prefix of its own, and that prefix."""
    prefix = f"t{next(_names)}"
    return target.one_on_each_server(f"{prefix}:ch"), prefix


def same_through_both(scenario, ports, *args):
    """The scenario's transcript through the target, which must equal the direct server's.
    A scenario appends each step to the list it is given, so a target that stops answering
    halfway still shows what it said up to there next to what Redis said."""
    direct = []
    scenario(ports[1], direct, *args)
    through_target = []
    try:
        scenario(ports[0], through_target, *args)
    except (OSError, AssertionError) as e:
        raise AssertionError(
            f"through the target, {type(e).__name__}: {e} at step {len(through_target)}\n"
            f"target: {_short(through_target)}\ndirect: {_short(direct)}") from e
    assert through_target == direct
    return through_target


def _short(transcript):
    text = repr(transcript)
    return text if len(text) < 4000 else text[:4000] + "..."


def unsubscribe_all(client, command, n):
    """Sends an argument-less (P|S)UNSUBSCRIBE to a client holding n subscriptions of that
    kind; returns the channels left (sorted, as Redis's order is its hash table's) and the
    counts in the order they came."""
    client.send_command(command)
    frames = [parse(f) for f in client.read_replies(max(n, 1))]
    assert all(len(f) == 3 for f in frames), frames
    return (command, sorted((f[0], f[1]) for f in frames), [f[2] for f in frames])


def sorted_frames(client, n):
    return sorted(client.read_replies(n))


def test_subscribe_and_unsubscribe_confirmations(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s:
            t.append(subscribe(s, "SUBSCRIBE", a))
            t.append(subscribe(s, "SUBSCRIBE", a, b, c, a))  # again, several, repeated
            t.append(subscribe(s, "SUBSCRIBE", b))
            s.send_command("UNSUBSCRIBE", c, f"{prefix}:never")
            t.append(s.read_replies(2))
            t.append(unsubscribe_all(s, "UNSUBSCRIBE", 2))
            t.append(s.call("UNSUBSCRIBE"))
            t.append(s.call("PING"))  # normal mode again
            t.append(quiet(s))

    t = same_through_both(scenario, ports)
    assert t[1] == [confirm("subscribe", a, 1), confirm("subscribe", b, 2),
                    confirm("subscribe", c, 3), confirm("subscribe", a, 3)]
    assert t[4] == ("UNSUBSCRIBE", [(b"unsubscribe", a.encode()), (b"unsubscribe", b.encode())],
                    [1, 0])
    assert t[5:] == [b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", b"+PONG\r\n", b""]


def test_unsubscribe_of_each_kind_without_subscriptions(ports, chans):
    (a, _, _), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s:
            t += [s.call("UNSUBSCRIBE"), s.call("PUNSUBSCRIBE"), s.call("SUNSUBSCRIBE")]
            s.send_command("UNSUBSCRIBE", a, f"{prefix}:x")
            t.append(s.read_replies(2))
            t.append(s.call("PUNSUBSCRIBE", f"{prefix}*"))
            t.append(s.call("SUNSUBSCRIBE", a))
            t.append(s.call("PING"))
            t.append(quiet(s))

    t = same_through_both(scenario, ports)
    assert t[:3] == [b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
                     b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n",
                     b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"]


def test_messages_and_pmessages_byte_for_byte(ports, chans):
    (a, b, c), prefix = chans
    pattern = f"{prefix}:*"
    payloads = [b"hello", b"", b"\r\n$3\r\n*1\r\n:x", bytes(range(256)) * 400]  # 100 KiB last

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SUBSCRIBE", a, b))
            t.append(subscribe(s, "PSUBSCRIBE", pattern))
            for payload in payloads:
                for channel, frames in ((a, 2), (b, 2), (c, 1)):
                    t.append(p.call("PUBLISH", channel, payload))
                    t.append(s.read_replies(frames))
            t.append(p.call("PUBLISH", f"other:{prefix}", "x"))  # matches nothing
            t.append(quiet(s))

    t = same_through_both(scenario, ports)
    assert t[2:6] == [b":2\r\n", [message(a, "hello"), pmessage(pattern, a, "hello")],
                      b":2\r\n", [message(b, "hello"), pmessage(pattern, b, "hello")]]
    assert t[6:8] == [b":1\r\n", [pmessage(pattern, c, "hello")]]


def test_publish_counts_channel_and_pattern_receivers(ports, chans):
    (a, b, c), prefix = chans
    everything, digits = f"{prefix}:*", f"{prefix}:ch:[0-9]*"

    def scenario(port, t):
        with RawClient(port) as x, RawClient(port) as y, RawClient(port) as z, \
                RawClient(port) as w, RawClient(port) as p:
            t.append(subscribe(x, "SUBSCRIBE", a, b, c))
            t.append(subscribe(y, "PSUBSCRIBE", everything, "nomatch*"))
            t.append(subscribe(z, "SUBSCRIBE", a, b, c))
            t.append(subscribe(z, "PSUBSCRIBE", everything, digits))
            t.append(subscribe(w, "SUBSCRIBE", f"{prefix}:elsewhere"))
            for channel in (a, b, c):
                t.append(p.call("PUBLISH", channel, f"to {channel}"))  # 1 + 1 + 3
                t.append(x.read_reply())
                t.append(y.read_reply())
                t.append(z.read_reply())  # the channel's message comes first
                t.append(sorted_frames(z, 2))
            t.append(p.call("PUBLISH", f"{prefix}:ch:9none", "x"))  # pattern receivers only
            t.append(y.read_reply())
            t.append(sorted_frames(z, 2))
            t += [quiet(cl) for cl in (x, y, z, w)]

    t = same_through_both(scenario, ports)
    assert t[5] == b":5\r\n"
    assert t[-7] == b":3\r\n"


def test_subscribed_mode_refuses_other_commands(ports, chans):
    (a, b, c), prefix = chans
    refused = [("get", ["GET", a]), ("set", ["SET", a, "v"]), ("multi", ["MULTI"]),
               ("info", ["INFO"]), ("echo", ["ECHO", "x"]), ("publish", ["PUBLISH", a, "x"]),
               ("select", ["SELECT", "0"]), ("dbsize", ["DBSIZE"]),
               ("pubsub|numpat", ["PUBSUB", "NUMPAT"]), ("client|id", ["CLIENT", "ID"]),
               ("spublish", ["SPUBLISH", a, "x"]),
               # commands the proxy answers itself, fans out or holds a connection for
               ("hello", ["HELLO"]), ("auth", ["AUTH", "x"]),
               ("command|count", ["COMMAND", "COUNT"]), ("time", ["TIME"]),
               ("client|setname", ["CLIENT", "SETNAME", "x"]),
               ("client|list", ["CLIENT", "LIST"]), ("watch", ["WATCH", a]),
               ("unwatch", ["UNWATCH"]), ("discard", ["DISCARD"]), ("keys", ["KEYS", "*"]),
               ("mget", ["MGET", a, b, c]), ("scan", ["SCAN", "0"]),
               ("wait", ["WAIT", "0", "0"]),
               ("script|flush", ["SCRIPT", "FLUSH"]), ("blpop", ["BLPOP", a, "1"]),
               ("config|get", ["CONFIG", "GET", "x"]), ("monitor", ["MONITOR"])]

    def scenario(port, t, command, channel):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, command, channel))
            for _, argv in refused:
                t.append(s.call(*argv))
            t.append(s.call("GET"))  # arity is checked before the mode, as Redis does
            t.append(s.call("NOSUCHCOMMAND", "x"))
            t.append(s.call("PING"))
            t.append(s.call("PING", "hi there"))
            t.append(s.call("PING", "a", "b"))
            t.append(s.call("SUBSCRIBE"))
            publish = "SPUBLISH" if command == "SSUBSCRIBE" else "PUBLISH"
            t.append(p.call(publish, b, "still subscribed"))
            t.append(s.read_reply())
            t.append(quiet(s))

    for command, channel in (("SUBSCRIBE", b), ("PSUBSCRIBE", f"{prefix}:*"),
                             ("SSUBSCRIBE", b)):
        t = same_through_both(scenario, ports, command, channel)
        assert t[1:1 + len(refused)] == [subscribed_mode_error(name) for name, _ in refused]
        assert t[-7:-5] == [PONG, b"*2\r\n$4\r\npong\r\n$8\r\nhi there\r\n"]


def test_counts_mix_channels_patterns_and_shard_channels(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SUBSCRIBE", a))
            t.append(subscribe(s, "PSUBSCRIBE", f"{prefix}:*", f"{prefix}:ch:*"))
            t.append(subscribe(s, "SSUBSCRIBE", c))
            t.append(subscribe(s, "SUBSCRIBE", b))
            t.append(p.call("PUBLISH", c, "p"))  # two patterns, not the shard channel
            t.append(sorted_frames(s, 2))
            t.append(p.call("SPUBLISH", c, "s"))
            t.append(s.read_reply())
            t.append(unsubscribe_all(s, "PUNSUBSCRIBE", 2))
            t.append(unsubscribe_all(s, "UNSUBSCRIBE", 2))
            t.append(s.call("PING"))  # a shard channel is left: still subscribed mode
            t.append(s.call("GET", a))
            t.append(s.call("SUNSUBSCRIBE", c))
            t.append(s.call("PING"))
            t.append(s.call("GET", a))
            t.append(quiet(s))

    same_through_both(scenario, ports)


def test_pipelined_subscriptions_and_pings(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s:
            s.send(b"".join([
                _cmd("SUBSCRIBE", a), _cmd("PSUBSCRIBE", f"{prefix}:*"), _cmd("PING"),
                _cmd("SUBSCRIBE", b, c), _cmd("PING", "x"), _cmd("GET", a)]))
            t.append(s.read_replies(7))
            t.append(unsubscribe_all(s, "UNSUBSCRIBE", 3))
            t.append(unsubscribe_all(s, "PUNSUBSCRIBE", 1))
            t.append(s.call("PING"))
            t.append(quiet(s))

    same_through_both(scenario, ports)


def test_reset_leaves_every_subscription(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SUBSCRIBE", a, b, c))
            t.append(subscribe(s, "PSUBSCRIBE", f"{prefix}:*"))
            t.append(subscribe(s, "SSUBSCRIBE", a))
            t.append(s.call("RESET"))
            t.append(s.call("GET", a))  # normal mode
            for channel in (a, b, c):
                t.append(p.call("PUBLISH", channel, "after reset"))
            t.append(p.call("SPUBLISH", a, "after reset"))
            t.append(p.call("PUBSUB", "NUMSUB", a, b, c))
            t.append(p.call("PUBSUB", "SHARDNUMSUB", a))
            t.append(p.call("PUBSUB", "NUMPAT"))
            t.append(subscribe(s, "SUBSCRIBE", b))  # counts start again from one
            t.append(p.call("PUBLISH", b, "again"))
            t.append(s.read_reply())
            t.append(quiet(s))

    t = same_through_both(scenario, ports)
    assert t[3:5] == [b"+RESET\r\n", b"$-1\r\n"]
    assert t[5:9] == [b":0\r\n"] * 4


def test_quit_in_subscribed_mode(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SUBSCRIBE", a, b, c))
            t.append(subscribe(s, "PSUBSCRIBE", f"{prefix}:*"))
            t.append(s.call("QUIT"))
            t.append(s.closed_by_peer())
            # Redis forgets the client before its socket closes; a proxy may learn of the
            # close a moment later, so allow that moment before comparing counts.
            wait_until(lambda: p.call("PUBSUB", "NUMPAT") == b":0\r\n", timeout=5,
                       what="the pattern to go")
            t.append(p.call("PUBSUB", "NUMSUB", a, b, c))
            for channel in (a, b, c):
                t.append(p.call("PUBLISH", channel, "x"))

    t = same_through_both(scenario, ports)
    assert t[2:4] == [b"+OK\r\n", True]


def test_pubsub_introspection_with_several_clients(ports, chans):
    (a, b, c), prefix = chans
    p1, p2 = f"{prefix}:*", f"{prefix}:ch:?*"

    def snapshot(q):
        return [q.call("PUBSUB", "NUMSUB", a, b, c, f"{prefix}:none"), q.call("PUBSUB", "NUMSUB"),
                q.call("PUBSUB", "SHARDNUMSUB", a, b, c, f"{prefix}:none"),
                sorted_array(q.call("PUBSUB", "CHANNELS")),
                sorted_array(q.call("PUBSUB", "CHANNELS", f"{prefix}:*")),
                sorted_array(q.call("PUBSUB", "CHANNELS", b)),
                q.call("PUBSUB", "CHANNELS", "nomatch*"),
                sorted_array(q.call("PUBSUB", "SHARDCHANNELS")),
                sorted_array(q.call("PUBSUB", "SHARDCHANNELS", f"{prefix}:*")),
                q.call("PUBSUB", "NUMPAT")]

    def scenario(port, t):
        with RawClient(port) as c1, RawClient(port) as c2, RawClient(port) as c3, \
                RawClient(port) as c4, RawClient(port) as q:
            t.append(snapshot(q))
            subscribe(c1, "SUBSCRIBE", a, b)
            subscribe(c2, "SUBSCRIBE", b, c)
            subscribe(c2, "PSUBSCRIBE", p1, p2)
            subscribe(c3, "PSUBSCRIBE", p1)
            subscribe(c3, "SSUBSCRIBE", a, c)
            subscribe(c4, "SSUBSCRIBE", c)
            t.append(snapshot(q))
            t.append(subscribe(c2, "PUNSUBSCRIBE", p1))  # c3 still holds p1
            t.append(q.call("PUBSUB", "NUMPAT"))
            t.append(subscribe(c2, "PUNSUBSCRIBE", p2))
            t.append(subscribe(c1, "UNSUBSCRIBE", b))
            t.append(subscribe(c3, "SUNSUBSCRIBE", c))
            t.append(snapshot(q))
            t += [quiet(cl) for cl in (c1, c2, c3, c4)]

    t = same_through_both(scenario, ports)
    assert t[1][0] == b"*8\r\n" + b"".join(
        b"$%d\r\n%s\r\n:%d\r\n" % (len(ch), ch.encode(), n)
        for ch, n in ((a, 1), (b, 2), (c, 1), (f"{prefix}:none", 0)))
    assert t[1][-1] == b":2\r\n"


def test_publish_counts_follow_redis_glob_rules(ports, chans):
    """A pattern matches by Redis's own glob (stringmatchlen): `[^a]` negates, `[!a]` does not,
    `[c-a]` is the range a-c, a backslash escapes, an unclosed `[` is literal. One client per
    pattern, so each PUBLISH count says which patterns matched."""
    _, prefix = chans
    patterns = ["[^a]*", "\\?x", "[a-c]?", "[!a]", "[c-a]", "x\\", "[ab", "*\\*", "?"]
    names = ["b", "a", "?x", "ax", "bz", "!", "B", "x\\", "x", "[ab", "a*", "aa"]

    def scenario(port, t):
        clients = [RawClient(port) for _ in patterns]
        try:
            for c, pattern in zip(clients, patterns):
                t.append(subscribe(c, "PSUBSCRIBE", f"{prefix}:{pattern}"))
            with RawClient(port) as p:
                counts = [p.call("PUBLISH", f"{prefix}:{name}", "m") for name in names]
            t.append(counts)
            deliveries = sum(n for n in map(parse, counts) if isinstance(n, int))
            t.append([sorted(frames) for frames in drain(clients, deliveries)])
        finally:
            for c in clients:
                c.close()

    t = same_through_both(scenario, ports)
    assert t[-2][:2] == [b":4\r\n", b":4\r\n"]


def test_binary_empty_and_long_channel_names(ports, chans):
    _, prefix = chans
    names = [b"", b"\r\n", b"sp ace\x00\xff" + prefix.encode(), b"{tag}" + prefix.encode(),
             prefix.encode() * 2000]
    pattern = b"*\x00\xff*"

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(subscribe(s, "SUBSCRIBE", *names))
            t.append(subscribe(s, "PSUBSCRIBE", pattern))
            for name in names:
                t.append(p.call("PUBLISH", name, b"\x00" + name))
                t.append(s.read_replies(2 if name == names[2] else 1))  # the pattern's too
            t.append(p.call("PUBSUB", "NUMSUB", *names))
            t.append(sorted_array(p.call("PUBSUB", "CHANNELS", "*")))
            t.append(unsubscribe_all(s, "UNSUBSCRIBE", len(names)))
            t.append(quiet(s))

    same_through_both(scenario, ports)


def test_exec_in_subscribed_mode_is_an_execabort(ports, chans):
    """Redis refuses EXEC in subscribed mode as it refuses any command, and, EXEC being EXEC,
    words it as an aborted transaction (rejectCommand), with or without MULTI."""
    (a, _, _), _ = chans

    def scenario(port, t):
        with RawClient(port) as s:
            t.append(subscribe(s, "SUBSCRIBE", a))
            t.append(s.call("EXEC"))
            t.append(s.call("PING"))

    t = same_through_both(scenario, ports)
    assert t[1] == b"-EXECABORT Transaction discarded because of: " + \
        subscribed_mode_error("exec")[len(b"-ERR "):]


def test_subscribe_inside_multi(ports, chans):
    """Redis queues SUBSCRIBE in MULTI; EXEC subscribes and leaves the client subscribed."""
    (a, b, _), _ = chans

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as p:
            t.append(s.call("MULTI"))
            t.append(s.call("SUBSCRIBE", a, b))
            t.append(s.call("PING"))
            t.append(s.call("EXEC"))
            t.append(s.call("PING"))
            t.append(s.call("GET", a))
            t.append(p.call("PUBLISH", b, "after exec"))
            t.append(s.read_reply())

    same_through_both(scenario, ports)


def test_unsubscribe_inside_multi(ports, chans):
    """UNSUBSCRIBE and PUNSUBSCRIBE queued in MULTI run with EXEC, whose array carries their
    confirmations at once (nothing waits for the servers there), and leave the client out of
    subscribed mode."""
    (a, b, _), prefix = chans

    def scenario(port, t):
        with RawClient(port) as s:
            t.append(s.call("MULTI"))
            for argv in (["SUBSCRIBE", a, b], ["PSUBSCRIBE", f"{prefix}:*"], ["UNSUBSCRIBE", a],
                         ["PUNSUBSCRIBE"], ["UNSUBSCRIBE"]):
                t.append(s.call(*argv))
            t.append(s.call("EXEC"))
            t.append(s.call("PING"))
            t.append(s.call("GET", a))

    same_through_both(scenario, ports)


def test_pubsub_command_errors(ports, chans):
    """Wrong arity and unknown subcommands get Redis's words, not a server's name with them."""
    (a, _, _), _ = chans

    def scenario(port, t):
        with RawClient(port) as s:
            for argv in (["PUBSUB"], ["PUBSUB", "FOO"], ["PUBSUB", "NUMPAT", "x"],
                         ["PUBSUB", "CHANNELS", "a", "b"], ["PUBSUB", "SHARDCHANNELS", "a", "b"],
                         ["PUBLISH", a], ["SPUBLISH", a], ["PUBLISH", a, "x", "y"],
                         ["SUBSCRIBE"], ["PSUBSCRIBE"], ["SSUBSCRIBE"], ["PUBSUB", "HELP"],
                         ["pubsub", "numsub"], ["pubsub", "shardnumsub"], ["pubsub", "channels"],
                         ["PING"]):
                t.append(s.call(*argv))

    same_through_both(scenario, ports)


def test_subscription_churn_keeps_delivering(ports, chans):
    """Leaving and joining again at once, by one client (pipelined) and by two: after each
    confirmation the client gets exactly what Redis would give it, including when the last
    subscriber's upstream UNSUBSCRIBE may still be on its way while another SUBSCRIBE comes."""
    (a, b, c), prefix = chans
    pattern = f"{prefix}:*"

    def scenario(port, t):
        with RawClient(port) as s, RawClient(port) as y, RawClient(port) as p:
            for i in range(20):
                for ch in (a, b, c):
                    s.send(_cmd("SUBSCRIBE", ch) + _cmd("UNSUBSCRIBE", ch) + _cmd("SUBSCRIBE", ch)
                           + _cmd("PSUBSCRIBE", pattern) + _cmd("PUNSUBSCRIBE", pattern))
                    t.append(s.read_replies(5))
                    t.append(p.call("PUBLISH", ch, f"{i}"))
                    t.append(s.read_reply())
                    t.append(subscribe(s, "UNSUBSCRIBE", ch))
                    # Another client leaves while this one joins.
                    t.append(subscribe(y, "SUBSCRIBE", ch))
                    y.send_command("UNSUBSCRIBE", ch)
                    t.append(subscribe(s, "PSUBSCRIBE", pattern))
                    t.append(y.read_reply())
                    t.append(p.call("PUBLISH", ch, f"p{i}"))
                    t.append(s.read_reply())
                    t.append(subscribe(s, "PUNSUBSCRIBE", pattern))
                    t.append(p.call("PUBLISH", ch, "nobody"))
            t += [quiet(s), quiet(y)]

    same_through_both(scenario, ports)


# Keeps a redis-server busy for ARGV[1] milliseconds: it reads nothing meanwhile.
_BUSY_SCRIPT = ("local s = redis.call('TIME') "
                "local stop = s[1] * 1000000 + s[2] + tonumber(ARGV[1]) * 1000 "
                "while true do local t = redis.call('TIME') "
                "if t[1] * 1000000 + t[2] >= stop then return 1 end end")


@pytest.mark.parametrize("kind", ["channel", "shard", "pattern"])
def test_last_unsubscribe_is_answered_once_the_server_left(target, ports, chans, kind):
    """Once a client read the confirmation of a name's last (P|S)UNSUBSCRIBE, a PUBLISH or
    PUBSUB count from another client no longer counts it, as on one Redis. The channel's
    server is kept busy by a script meanwhile, and the publisher's connection to it already
    has a GET waiting there: had the proxy answered the UNSUBSCRIBE before that server read
    its own, the PUBLISH would be read first and count the proxy's subscription."""
    (a, b, c), prefix = chans
    verbs = {"channel": ("SUBSCRIBE", "UNSUBSCRIBE", "PUBLISH", ("PUBSUB", "NUMSUB")),
             "shard": ("SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH", ("PUBSUB", "SHARDNUMSUB")),
             "pattern": ("PSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", ("PUBSUB", "NUMPAT"))}[kind]
    join, leave, publish, count = verbs

    def scenario(port, t):
        for ch in (a, b, c):
            name = f"{prefix}:*" if kind == "pattern" else ch
            server = target.server_of(ch) if port == target.port else None
            busy_port = server.port if server else port
            with RawClient(port) as s, RawClient(port) as p, RawClient(busy_port) as busy:
                t.append(subscribe(s, join, name))
                assert busy.call("PING") == b"+PONG\r\n"
                busy.send_command("EVAL", _BUSY_SCRIPT, "0", "400")
                time.sleep(0.05)  # the script runs: the server reads nothing for a while
                p.send_command("GET", ch)
                t.append(subscribe(s, leave, name))
                args = count if kind == "pattern" else count + (ch,)
                p.send(_cmd(publish, ch, "late") + _cmd(*args))
                t.append(p.read_replies(3))
                t.append(busy.read_reply())
                t.append(quiet(s, 0.1))

    same_through_both(scenario, ports)


def test_no_message_after_the_unsubscribe_confirmation(ports, chans):
    """Once a client read its UNSUBSCRIBE confirmation it gets nothing more from that channel,
    while another client still subscribed there (so the proxy keeps its upstream) gets it."""
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port) as x, RawClient(port) as y, RawClient(port) as p:
            for ch in (a, b, c):
                t.append(subscribe(x, "SUBSCRIBE", ch))
                t.append(subscribe(y, "SUBSCRIBE", ch))
                t.append(subscribe(x, "UNSUBSCRIBE", ch))
                t.append(p.call("PUBLISH", ch, "only y"))
                t.append(y.read_reply())
                t.append(subscribe(y, "UNSUBSCRIBE", ch))
            t += [quiet(x), quiet(y)]

    same_through_both(scenario, ports)


def test_messages_of_one_channel_keep_their_order(ports, chans):
    (a, b, c), prefix = chans

    def scenario(port, t):
        with RawClient(port, timeout=20) as s, RawClient(port, timeout=20) as p:
            t.append(subscribe(s, "SUBSCRIBE", a, b, c))
            t.append(subscribe(s, "PSUBSCRIBE", f"{prefix}:*"))
            p.send(b"".join(_cmd("PUBLISH", ch, f"{i}") for i in range(1000) for ch in (a, b, c)))
            t.append(p.read_replies(3000))
            frames = [parse(f) for f in s.read_replies(6000)]
            for ch in (a, b, c):  # the order between channels of different servers is free
                t.append([f for f in frames if f[-2] == ch.encode()])

    same_through_both(scenario, ports)
