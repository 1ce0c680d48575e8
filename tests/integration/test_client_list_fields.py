"""CLIENT LIST and CLIENT INFO print every field Redis 7.0 prints, in its order, with true values
(conformance issue, item 6), checked against one direct redis-server 7.0.

The field names and their order must match Redis byte for byte. Values that must agree for an
idle client (db, flags, multi, sub, psub, ssub, qbuf, argv-mem, obl, oll, omem, events, cmd,
user, redir, resp) are compared exactly; the memory figures (qbuf-free, rbs, rbp, tot-mem) are
the proxy's own and are checked to move as they should: qbuf and argv-mem while a request is
half-sent, oll while replies wait behind a slower request, obl/omem/tot-mem while a client does
not read its replies. One worker thread, so that every client's line has its live values."""
import re
import socket
import time

import pytest

from harness import HOST, Cluster, RawClient, encode_command, wait_until

# Redis 7.0.15's CLIENT LIST fields, in order (what the direct server is also checked against).
REDIS_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp",
                "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"]

# The fields an idle client shows the same through the proxy as on a server.
IDLE_FIELDS = ["flags", "db", "sub", "psub", "ssub", "multi", "qbuf", "argv-mem", "multi-mem",
               "obl", "oll", "omem", "events", "cmd", "user", "redir", "resp"]


@pytest.fixture(scope="module")
def cluster():
    with Cluster(3, pool_options={"timeout": 2000}, args=["--threads", "1"]) as c:
        yield c


@pytest.fixture
def proxy(cluster):
    cluster.flushall()
    with cluster.proxy.client() as c:
        yield c


def bulk_text(reply):
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n", 1)[1][:-2].decode()


def parse_line(line):
    """[(name, value)] in the line's order."""
    return [tuple(field.split("=", 1)) for field in line.split(" ")]


def fields(line):
    return dict(parse_line(line))


def own_id(client):
    return int(client.call("CLIENT", "ID")[1:-2])


def connect_like(client):
    """Another connection to whatever `client` is connected to (proxy or server)."""
    return RawClient(client.sock.getpeername()[1])


def line_of(client, wanted_id):
    """The CLIENT LIST line of client `wanted_id`, as seen from `client`, parsed."""
    for line in bulk_text(client.call("CLIENT", "LIST")).splitlines():
        f = fields(line)
        if int(f["id"]) == wanted_id:
            return f
    raise AssertionError(f"client {wanted_id} not listed")


@pytest.mark.parametrize("command", [("CLIENT", "INFO"), ("CLIENT", "LIST")], ids=" ".join)
def test_field_names_and_order_are_redis_7_0s(proxy, direct, command):
    names = []
    for client in (proxy, direct):
        line = bulk_text(client.call(*command)).splitlines()[0]
        names.append([name for name, _ in parse_line(line)])
    assert names[1] == REDIS_FIELDS, "the direct server is not the Redis 7.0 this test expects"
    assert names[0] == names[1]


def test_client_info_values_agree_with_redis(proxy, direct):
    # The caller's own line, while CLIENT INFO runs: as in Redis, its query buffer holds the
    # command (26 bytes) and its arguments are "client" and "info" (10 bytes).
    seen = []
    for client in (proxy, direct):
        f = fields(bulk_text(client.call("CLIENT", "INFO")).rstrip("\n"))
        seen.append({k: f[k] for k in IDLE_FIELDS})
    assert seen[0] == seen[1]
    assert seen[0]["qbuf"] == "26" and seen[0]["argv-mem"] == "10"
    assert seen[0]["cmd"] == "client|info"


def test_idle_client_values_agree_with_redis(proxy, direct):
    seen = []
    for client in (proxy, direct):
        with connect_like(client) as other:
            them = own_id(other)
            assert other.call("PING") == b"+PONG\r\n"
            f = line_of(client, them)
            seen.append(f)
    idle = [{k: f[k] for k in IDLE_FIELDS} for f in seen]
    assert idle[0] == idle[1]
    assert idle[0] == {"flags": "N", "db": "0", "sub": "0", "psub": "0", "ssub": "0",
                       "multi": "-1", "qbuf": "0", "argv-mem": "0", "multi-mem": "0",
                       "obl": "0", "oll": "0", "omem": "0", "events": "r", "cmd": "ping",
                       "user": "default", "redir": "-1", "resp": "2"}
    # What the proxy holds for an idle client: its session and stream at least, no buffers.
    assert int(seen[0]["tot-mem"]) > 0
    assert seen[0]["qbuf-free"] == "0" and seen[0]["rbs"] == "0"


HALF_SET = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc"


def test_a_half_sent_request_shows_in_qbuf_and_argv_mem(proxy, direct):
    for client in (proxy, direct):
        with connect_like(client) as other:
            them = own_id(other)
            before = line_of(client, them)
            other.send(HALF_SET)
            # SET and k are complete arguments: 4 bytes, on the server as through the proxy.
            # The server keeps in qbuf what it has not parsed yet ("abc"); the proxy keeps the
            # request's bytes so far, in a buffer of its own.
            whole = len(HALF_SET) if client is proxy else len(b"abc")

            def held_whole():
                f = line_of(client, them)
                return f["argv-mem"] == "4" and int(f["qbuf"]) == whole

            wait_until(held_whole, what="the half-sent request in qbuf and argv-mem")
            held = line_of(client, them)
            assert held["cmd"] == "client|id"  # the last command that ran
            if client is proxy:
                assert int(held["qbuf"]) + int(held["qbuf-free"]) <= 2 * len(HALF_SET) + 64
                assert int(held["tot-mem"]) >= int(before["tot-mem"]) + len(HALF_SET)
            other.send(b"defghij\r\n")
            assert other.read_reply() == b"+OK\r\n"
            done = line_of(client, them)
            assert (done["qbuf"], done["argv-mem"], done["cmd"]) == ("0", "0", "set")
            if client is proxy:
                assert done["qbuf-free"] == "0"
                assert int(done["tot-mem"]) == int(before["tot-mem"])


# Busy for 1.5 s on its server (scripts may read TIME): a slow request on a shared connection.
SLOW_SCRIPT = ("local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
               "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 1500000 "
               "return 0")


def test_replies_held_behind_a_slow_request_show_in_oll_and_omem(cluster, proxy):
    # The script holds its server for 1.5 s; the ECHOs behind it are answered by the proxy at
    # once, and wait in the client's queue, in order. (WAIT did this before it got leased
    # connections; it now holds the client's later requests instead, as Redis does.)
    echoes, size = 20, 1000
    with cluster.proxy.client() as other:
        them = own_id(other)
        idle = line_of(proxy, them)
        other.send(encode_command("EVAL", SLOW_SCRIPT, "0") +
                   b"".join(encode_command("ECHO", "x" * size) for _ in range(echoes)))
        wait_until(lambda: int(line_of(proxy, them)["oll"]) == echoes, timeout=5.0,
                   what=f"{echoes} replies held")
        held = line_of(proxy, them)
        owed = echoes * (size + len(b"$1000\r\n\r\n"))
        assert int(held["omem"]) >= owed
        assert int(held["tot-mem"]) >= int(idle["tot-mem"]) + owed
        replies = other.read_replies(1 + echoes)
        assert replies[0] == b":0\r\n"
        done = line_of(proxy, them)
        assert (done["oll"], done["omem"], done["obl"]) == ("0", "0", "0")


def test_a_client_that_does_not_read_shows_its_replies_in_obl_omem_and_events(proxy, direct):
    value_size, gets = 1 << 20, 24  # 24 MiB of replies: more than the kernel buffers take
    for client in (proxy, direct):
        client.call("SET", "big", "v" * value_size)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(client.sock.getpeername())
        try:
            reader = RawClient(sock=sock)
            them = own_id(reader)
            sock.sendall(b"".join(encode_command("GET", "big") for _ in range(gets)))

            def owes():
                return int(line_of(client, them)["omem"]) >= value_size

            wait_until(owes, timeout=10.0, what="replies owed to a client that does not read")
            f = line_of(client, them)
            assert "w" in f["events"], f
            assert int(f["tot-mem"]) >= int(f["omem"])
            if client is proxy:
                assert int(f["obl"]) >= value_size and int(f["rbs"]) >= value_size
                assert int(f["rbp"]) >= int(f["obl"])
        finally:
            sock.close()
        client.call("DEL", "big")


def test_blocked_client_shows_flag_b_and_its_command(proxy, direct):
    """A client in BLPOP: flags=b and cmd=blpop, as on the server; back to N once served."""
    for client in (proxy, direct):
        with connect_like(client) as blocked:
            blocked_id = own_id(blocked)
            blocked.send_command("BLPOP", "fields:queue", "5")
            wait_until(lambda: line_of(client, blocked_id)["flags"] == "b", timeout=5.0,
                       what="the client listed as blocked")
            assert line_of(client, blocked_id)["cmd"] == "blpop"
            client.call("RPUSH", "fields:queue", "job")
            assert blocked.read_reply() == b"*2\r\n$12\r\nfields:queue\r\n$3\r\njob\r\n"
            assert line_of(client, blocked_id)["flags"] == "N"
