"""Split commands (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH) and whole-keyspace commands through
shardis over three servers return what one redis-server returns (issue 5)."""
import random
import threading

import pytest

from harness import Cluster, bulk_elements, encode_command

SPLIT_SIZES = [1, 2, 3, 10, 100, 1000]


def keyset(n, seed):
    rng = random.Random(seed)
    keys = [f"k:{rng.randrange(10 * n + 10)}" for _ in range(n)]
    if n >= 3:
        keys[1] = keys[0]          # a duplicate
        keys[2] = ""               # the empty key
    if n >= 10:
        keys[5] = b"bin\x00\xff\r\n" + str(seed).encode()  # binary bytes
    return keys


def both(proxy, direct, *args):
    got, want = proxy.call(*args), direct.call(*args)
    assert got == want, f"{[a if len(str(a)) < 40 else '...' for a in args][:8]}: " \
                        f"shardis {got[:200]!r} != redis {want[:200]!r}"
    return got


@pytest.mark.parametrize("n", SPLIT_SIZES)
def test_split_commands_match_one_server(proxy, direct, n):
    keys = keyset(n, n)
    stored = [k for i, k in enumerate(keys) if i % 2 == 0]
    pairs = [x for i, k in enumerate(stored) for x in (k, f"v{i}")]
    both(proxy, direct, "MSET", *pairs)
    both(proxy, direct, "MGET", *keys)
    both(proxy, direct, "EXISTS", *keys)
    both(proxy, direct, "TOUCH", *keys)
    both(proxy, direct, "DEL", *keys[: n // 2 + 1])
    both(proxy, direct, "MGET", *keys)
    both(proxy, direct, "UNLINK", *keys)
    both(proxy, direct, "EXISTS", *keys)


def test_large_values_through_mget(proxy, direct):
    big = bytes(random.Random(1).randrange(256) for _ in range(1 << 16)) * 160  # 10 MiB
    keys = [f"big:{i}" for i in range(4)]
    both(proxy, direct, "MSET", keys[0], big, keys[1], b"x", keys[2], big)
    both(proxy, direct, "MGET", *keys)


def test_split_arity_errors_match(proxy, direct):
    both(proxy, direct, "MGET")
    both(proxy, direct, "MSET", "a")
    both(proxy, direct, "MSET", "a", "1", "b")
    both(proxy, direct, "DEL")


def test_pipelined_split_commands_keep_order(proxy):
    batch = []
    for i in range(200):
        batch.append(encode_command("MSET", f"p:{i}", i, f"q:{i}", i * 2))
        batch.append(encode_command("MGET", f"p:{i}", f"q:{i}", "nope"))
        batch.append(encode_command("GET", f"q:{i}"))
    proxy.send(b"".join(batch))
    replies = proxy.read_replies(600)
    for i in range(200):
        a, b = str(i).encode(), str(i * 2).encode()
        assert replies[3 * i] == b"+OK\r\n"
        assert replies[3 * i + 1] == b"*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$-1\r\n" % (
            len(a), a, len(b), b)
        assert replies[3 * i + 2] == b"$%d\r\n%s\r\n" % (len(b), b)


def test_msetnx_only_on_one_server(cluster, proxy):
    assert proxy.call("MSETNX", "{x}a", 1, "{x}b", 2) == b":1\r\n"
    spread = [f"spread:{i}" for i in range(30)]
    placement = cluster.proxy.locate(*spread)
    first = spread[0]
    other = next(k for k in spread if placement[k] != placement[first])
    reply = proxy.call("MSETNX", first, 1, other, 2)
    assert reply == b"-CROSSSLOT Keys in request don't hash to the same server\r\n"


def test_keyspace_commands(cluster, proxy, direct):
    keys = [f"ks:{i}" for i in range(500)]
    pairs = [x for k in keys for x in (k, "v")]
    both(proxy, direct, "MSET", *pairs)
    both(proxy, direct, "DBSIZE")
    assert sorted(proxy_list(proxy.call("KEYS", "ks:1*"))) == sorted(
        proxy_list(direct.call("KEYS", "ks:1*")))
    key = proxy.call("RANDOMKEY")
    assert key.startswith(b"$") and proxy_list(b"*1\r\n" + key)[0] in {k.encode() for k in keys}
    both(proxy, direct, "FLUSHDB")
    both(proxy, direct, "DBSIZE")
    both(proxy, direct, "RANDOMKEY")
    both(proxy, direct, "MSET", "a", 1, "b", 2)
    both(proxy, direct, "FLUSHALL", "ASYNC")
    both(proxy, direct, "FLUSHDB", "SYNC")
    both(proxy, direct, "DBSIZE")


def test_script_load_exists_flush(cluster, proxy, direct):
    sha = both(proxy, direct, "SCRIPT", "LOAD", "return KEYS[1]")
    sha_text = sha.split(b"\r\n")[1].decode()
    for server in cluster.redis:  # loaded on every server, so EVALSHA works for any key
        with server.client() as c:
            assert c.call("SCRIPT", "EXISTS", sha_text) == b"*1\r\n:1\r\n"
    for i in range(20):
        assert proxy.call("EVALSHA", sha_text, 1, f"e:{i}") == b"$%d\r\ne:%d\r\n" % (
            len(f"e:{i}"), i)
    both(proxy, direct, "SCRIPT", "EXISTS", sha_text, "0" * 40)
    with cluster.redis[1].client() as c:
        c.call("SCRIPT", "FLUSH")
    assert proxy.call("SCRIPT", "EXISTS", sha_text) == b"*1\r\n:0\r\n"  # not everywhere
    both(proxy, direct, "SCRIPT", "FLUSH")
    both(proxy, direct, "SCRIPT", "EXISTS", sha_text)


def proxy_list(reply):
    """Elements of a flat array of bulk strings."""
    return bulk_elements(reply)


def scan_all(client, *options, limit=100000):
    cursor, seen, calls = b"0", [], 0
    while True:
        reply = client.call("SCAN", cursor, *options)
        assert reply.startswith(b"*2\r\n"), reply
        body = reply[4:]
        length, _, rest = body.partition(b"\r\n")
        cursor = rest[: int(length[1:])]
        seen += proxy_list(rest[int(length[1:]) + 2:])
        calls += 1
        assert calls < limit
        if cursor == b"0":
            return seen
        assert 0 < int(cursor) < 2 ** 63


def test_scan_returns_every_key(cluster, proxy):
    n = 100000
    pipe = b"".join(encode_command("MSET", *[x for j in range(100) for x in
                                             (f"scan:{i + j}", "v")]) for i in range(0, n, 100))
    proxy.send(pipe)
    assert set(proxy.read_replies(n // 100)) == {b"+OK\r\n"}
    for i in range(0, 1000):
        proxy.call("SADD", f"set:{i}", "m")
    seen = scan_all(proxy, "COUNT", 1000)
    assert set(seen) == {f"scan:{i}".encode() for i in range(n)} | {
        f"set:{i}".encode() for i in range(1000)}
    matched = scan_all(proxy, "MATCH", "scan:9999*", "COUNT", 500)
    assert set(matched) == {f"scan:{k}".encode() for k in range(n) if str(k).startswith("9999")}
    typed = scan_all(proxy, "TYPE", "set", "COUNT", 2000)
    assert set(typed) == {f"set:{i}".encode() for i in range(1000)}


def test_scan_guarantee_under_concurrent_writes(cluster, proxy):
    stable = {f"stable:{i}".encode() for i in range(5000)}
    proxy.send(b"".join(encode_command("SET", k, "v") for k in stable))
    proxy.read_replies(len(stable))
    stop = threading.Event()

    def writer():
        with cluster.proxy.client() as w:
            for i in range(20000):  # bounded
                if stop.is_set():
                    return
                w.call("SET", f"churn:{i}", "v")
                if i % 3 == 0:
                    w.call("DEL", f"churn:{i // 2}")

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set(scan_all(proxy, "COUNT", 100))
    finally:
        stop.set()
        t.join(timeout=60)
    assert stable <= seen


def test_scan_invalid_cursor(proxy, direct):
    assert proxy.call("SCAN", "abc") == b"-ERR invalid cursor\r\n"
    assert proxy.call("SCAN", "-1") == b"-ERR invalid cursor\r\n"
    assert proxy.call("SCAN", str(2 ** 64)) == b"-ERR invalid cursor\r\n"
    assert proxy.call("PING") == b"+PONG\r\n"


def test_server_down_during_split_and_fanout():
    with Cluster(3, pool_options={"timeout": 1000}) as cluster:
        keys = [f"d:{i}" for i in range(300)]
        placement = cluster.proxy.locate(*keys)
        victim = placement[keys[0]]
        on_victim = [k for k in keys if placement[k] == victim]
        others = [k for k in keys if placement[k] != victim]
        assert on_victim and others
        mixed = [on_victim[0], others[0], others[-1]]
        dead = b"-ERR server %s: " % victim.encode()
        with cluster.proxy.client() as c:
            assert c.call("MSET", *[x for k in keys for x in (k, "v")]) == b"+OK\r\n"
            cluster.by_name[victim].kill()
            for command in (("MGET", *mixed), ("MSET", *[x for k in mixed for x in (k, "1")]),
                            ("DEL", *mixed), ("EXISTS", *mixed), ("DBSIZE",), ("KEYS", "*")):
                reply = c.call(*command)
                assert reply.startswith(dead), (command[0], reply)
                assert c.call("PING") == b"+PONG\r\n"
            # SCAN visits the servers in turn: it fails when it reaches the dead one.
            cursor, reply = b"0", b""
            for _ in range(10):
                reply = c.call("SCAN", cursor, "COUNT", 1000)
                if reply.startswith(b"-"):
                    break
                length, _, rest = reply[4:].partition(b"\r\n")
                cursor = rest[: int(length[1:])]
                assert cursor != b"0", "SCAN finished without reaching the dead server"
            assert reply.startswith(dead), reply
            assert c.call("PING") == b"+PONG\r\n"


def test_wait_lastsave_and_inline_fanout(proxy, direct):
    both(proxy, direct, "WAIT", 0, 0)
    assert proxy.call("LASTSAVE").startswith(b":")
    proxy.call("MSET", "i:a", 1, "i:b", 2, "i:c", 3)
    proxy.send(b"DBSIZE\r\nMGET i:a i:b i:c i:d\r\nKEYS i:*\r\n")  # inline requests
    dbsize, mget, keys = proxy.read_replies(3)
    assert dbsize == b":3\r\n"
    assert mget == b"*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n"
    assert sorted(proxy_list(keys)) == [b"i:a", b"i:b", b"i:c"]
