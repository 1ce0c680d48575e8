"""Single-server commands through shardis: forwarding, pipelining order, Redis's own wording
for every error, and placement of keys where `shardis locate` says."""
from harness import RawClient, encode_command


def test_ping_and_echo(proxy):
    assert proxy.call("PING") == b"+PONG\r\n"
    assert proxy.call("PING", "hello") == b"$5\r\nhello\r\n"
    assert proxy.call("ECHO", "a\r\nb") == b"$4\r\na\r\nb\r\n"


def test_set_get_round_trip(proxy):
    assert proxy.call("SET", "greeting", "hello") == b"+OK\r\n"
    assert proxy.call("GET", "greeting") == b"$5\r\nhello\r\n"
    assert proxy.call("GET", "missing") == b"$-1\r\n"


def test_binary_and_large_values(proxy):
    value = bytes(range(256)) * 4096  # 1 MiB, every byte value
    assert proxy.call("SET", b"bin\x00key\xff", value) == b"+OK\r\n"
    assert proxy.call("GET", b"bin\x00key\xff") == b"$%d\r\n%s\r\n" % (len(value), value)


def test_pipelined_replies_come_back_in_request_order(proxy):
    # 3,000 INCRs over 300 keys spread across all servers, sent in one write: each reply must
    # be the count for its own key at that point, which only holds if order is kept.
    keys = [f"counter:{i}" for i in range(300)]
    proxy.send(b"".join(encode_command("INCR", k) for _ in range(10) for k in keys))
    replies = proxy.read_replies(3000)
    expected = [b":%d\r\n" % (round_ + 1) for round_ in range(10) for _ in keys]
    assert replies == expected


def test_inline_commands(proxy):
    proxy.send(b'SET inline "two words"\r\nGET inline\r\nPING\r\n')
    assert proxy.read_replies(3) == [b"+OK\r\n", b"$9\r\ntwo words\r\n", b"+PONG\r\n"]


def test_request_split_across_writes(proxy):
    data = encode_command("SET", "split", "x" * 1000) + encode_command("GET", "split")
    for i in range(0, len(data), 7):
        proxy.send(data[i:i + 7])
    assert proxy.read_replies(2) == [b"+OK\r\n", b"$1000\r\n" + b"x" * 1000 + b"\r\n"]


def same_reply(proxy, direct, *args):
    got, want = proxy.call(*args), direct.call(*args)
    assert got == want, f"{args}: shardis {got!r} != redis {want!r}"
    return got


def test_error_wording_matches_redis(proxy, direct):
    same_reply(proxy, direct, "NOSUCHCMD", "a", "b")
    same_reply(proxy, direct, "nosuchcmd")
    same_reply(proxy, direct, "GET")
    same_reply(proxy, direct, "GET", "a", "b")
    same_reply(proxy, direct, "SET", "k", "v", "XX", "NX")  # server-side syntax error
    same_reply(proxy, direct, "HSET", "h", "f")
    same_reply(proxy, direct, "SET", "s", "x")
    same_reply(proxy, direct, "LPUSH", "s", "x")  # WRONGTYPE from the server
    same_reply(proxy, direct, "INCR", "s")


def test_connection_stays_usable_after_errors(proxy):
    assert proxy.call("NOSUCHCMD").startswith(b"-ERR unknown command")
    assert proxy.call("GET").startswith(b"-ERR wrong number of arguments")
    assert proxy.call("PING") == b"+PONG\r\n"


def test_unsupported_command_is_refused_by_name(proxy):
    reply = proxy.call("SHUTDOWN")
    assert reply.startswith(b"-ERR") and b"shutdown" in reply.lower()
    assert proxy.call("PING") == b"+PONG\r\n"


def test_crossslot_refuses_and_sends_nothing(cluster, proxy):
    keys = spread_keys(cluster, 2)
    proxy.call("SET", keys[0], "v")
    reply = proxy.call("RENAME", keys[0], keys[1])
    assert reply == b"-CROSSSLOT Keys in request don't hash to the same server\r\n"
    reply = proxy.call("MSETNX", keys[0], "1", keys[1], "2")
    assert reply == b"-CROSSSLOT Keys in request don't hash to the same server\r\n"
    assert proxy.call("GET", keys[0]) == b"$1\r\nv\r\n"
    assert proxy.call("GET", keys[1]) == b"$-1\r\n"


def test_hash_tagged_multi_key_commands_run(proxy):
    assert proxy.call("SET", "{user1}.a", "v") == b"+OK\r\n"
    assert proxy.call("RENAME", "{user1}.a", "{user1}.b") == b"+OK\r\n"
    assert proxy.call("GET", "{user1}.b") == b"$1\r\nv\r\n"
    assert proxy.call("SADD", "{t}x", "1", "2") == b":2\r\n"
    assert proxy.call("SADD", "{t}y", "2", "3") == b":2\r\n"
    assert proxy.call("SINTERSTORE", "{t}z", "{t}x", "{t}y") == b":1\r\n"


def test_eval_routes_by_keys(cluster, proxy):
    script = "return redis.call('SET', KEYS[1], ARGV[1])"
    assert proxy.call("EVAL", script, 1, "evalkey", "v") == b"+OK\r\n"
    assert proxy.call("GET", "evalkey") == b"$1\r\nv\r\n"
    keys = spread_keys(cluster, 2)
    reply = proxy.call("EVAL", "return 1", 2, keys[0], keys[1])
    assert reply.startswith(b"-CROSSSLOT")
    # numkeys 0 goes to one deterministic server: twice the same answer.
    assert proxy.call("EVAL", "return 7", 0) == b":7\r\n"


def test_select_only_the_pools_db(proxy):
    assert proxy.call("SELECT", 0) == b"+OK\r\n"
    assert proxy.call("SELECT", 1).startswith(b"-ERR")
    assert proxy.call("PING") == b"+PONG\r\n"


def test_quit_replies_ok_then_closes(cluster):
    with cluster.proxy.client() as c:
        c.send(encode_command("SET", "q", "1") + encode_command("QUIT") + encode_command("PING"))
        assert c.read_replies(2) == [b"+OK\r\n", b"+OK\r\n"]
        assert c.closed_by_peer()
        assert c.buf == b""


def test_protocol_error_replies_then_closes(cluster, direct_server):
    for garbage in (b"*1\r\n$x\r\n", b"*abc\r\n", b"*1\r\n+PING\r\n", b"*2\r\n$3\r\nGET\r\n$-5\r\n"):
        with cluster.proxy.client() as c, direct_server.client() as d:
            c.send(garbage)
            d.send(garbage)
            assert c.closed_by_peer() and d.closed_by_peer()
            assert c.buf == d.buf, garbage


def test_keys_land_where_locate_says(cluster, proxy):
    keys = [f"placed:{i}" for i in range(200)] + ["{tag}a", "{tag}b", "", "\u00e9t\u00e9"]
    for k in keys:
        assert proxy.call("SET", k, "x") == b"+OK\r\n"
    placement = cluster.proxy.locate(*keys)
    for k in keys:
        for name, server in cluster.by_name.items():
            with server.client() as c:
                present = c.call("EXISTS", k) == b":1\r\n"
            assert present == (placement[k] == name), (k, name, placement[k])


def spread_keys(cluster, n):
    """n keys that shardis places on n different servers."""
    candidates = [f"spread:{i}" for i in range(64)]
    placement = cluster.proxy.locate(*candidates)
    chosen, servers = [], set()
    for k in candidates:
        if placement[k] not in servers:
            servers.add(placement[k])
            chosen.append(k)
        if len(chosen) == n:
            return chosen
    raise AssertionError("could not spread keys over servers")


def test_many_clients_interleaved(cluster):
    clients = [RawClient(cluster.proxy.port) for _ in range(50)]
    try:
        for i, c in enumerate(clients):
            c.send_command("SET", f"client:{i}", str(i))
        for i, c in enumerate(clients):
            assert c.read_reply() == b"+OK\r\n"
            assert c.call("GET", f"client:{i}") == b"$%d\r\n%d\r\n" % (len(str(i)), i)
    finally:
        for c in clients:
            c.close()
