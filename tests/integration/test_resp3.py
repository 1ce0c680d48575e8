"""RESP3 through the proxy against one direct redis-server 7.0 (issue 17), byte for byte.

Both sides say `HELLO 3` first; then the same commands must get the same bytes, whether shardis
forwards them (typed replies pass through), answers them itself or merges them from several
servers (keys chosen to land on s1, s2 and s3). Only what differs by nature is normalised: the
client id in HELLO, the order of Redis's unordered sets, and fields of CLIENT INFO and INFO
whose values are per process.

Skipped until shardis speaks RESP3 (see resp3_support.RESP3_SKIP); with
SHARDIS_RESP3_TARGET=redis the target is a plain redis-server, which must pass them all.
"""
import itertools
import re
import threading
import time

import pytest

from harness import RawClient, RedisServer
from resp3_support import (NOPROTO, RESP3_SKIP, Target, bulk, connect3, hello3, parse,
                           unordered)
from test_differential import SEQUENCES, UNORDERED

pytestmark = RESP3_SKIP

_names = itertools.count()


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


@pytest.fixture
def t3(target):
    """A RESP3 client of the target, on an empty keyspace."""
    target.flushall()
    with connect3(target.port) as c:
        yield c


@pytest.fixture
def d3(direct):
    """A RESP3 client of the direct redis-server, on an empty keyspace."""
    hello3(direct)
    return direct


@pytest.fixture
def spread(target):
    """[key on s1, key on s2, key on s3], fresh names per test."""
    return target.one_on_each_server(f"r3k{next(_names)}")


def same(t3, d3, *commands, normalise=None):
    """Runs each command on both sides; the replies must be equal (after `normalise` when
    given, for the commands it is given for)."""
    for command in commands:
        want, got = d3.call(*command), t3.call(*command)
        if normalise:
            want, got = normalise(command, want), normalise(command, got)
        assert got == want, f"{command}: target {got!r} != redis {want!r}"


def without_id(hello_reply):
    """A HELLO reply with the client id (the only per-connection value) blanked."""
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", hello_reply)


# ---- HELLO -----------------------------------------------------------------------------------

def test_hello3_answers_redis_map(target, direct):
    with target.client() as t:
        # A connection that never said HELLO speaks RESP2.
        assert t.call("GET", "nope") == direct.call("GET", "nope") == b"$-1\r\n"
        got, want = t.call("HELLO", "3"), direct.call("HELLO", "3")
        assert without_id(got) == without_id(want), (got, want)
        fields = parse(got)
        assert fields[0] == "map"
        assert [k for k, _ in fields[1]] == [b"server", b"version", b"proto", b"id", b"mode",
                                            b"role", b"modules"]
        values = dict(fields[1])
        assert values[b"proto"] == 3 and isinstance(values[b"id"], int)
        assert values[b"mode"] == b"standalone" and values[b"role"] == b"master"
        assert values[b"modules"] == []
        # The id is the one CLIENT ID gives; the connection now speaks RESP3.
        assert t.call("CLIENT", "ID") == b":%d\r\n" % values[b"id"]
        assert t.call("GET", "nope") == direct.call("GET", "nope") == b"_\r\n"
        # HELLO without a version answers in the current protocol.
        assert without_id(t.call("HELLO")) == without_id(direct.call("HELLO"))


def test_hello2_switches_back(t3, d3):
    same(t3, d3, ("HSET", "h", "f", "v"), ("HGETALL", "h"), ("GET", "nope"))
    got, want = t3.call("HELLO", "2"), d3.call("HELLO", "2")
    assert got.startswith(b"*14\r\n") and without_id(got) == without_id(want), (got, want)
    same(t3, d3, ("HGETALL", "h"), ("GET", "nope"), ("ZSCORE", "h", "f"),
         ("CONFIG", "GET", "maxmemory"))
    assert t3.call("GET", "nope") == b"$-1\r\n"
    hello3(t3)
    hello3(d3)
    same(t3, d3, ("HGETALL", "h"), ("GET", "nope"))


@pytest.mark.parametrize("protocol", ["2", "3"])
def test_hello_refusals_keep_the_protocol(target, direct, protocol):
    """Bad versions and options get Redis's errors, and the connection keeps its protocol."""
    with target.client() as t:
        for c in (t, direct):
            c.call("HELLO", protocol)
        for args in (["4"], ["1"], ["0"], ["-1"], ["x"], ["3.0"], ["03"], ["99999999999999999999"],
                     ["SETNAME", "x"], ["3", "FOO"], ["3", "AUTH", "default"],
                     ["3", "SETNAME"], ["3", "SETNAME", "has space"],
                     ["3", "AUTH", "nouser", "pw"]):
            same(t, direct, ("HELLO", *args), ("GET", "nope"))
        assert t.call("HELLO", "4") == NOPROTO


def test_hello_setname_and_auth_without_password(t3, d3, target, direct):
    same(t3, d3, ("CLIENT", "GETNAME"))  # no name: a RESP3 null
    for c in (t3, d3):
        # No password configured: the default user takes any password in HELLO AUTH.
        assert c.call("HELLO", "3", "AUTH", "default", "any", "SETNAME", "conn-a").startswith(
            b"%7\r\n")
    same(t3, d3, ("CLIENT", "GETNAME"), ("AUTH", "x"), ("AUTH", "default", "x"))
    with target.client() as t:
        got = t.call("HELLO", "3", "SETNAME", "conn-b")
        want = direct.call("HELLO", "3", "SETNAME", "conn-b")
        assert without_id(got) == without_id(want)
        same(t, direct, ("CLIENT", "GETNAME"))


def test_hello_inside_multi(target, direct, spread):
    """HELLO is queued like any command; each reply of EXEC's array comes in the protocol of
    the moment it ran, the array's own header in the protocol EXEC started in."""
    k1, k2, _ = spread
    transcripts = []
    with target.client() as t:
        for c in (t, direct):
            c.call("HELLO", "2")
            c.call("SET", k2, "v")
            transcripts.append([without_id(c.call(*command)) for command in (
                ("MULTI",), ("GET", k1), ("HELLO", "3"), ("GET", k1), ("HGETALL", k2 + "h"),
                ("HELLO", "2"), ("GET", k1), ("HELLO", "3"), ("EXEC",), ("GET", k1))])
    assert transcripts[0] == transcripts[1]
    assert transcripts[0][-2].startswith(b"*7\r\n$-1\r\n%7\r\n")


@pytest.fixture(scope="module")
def secured():
    """A target whose pool (and servers) require a password, and a direct server that does."""
    with Target(password="s3cret") as t:
        yield t


def test_hello_auth(secured, tmp_path):
    reference = RedisServer(str(tmp_path), extra=["--requirepass", "s3cret"]).start()
    try:
        with secured.client() as t, reference.client() as d:
            same(t, d, ("GET", "k"), ("HELLO", "3"), ("HELLO", "3", "AUTH", "default", "wrong"),
                 ("GET", "k"))
            got = t.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed")
            want = d.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "authed")
            assert without_id(got) == without_id(want), (got, want)
            same(t, d, ("GET", "k"), ("CLIENT", "GETNAME"), ("HGETALL", "nope"))
    finally:
        reference.stop()


# ---- forwarded commands ----------------------------------------------------------------------

def unordered_sets(command, reply):
    return unordered(reply) if command[0] in UNORDERED else reply


@pytest.mark.parametrize("kind", sorted(SEQUENCES))
def test_differential_sequences_in_resp3(t3, d3, kind):
    """Every command of the RESP2 differential suite, now in RESP3."""
    same(t3, d3, *SEQUENCES[kind], normalise=unordered_sets)


def test_typed_replies_from_each_server(t3, d3, spread):
    for key in spread:
        h, s, z, n, st = (f"{{{key}}}:{t}" for t in "hsznx")
        same(t3, d3,
             ("HSET", h, "a", "1", "b", "2"), ("HGETALL", h), ("HGETALL", f"{h}:none"),
             ("SADD", s, 1, 2, 3), ("SMEMBERS", s), ("SISMEMBER", s, 2), ("SMISMEMBER", s, 2, 9),
             ("ZADD", z, "1.5", "a", "2", "b", "-inf", "c"), ("ZSCORE", z, "a"),
             ("ZSCORE", z, "c"), ("ZSCORE", z, "none"), ("ZMSCORE", z, "a", "none"),
             ("ZRANGE", z, 0, -1, "WITHSCORES"), ("ZPOPMIN", z), ("ZINCRBY", z, "0.25", "b"),
             ("INCRBYFLOAT", n, "1.5"), ("HINCRBYFLOAT", h, "a", "0.5"),
             ("GET", n), ("GET", f"{n}:none"), ("GETDEL", f"{n}:none"), ("LPOP", f"{n}:none"),
             ("LPOP", f"{n}:none", 2), ("HGET", h, "none"), ("HMGET", h, "a", "none"),
             ("OBJECT", "ENCODING", f"{n}:none"), ("TYPE", h), ("TTL", h),
             ("SET", n, "v", "GET"), ("SET", f"{n}:2", "v", "GET"),
             ("EXISTS", h), ("LPUSH", h, "x"), ("XADD", st, "1-1", "f", "v"),
             ("XREAD", "STREAMS", st, "0"), ("XINFO", "GROUPS", st),
             ("EVAL", "return redis.call('HGETALL', KEYS[1])", 1, h),
             ("EVAL", "redis.setresp(3); return redis.call('HGETALL', KEYS[1])", 1, h),
             ("EVAL", "return {double=3.5}", 1, h), ("EVAL", "return nil", 1, h))


# ---- replies the proxy builds or merges -------------------------------------------------------

def test_split_commands_over_servers(t3, d3, spread):
    k1, k2, k3 = spread
    same(t3, d3,
         ("MSET", k1, "1", k2, "2", k3, "3"), ("MGET", k1, k2, k3, "nope"), ("MGET", "nope"),
         ("EXISTS", k1, k2, k3, k1, "nope"), ("TOUCH", k1, k2, "nope"),
         ("DBSIZE",), ("DEL", k1, k2, "nope"), ("UNLINK", k3), ("MGET", k1, k2, k3),
         ("DBSIZE",), ("EXISTS", k1))


def test_keys_and_scan_over_servers(t3, d3, target):
    keys = [k for prefix in ("ks0", "ks1") for k in target.one_on_each_server(prefix)]
    for c in (t3, d3):
        for key in keys:
            c.call("SET", key, "v")
    same(t3, d3, ("KEYS", "*"), ("KEYS", "ks0:*"), ("KEYS", "none*"),
         normalise=lambda command, reply: unordered(reply))
    assert scan_all(t3) == scan_all(d3) == sorted(k.encode() for k in keys)


def scan_all(client):
    """Every key SCAN gives, checking each reply's RESP3 shape: [cursor bulk, array of bulks]."""
    cursor, found = b"0", []
    for _ in range(1000):
        reply = parse(client.call("SCAN", cursor, "COUNT", 2))
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        assert isinstance(cursor, bytes) and isinstance(batch, list), reply
        found += batch
        if cursor == b"0":
            return sorted(found)
    raise AssertionError("SCAN did not finish in 1000 calls")


def config_pairs(command, reply):
    """CONFIG GET's map, its pairs sorted: Redis 7.0 answers several parameters in the order of
    a hash table seeded per process, not the order asked."""
    if command[:2] != ("CONFIG", "GET"):
        return reply
    value = parse(reply)
    assert value[0] == "map", reply
    return reply[:reply.index(b"\r\n")], sorted(value[1])


def test_local_replies(t3, d3):
    same(t3, d3, ("CONFIG", "GET", "maxmemory", "timeout"), ("CONFIG", "GET", "max*-entries"),
         ("CONFIG", "GET", "timeout", "nomatch*", "maxmemory"), normalise=config_pairs)
    same(t3, d3,
         ("PING",), ("PING", "hi"), ("ECHO", "x"), ("CONFIG", "GET", "maxmemory"),
         ("CONFIG", "GET", "nomatch*"),
         ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "n"), ("CLIENT", "GETNAME"),
         ("CLIENT", "NO-EVICT", "on"), ("SLOWLOG", "GET", 0),
         ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"),
         ("NOSUCHCOMMAND", "x"), ("GET",), ("SET", "k", "v"), ("LPUSH", "k", "x"),
         ("CLIENT", "TRACKINGINFO"), ("CLIENT", "GETREDIR"))
    for name in ("get", "mget", "set", "eval", "xread", "nosuch"):
        same(t3, d3, ("COMMAND", "INFO", name), ("COMMAND", "DOCS", name))
    time_reply = parse(t3.call("TIME"))
    assert isinstance(time_reply, list) and len(time_reply) == 2
    assert abs(int(time_reply[0]) - time.time()) < 5


def test_resp2_and_resp3_clients_side_by_side(target, direct_server, spread):
    """Alternating reads of a RESP2 and a RESP3 client on the same keys: each gets its own
    protocol's bytes (the proxy keeps their backend connections apart)."""
    transcripts = []
    target.flushall()
    with direct_server.client() as c:
        c.call("FLUSHALL")
    for port in (target.port, direct_server.port):
        with RawClient(port) as two, connect3(port) as three:
            for key in spread:
                two.call("HSET", key, "f", "v")
                two.call("ZADD", key + "z", "1.5", "m")
            out = []
            for key in spread:
                for command in (("HGETALL", key), ("GET", "nope"), ("HGET", key, "none"),
                                ("ZSCORE", key + "z", "m"), ("MGET", *spread, "nope")):
                    two.send_command(*command)
                    three.send_command(*command)
                    out += [two.read_reply(), three.read_reply()]
            transcripts.append(out)
    assert transcripts[0] == transcripts[1]
    assert b"$-1\r\n" in transcripts[0] and b"_\r\n" in transcripts[0]


def verbatim_text(reply):
    """The text of a RESP3 verbatim string, checking its length and `txt` format."""
    kind, length, rest = reply[:1], *reply[1:].split(b"\r\n", 1)
    assert kind == b"=" and rest.startswith(b"txt:") and rest.endswith(b"\r\n"), reply
    assert int(length) == len(rest) - 2, reply
    return rest[4:-2].decode()


def test_client_info_and_list_are_verbatim(t3, d3):
    for c in (t3, d3):
        c.call("CLIENT", "SETNAME", "verb")
    got, want = (verbatim_text(c.call("CLIENT", "INFO")) for c in (t3, d3))
    got_fields, want_fields = (dict(f.split("=", 1) for f in text.split()) for text in (got,
                                                                                       want))
    assert list(got_fields) == list(want_fields)
    for field in ("name", "db", "flags", "sub", "psub", "ssub", "multi", "cmd", "user", "redir",
                  "resp"):
        assert got_fields[field] == want_fields[field], field
    assert got_fields["resp"] == "3"
    listing = verbatim_text(t3.call("CLIENT", "LIST", "ID", got_fields["id"]))
    assert listing.startswith(f"id={got_fields['id']} ") and " resp=3" in listing


def test_info_is_verbatim(target, t3):
    """INFO is a verbatim string whose text has the fields RESP2's INFO has."""
    with target.client() as resp2:
        for section in ("server", "keyspace", ""):
            args = ("INFO", section) if section else ("INFO",)
            text = verbatim_text(t3.call(*args))
            plain = resp2.call(*args)
            assert plain.startswith(b"$"), plain
            assert info_fields(text) == info_fields(plain.split(b"\r\n", 1)[1][:-2].decode())
    assert re.search(r"^redis_version:7\.", verbatim_text(t3.call("INFO", "server")), re.M)


def info_fields(text):
    return [line.split(":", 1)[0] for line in text.split("\r\n") if line]


# ---- transactions ----------------------------------------------------------------------------

def test_exec_array_of_typed_replies(t3, d3, spread):
    k1, k2, k3 = spread
    same(t3, d3,
         ("HSET", k3, "f", "v"), ("SADD", k2 + ":s", 5),
         ("MULTI",), ("SET", k1, "1"), ("GET", k1), ("INCRBYFLOAT", k1, "0.5"),
         ("HGETALL", k3), ("ZSCORE", k2, "none"), ("GET", k2), ("LPUSH", k3, "x"),
         ("ZADD", k2, "2.5", "m"), ("ZSCORE", k2, "m"), ("EXISTS", k1, k2, k3), ("EXEC",))
    same(t3, d3, ("MULTI",), ("DISCARD",), ("MULTI",), ("NOSUCH",), ("GET", k1), ("EXEC",))


def test_exec_with_local_and_split_commands(t3, d3, spread):
    """Inside EXEC the replies the proxy builds or merges are RESP3 too."""
    k1, k2, k3 = spread
    same(t3, d3, ("SET", k2, "two"), ("MULTI",), ("PING",), ("ECHO", "e"),
         ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "nomatch*"), ("CLIENT", "GETNAME"),
         ("MGET", k1, k2, k3), ("EXISTS", k1, k2, k3), ("DEL", k1, k2, k3),
         ("MGET", k1, k2), ("EXEC",))


def test_exec_after_watched_change_is_null(target, t3, d3, direct_server, spread):
    k1, k2, _ = spread
    for c, port in ((t3, target.port), (d3, direct_server.port)):
        assert c.call("WATCH", k1) == b"+OK\r\n"
        with RawClient(port) as other:
            other.call("SET", k1, "changed")
        assert [c.call(*cmd) for cmd in (("MULTI",), ("GET", k1), ("GET", k2))] == [
            b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"]
        assert c.call("EXEC") == b"_\r\n"


def watch_then_hello(port, key, other_key, protocol, change):
    """WATCH in one protocol, HELLO to the other, then a transaction: EXEC's reply (aborted
    or not) is in the protocol the client speaks at EXEC."""
    with RawClient(port) as c:
        if protocol == "2":
            hello3(c)
        out = [c.call("WATCH", key), without_id(c.call("HELLO", protocol))]
        if change:
            with RawClient(port) as other:
                other.call("SET", key, "changed")
        out += [c.call(*cmd) for cmd in (("MULTI",), ("GET", key), ("HGETALL", other_key),
                                           ("EXEC",), ("GET", "nosuch"))]
        return out


@pytest.mark.parametrize("protocol", ["2", "3"])
@pytest.mark.parametrize("change", [True, False])
def test_hello_between_watch_and_exec(target, direct_server, spread, protocol, change):
    k1, k2, _ = spread
    target.flushall()
    with direct_server.client() as d:
        d.call("FLUSHALL")
    got = watch_then_hello(target.port, k1, k2, protocol, change)
    assert got == watch_then_hello(direct_server.port, k1, k2, protocol, change)


# ---- blocking commands -----------------------------------------------------------------------

def test_blocking_timeouts_are_nulls(t3, d3, spread):
    k1, k2, k3 = spread
    same(t3, d3, ("BLPOP", k1, "0.05"), ("BLPOP", k1, k2, k3, "0.05"), ("BRPOP", k2, "0.05"),
         ("BZPOPMIN", k1, "0.05"), ("BZPOPMAX", k1, k2, "0.05"),
         ("BLMPOP", "0.05", 1, k3, "LEFT"), ("BZMPOP", "0.05", 2, f"{{{k1}}}a", f"{{{k1}}}b",
                                             "MIN"),
         ("BRPOPLPUSH", k1, f"{{{k1}}}:dst", "0.05"),
         ("BLMOVE", k1, f"{{{k1}}}:dst", "LEFT", "RIGHT", "0.05"),
         ("XREAD", "BLOCK", 50, "STREAMS", k2, "$"))


def test_blocking_replies_when_served(target, direct_server, t3, d3, spread):
    k1, k2, k3 = spread
    same(t3, d3, ("RPUSH", k2, "ready"), ("BLPOP", k1, k2, 1), ("ZADD", k3, "1.5", "m"),
         ("BZPOPMIN", k3, 1))
    for c, port, server in ((t3, target.port, target.server_of(k3)),
                            (d3, direct_server.port, direct_server)):
        # Served by another client's write while it waits.
        answers = {}
        waiter = threading.Thread(target=lambda: answers.update(got=c.call("BZPOPMAX", k3, 5)))
        waiter.start()
        with server.client() as watcher:
            deadline = time.monotonic() + 5
            while b"blocked_clients:1" not in watcher.call("INFO", "clients"):
                assert time.monotonic() < deadline, "the client never blocked"
                time.sleep(0.02)
        with RawClient(port) as other:
            other.call("ZADD", k3, "2.25", "late")
        waiter.join(10)
        assert answers["got"] == b"*3\r\n" + bulk(k3) + b"$4\r\nlate\r\n,2.25\r\n"


# ---- COMMAND, COMMAND INFO, COMMAND DOCS, COMMAND GETKEYSANDFLAGS ----------------------------
# Redis 7.0 lists a container's subcommands in the order of a hash table seeded per process
# (shardis: by name), so both sides' subcommands are sorted before comparing; everything else is
# compared byte for byte. In RESP3 the flags, ACL categories, tips and key specs are sets, the
# docs and key specs maps.

def value_end(data, pos):
    """Offset just past the RESP value that starts at `pos`."""
    line_end = data.index(b"\r\n", pos) + 2
    kind, n = data[pos:pos + 1], data[pos + 1:line_end - 2]
    if kind in b"$=!":
        return line_end if int(n) < 0 else line_end + int(n) + 2
    if kind in b"*~>%":
        for _ in range(max(int(n), 0) * (2 if kind == b"%" else 1)):
            line_end = value_end(data, line_end)
    return line_end


def elements(frame):
    """The header and the raw bytes of each element of an aggregate (a map's keys and values in
    turn)."""
    header_end = frame.index(b"\r\n") + 2
    pos, out = header_end, []
    while pos < len(frame):
        end = value_end(frame, pos)
        out.append(frame[pos:end])
        pos = end
    return frame[:header_end], out


def sorted_pairs(items):
    pairs = sorted(zip(items[::2], items[1::2]))
    return [part for pair in pairs for part in pair]


def info_element(element):
    """A COMMAND INFO element with its subcommands (its last field) sorted."""
    if element == b"_\r\n":
        return element
    header, fields = elements(element)
    assert header == b"*10\r\n" and len(fields) == 10, element
    if fields[9][:1] == b"*":  # a container's subcommands
        sub_header, subs = elements(fields[9])
        fields[9] = sub_header + b"".join(sorted(subs))
    return header + b"".join(fields)


def docs_map(docs):
    """A command's docs (a map) with its subcommands (a map of name -> docs) sorted by name."""
    header, items = elements(docs)
    assert header[:1] == b"%", docs
    for i in range(0, len(items), 2):
        if items[i] == bulk("subcommands"):
            sub_header, subs = elements(items[i + 1])
            assert sub_header[:1] == b"%", items[i + 1]
            items[i + 1] = sub_header + b"".join(sorted_pairs(subs))
    return header + b"".join(items)


def command_info(reply):
    header, items = elements(reply)
    assert header[:1] == b"*", reply
    return header + b"".join(info_element(e) for e in items)


def command_docs(reply):
    header, items = elements(reply)
    assert header[:1] == b"%", reply
    return header + b"".join(items[i] + docs_map(items[i + 1]) for i in range(0, len(items), 2))


def command_sorted(command, reply):
    if reply[:1] == b"-" or command[:1] != ("COMMAND",):
        return reply
    sub = command[1].upper() if len(command) > 1 else ""
    if sub == "INFO" or sub == "":
        return command_info(reply)
    if sub == "DOCS":
        return command_docs(reply)
    return reply


def test_command_info_docs_and_getkeysandflags(t3, d3):
    same(t3, d3,
         *[("COMMAND", "INFO", name) for name in (
             "get", "set", "client", "config|get", "client|list", "xread", "nosuch", "shutdown",
             "client|pause", "config", "eval", "subscribe", "GET", "Client|List")],
         ("COMMAND", "INFO", "get", "nosuch", "client|list", "set"),
         *[("COMMAND", "DOCS", name) for name in (
             "get", "set", "client|kill", "config", "xread", "nosuch", "shutdown", "GET")],
         ("COMMAND", "DOCS", "get", "nosuch", "client|list", "set"),
         ("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b"),
         ("COMMAND", "GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2"),
         ("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"),
         ("COMMAND", "GETKEYSANDFLAGS", "XREAD", "STREAMS", "s1", "s2", "0", "0"),
         ("COMMAND", "GETKEYSANDFLAGS", "EVAL", "return 1", "2", "k1", "k2", "x"),
         ("COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "STORE", "d"),
         ("COMMAND", "GETKEYSANDFLAGS", "ZUNION", "2", "a", "b"),
         ("COMMAND", "GETKEYSANDFLAGS", "GET"), ("COMMAND", "GETKEYSANDFLAGS", "PING", "x"),
         ("COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "x"),
         ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"),
         normalise=command_sorted)
    flags = parse(t3.call("COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b"))
    assert flags == [[b"a", ("set", [b"OW", b"update"])]], flags
    info = parse(t3.call("COMMAND", "INFO", "get"))[0]
    assert info[2] == ("set", [b"readonly", b"fast"]) and info[8][0] == "set", info


def test_command_and_command_docs_listings(target, t3, d3):
    """COMMAND and COMMAND DOCS without arguments: every command shardis lists is the server's,
    element for element (shardis leaves out the commands it refuses)."""
    count = int(t3.call("COMMAND", "COUNT")[1:-2])
    header, items = elements(t3.call("COMMAND"))
    assert header == b"*%d\r\n" % count
    want = {parse(e)[0]: info_element(e) for e in elements(d3.call("COMMAND"))[1]}
    got = {parse(e)[0]: info_element(e) for e in items}
    assert len(got) == count > 150 and set(got) <= set(want), set(got) - set(want)
    for name, element in got.items():
        assert element == want[name], name
    # COMMAND INFO without a name is COMMAND.
    header, info_items = elements(t3.call("COMMAND", "INFO"))
    assert header == b"*%d\r\n" % count
    assert sorted(map(info_element, info_items)) == sorted(got.values())

    header, items = elements(t3.call("COMMAND", "DOCS"))
    assert header == b"%%%d\r\n" % count
    _, want_items = elements(d3.call("COMMAND", "DOCS"))
    want = {want_items[i]: docs_map(want_items[i + 1]) for i in range(0, len(want_items), 2)}
    got = {items[i]: docs_map(items[i + 1]) for i in range(0, len(items), 2)}
    assert len(got) == count and set(got) <= set(want), set(got) - set(want)
    for name, docs in got.items():
        assert docs == want[name], name

    listing = t3.call("COMMAND", "LIST")
    assert listing.startswith(b"*") and bulk("get") in listing and bulk("client|list") in listing
    if target.lone is None:  # shardis: the commands it refuses are not offered
        assert b"shutdown" not in b"".join(got) and bulk("shutdown") not in listing
