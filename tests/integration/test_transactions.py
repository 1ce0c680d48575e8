"""MULTI/EXEC/DISCARD/WATCH/UNWATCH (issue 14), raw RESP byte for byte.

Most tests are differential: the same sequence runs on one direct redis-server (the `direct`
fixture) and through shardis over three servers (the `proxy` fixture), and every reply must
be the same bytes. The keys of each transaction are picked with `shardis locate` so that they
land on at least two servers; a command whose keys must share a server uses a hash tag.
Where Redis has no answer (a WATCH or a same-server command over several servers) the
proxy's documented error is asserted instead.
"""
import pytest

from harness import HOST, Cluster, RawClient, encode_command, free_port, wait_until
from test_stats import http_get, metric, parse_metrics, stats_json, wait_for_snapshot

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same server\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
QUEUED = b"+QUEUED\r\n"
OK = b"+OK\r\n"


def spread_keys(cluster, prefix, count):
    """`count` key names ending in `:prefix`, taken round-robin over the servers so that
    consecutive keys live on different servers."""
    # The number goes first: the default hash (fnv1a_64) keeps keys that differ only in
    # their last bytes close together on the ring.
    candidates = [f"{i}:{prefix}" for i in range(16 * count)]
    placed = cluster.proxy.locate(*candidates)
    by_server = {name: [k for k in candidates if placed[k] == name] for name in cluster.names}
    keys = []
    while len(keys) < count:
        for name in cluster.names:
            if len(keys) < count and by_server[name]:
                keys.append(by_server[name].pop(0))
    assert len(set(placed[k] for k in keys)) == min(count, len(cluster.names)), placed
    return keys


def replies(client, commands):
    """Each command's reply, one round trip at a time."""
    return [client.call(*command) for command in commands]


def pipelined(client, commands):
    """All commands in one write, then every reply."""
    client.send(b"".join(encode_command(*c) for c in commands))
    return client.read_replies(len(commands))


def assert_same(proxy, direct, commands, run=replies):
    want = run(direct, commands)
    got = run(proxy, commands)
    for command, g, w in zip(commands, got, want):
        assert g == w, f"{command}: shardis {g!r} != redis {w!r}\nall shardis: {got!r}"
    return got


def transaction(*commands):
    return [("MULTI",), *commands, ("EXEC",)]


def other_client(client):
    return RawClient(client.sock.getpeername()[1])


# One transaction per data type. Keys k[0], k[1], k[2] are on three different servers.
def strings_tx(k):
    return transaction(
        ("SET", k[0], "hello"), ("APPEND", k[0], " world"), ("GET", k[0]), ("STRLEN", k[0]),
        ("SET", k[1], 10), ("INCR", k[1]), ("INCRBY", k[1], 5), ("DECR", k[1]),
        ("INCRBYFLOAT", k[1], "1.5"), ("GETSET", k[2], "x"), ("SETNX", k[2], "y"),
        ("SET", k[2], "z", "XX", "GET"), ("GETRANGE", k[0], 0, 4), ("SETRANGE", k[0], 6, "W"),
        ("GETDEL", k[2]), ("SET", "{s}a", "1"), ("MSETNX", "{s}b", "2", "{s}c", "3"),
        ("RENAME", "{s}a", "{s}d"), ("EXPIRE", k[1], 100), ("TTL", k[1]), ("PERSIST", k[1]),
        ("TYPE", k[0]), ("OBJECT", "ENCODING", k[1]), ("GET", "{s}d"))


def lists_tx(k):
    return transaction(
        ("RPUSH", k[0], 1, 2, 3), ("LPUSH", k[1], "a", "b"), ("LRANGE", k[0], 0, -1),
        ("LLEN", k[1]), ("LINDEX", k[0], 1), ("LSET", k[1], 0, "z"), ("LPOP", k[0]),
        ("RPOP", k[1]), ("LPUSHX", k[2], 9), ("RPUSH", "{l}a", 1, 2), ("LMOVE", "{l}a",
        "{l}b", "LEFT", "RIGHT"), ("RPOPLPUSH", "{l}a", "{l}b"), ("LRANGE", "{l}b", 0, -1),
        ("LPOS", k[0], 3), ("LTRIM", k[0], 0, 0), ("LRANGE", k[0], 0, -1), ("SORT", k[0]))


def hashes_tx(k):
    return transaction(
        ("HSET", k[0], "f1", "v1", "f2", "v2"), ("HSET", k[1], "n", 1), ("HGET", k[0], "f1"),
        ("HMGET", k[0], "f1", "nope"), ("HGETALL", k[0]), ("HINCRBY", k[1], "n", 4),
        ("HINCRBYFLOAT", k[1], "x", "0.5"), ("HKEYS", k[1]), ("HVALS", k[1]),
        ("HEXISTS", k[2], "f"), ("HDEL", k[0], "f2"), ("HLEN", k[0]), ("HSETNX", k[2], "a", "b"),
        ("HSTRLEN", k[0], "f1"), ("HGETALL", k[2]))


def sets_tx(k):
    # Integer members: Redis 7.0 keeps them in an ordered intset, so replies are reproducible.
    return transaction(
        ("SADD", k[0], 1, 2, 3), ("SADD", k[1], 3, 4), ("SCARD", k[0]), ("SISMEMBER", k[1], 4),
        ("SMISMEMBER", k[0], 1, 9), ("SMEMBERS", k[0]), ("SREM", k[0], 2), ("SMEMBERS", k[0]),
        ("SADD", "{t}a", 1, 2, 3), ("SADD", "{t}b", 2, 3, 4), ("SINTER", "{t}a", "{t}b"),
        ("SUNIONSTORE", "{t}c", "{t}a", "{t}b"), ("SMEMBERS", "{t}c"),
        ("SDIFF", "{t}a", "{t}b"), ("SMOVE", "{t}a", "{t}b", 1), ("SCARD", k[2]))


def zsets_tx(k):
    return transaction(
        ("ZADD", k[0], 1, "one", 2, "two"), ("ZADD", k[1], 5, "five"), ("ZSCORE", k[0], "two"),
        ("ZINCRBY", k[1], "2.5", "five"), ("ZRANGE", k[0], 0, -1, "WITHSCORES"),
        ("ZRANK", k[0], "two"), ("ZCARD", k[1]), ("ZCOUNT", k[0], 1, 1),
        ("ZRANGEBYSCORE", k[1], "-inf", "+inf", "WITHSCORES"), ("ZPOPMIN", k[0]),
        ("ZADD", "{z}a", 1, "a", 2, "b"), ("ZADD", "{z}b", 3, "b"),
        ("ZUNIONSTORE", "{z}u", 2, "{z}a", "{z}b"), ("ZRANGE", "{z}u", 0, -1, "WITHSCORES"),
        ("ZINTER", 2, "{z}a", "{z}b", "WITHSCORES"), ("ZREM", k[1], "five"), ("ZCARD", k[2]))


def streams_tx(k):
    return transaction(
        ("XADD", k[0], "1-1", "f", "v"), ("XADD", k[0], "2-1", "f", "w"),
        ("XADD", k[1], "5-0", "a", "b"), ("XLEN", k[0]), ("XRANGE", k[0], "-", "+"),
        ("XREVRANGE", k[1], "+", "-"), ("XGROUP", "CREATE", k[0], "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", k[0], ">"),
        ("XPENDING", k[0], "g"), ("XACK", k[0], "g", "1-1"),
        ("XREAD", "COUNT", 5, "STREAMS", k[1], "0"), ("XTRIM", k[0], "MAXLEN", 1),
        ("XDEL", k[1], "5-0"), ("XLEN", k[1]), ("XLEN", k[2]))


def mixed_tx(k):
    return transaction(
        ("SET", k[0], "v"), ("RPUSH", k[1], "x"), ("HSET", k[2], "f", "v"),
        ("SADD", k[3], 7), ("ZADD", k[4], 1, "m"), ("XADD", k[5], "1-1", "f", "v"),
        ("PFADD", k[0] + "hll", "a", "b"), ("SETBIT", k[1] + "bits", 3, 1),
        ("TYPE", k[0]), ("TYPE", k[1]), ("TYPE", k[2]), ("TYPE", k[3]), ("TYPE", k[4]),
        ("TYPE", k[5]), ("GET", k[0]), ("LRANGE", k[1], 0, -1), ("HGETALL", k[2]),
        ("SMEMBERS", k[3]), ("ZRANGE", k[4], 0, -1), ("XLEN", k[5]))


TRANSACTIONS = {"strings": strings_tx, "lists": lists_tx, "hashes": hashes_tx, "sets": sets_tx,
                "zsets": zsets_tx, "streams": streams_tx, "mixed": mixed_tx}


@pytest.mark.parametrize("kind", sorted(TRANSACTIONS))
def test_transaction_of_each_data_type(cluster, proxy, direct, kind):
    keys = spread_keys(cluster, kind, 6)
    commands = TRANSACTIONS[kind](keys)
    got = assert_same(proxy, direct, commands)
    assert got[1:-1] == [QUEUED] * (len(commands) - 2)
    # Read back outside the transaction: the writes landed and are visible.
    assert_same(proxy, direct, [("TYPE", key) for key in keys] + [("DBSIZE",)])


def test_commands_run_only_at_exec(cluster, proxy, direct):
    k = spread_keys(cluster, "lazy", 3)
    for client in (proxy, direct):
        assert client.call("MULTI") == OK
        for key in k:
            assert client.call("SET", key, "v") == QUEUED
        with other_client(client) as observer:
            for key in k:
                assert observer.call("EXISTS", key) == b":0\r\n", key
        assert client.call("EXEC") == b"*3\r\n+OK\r\n+OK\r\n+OK\r\n"


def test_queue_time_errors_abort_exec(cluster, proxy, direct):
    k = spread_keys(cluster, "qerr", 3)
    for bad in [("NOSUCHCOMMAND", "a", "b"), ("GET",), ("SET", k[1]), ("HSET", k[2], "f"),
                ("ZADD", k[0])]:
        assert_same(proxy, direct, transaction(("SET", k[0], "v"), bad, ("SET", k[1], "w"),
                                               ("INCR", k[2])))
        assert_same(proxy, direct, [("EXISTS", *k)])
    got = assert_same(proxy, direct, transaction(("SET", k[0], 1), ("NOSUCH",)))
    assert got[-1] == EXECABORT


def test_runtime_errors_stay_in_their_slot(cluster, proxy, direct):
    k = spread_keys(cluster, "rterr", 3)
    got = assert_same(proxy, direct, [("SET", k[0], "text")] + transaction(
        ("INCR", k[0]), ("SET", k[1], 1), ("LPUSH", k[0], "x"), ("INCR", k[1]),
        ("HSET", k[2], "f", "v"), ("HGET", k[0], "f"), ("GET", k[1])))
    assert b"-ERR value is not an integer or out of range\r\n" in got[-1]
    assert b"-WRONGTYPE" in got[-1]
    assert_same(proxy, direct, [("GET", k[1]), ("HGETALL", k[2]), ("GET", k[0])])


def test_watch_conflict_from_another_client_runs_nothing(cluster, proxy, direct):
    k = spread_keys(cluster, "wconf", 3)
    for client in (proxy, direct):
        assert client.call("SET", k[0], "before") == OK
        assert client.call("WATCH", k[0]) == OK
        assert client.call("GET", k[0]) == b"$6\r\nbefore\r\n"
        with other_client(client) as rival:
            assert rival.call("SET", k[0], "changed") == OK
        assert pipelined(client, transaction(("SET", k[0], "mine"), ("SET", k[1], "x"),
                                             ("INCR", k[2]))) == [OK, QUEUED, QUEUED, QUEUED,
                                                                  b"*-1\r\n"]
        assert replies(client, [("GET", k[0]), ("EXISTS", k[1], k[2])]) == [
            b"$7\r\nchanged\r\n", b":0\r\n"]
        # EXEC released the watch: the next transaction commits.
        assert pipelined(client, transaction(("SET", k[1], "y"))) == [OK, QUEUED, b"*1\r\n+OK\r\n"]


def test_watch_without_conflict_commits_across_servers(cluster, proxy, direct):
    k = spread_keys(cluster, "wok", 3)
    assert_same(proxy, direct, [("SET", k[0], 5), ("WATCH", k[0]), ("GET", k[0])]
                + transaction(("INCR", k[0]), ("SET", k[1], "a"), ("RPUSH", k[2], "b"))
                + [("MGET", k[0], k[1])])


def test_watch_of_a_missing_key_created_by_another_client(cluster, proxy, direct):
    k = spread_keys(cluster, "wnew", 2)
    for client in (proxy, direct):
        assert client.call("WATCH", k[0]) == OK
        with other_client(client) as rival:
            assert rival.call("SET", k[0], "born") == OK
        assert pipelined(client, transaction(("SET", k[1], 1)))[-1] == b"*-1\r\n"
        assert client.call("EXISTS", k[1]) == b":0\r\n"


def test_own_write_to_a_watched_key_aborts(cluster, proxy, direct):
    """Redis aborts on any change to a watched key, the watcher's own included; pipelined, so
    the write outside MULTI must reach the server before the transaction does."""
    k = spread_keys(cluster, "wown", 2)
    got = assert_same(proxy, direct, [("WATCH", k[0]), ("SET", k[0], 1), ("SET", k[1], 1)]
                      + transaction(("INCR", k[0]), ("INCR", k[1])) + [("MGET", *k)],
                      run=pipelined)
    assert got[-2] == b"*-1\r\n"


@pytest.mark.parametrize("release", [("UNWATCH",), ("DISCARD",), ("EXEC",), ("RESET",)],
                         ids=lambda c: c[0])
def test_watch_released_by(cluster, proxy, direct, release):
    """UNWATCH, DISCARD, EXEC and RESET each forget the watched keys, as in Redis."""
    k = spread_keys(cluster, "wrel", 2)
    before = [("WATCH", k[0])]
    if release[0] in ("DISCARD", "EXEC"):
        before.append(("MULTI",))
    for client in (proxy, direct):
        replies(client, before + [release])
        with other_client(client) as rival:
            assert rival.call("SET", k[0], "changed") == OK
    assert_same(proxy, direct, transaction(("SET", k[0], "mine"), ("SET", k[1], "x"))
                + [("MGET", k[0], k[1])])


def test_watch_several_keys_on_one_server(cluster, proxy, direct):
    assert_same(proxy, direct, [("WATCH", "{w}a", "{w}b"), ("WATCH", "{w}c")]
                + transaction(("SET", "{w}a", 1)) + [("UNWATCH",), ("UNWATCH",)])


def test_discard(cluster, proxy, direct):
    k = spread_keys(cluster, "disc", 3)
    assert_same(proxy, direct, [("MULTI",), ("SET", k[0], 1), ("SET", k[1], 2), ("DISCARD",),
                                ("EXISTS", *k), ("EXEC",), ("DISCARD",)])


def test_nested_multi_keeps_the_transaction(cluster, proxy, direct):
    k = spread_keys(cluster, "nest", 2)
    got = assert_same(proxy, direct, [("MULTI",), ("SET", k[0], 1), ("MULTI",),
                                      ("SET", k[1], 2), ("EXEC",), ("MGET", *k)])
    assert got[2] == b"-ERR MULTI calls can not be nested\r\n"
    assert got[4] == b"*2\r\n+OK\r\n+OK\r\n"  # the error does not abort the transaction


def test_watch_inside_multi_is_refused_and_the_transaction_goes_on(cluster, proxy, direct):
    """Redis 7.0 answers the error and does not flag the transaction: EXEC still runs it."""
    k = spread_keys(cluster, "winm", 2)
    got = assert_same(proxy, direct, transaction(("SET", k[0], 1), ("WATCH", k[1]),
                                                 ("SET", k[1], 2)) + [("MGET", *k)])
    assert got[2] == b"-ERR WATCH inside MULTI is not allowed\r\n"
    assert got[4] == b"*2\r\n+OK\r\n+OK\r\n"  # not EXECABORT: Redis does not flag it


def test_exec_and_discard_without_multi(proxy, direct):
    got = assert_same(proxy, direct, [("EXEC",), ("DISCARD",), ("UNWATCH",), ("EXEC", "x"),
                                      ("MULTI", "x"), ("WATCH",)])
    assert got[:2] == [b"-ERR EXEC without MULTI\r\n", b"-ERR DISCARD without MULTI\r\n"]


EXEC_ARITY = b"-EXECABORT Transaction discarded because of: wrong number of arguments for " \
    b"'exec' command\r\n"


def test_exec_with_arguments(proxy, direct):
    """Redis answers EXEC's arity error with EXECABORT, in a transaction (which it discards)
    and outside one alike."""
    got = assert_same(proxy, direct, [("EXEC", "x"), ("MULTI",), ("SET", "{e}k", 1),
                                      ("EXEC", "x"), ("EXEC",), ("EXISTS", "{e}k")])
    assert got[0] == got[3] == EXEC_ARITY
    assert got[4] == b"-ERR EXEC without MULTI\r\n"


@pytest.mark.parametrize("bad", [("DISCARD", "x"), ("MULTI", "x"), ("WATCH",),
                                 ("UNWATCH", "x"), ("RESET", "x")], ids=" ".join)
def test_transaction_command_arity_error_inside_multi_aborts(cluster, proxy, direct, bad):
    k = spread_keys(cluster, "arity", 2)
    got = assert_same(proxy, direct, transaction(("SET", k[0], 1), bad, ("SET", k[1], 1))
                      + [("EXISTS", *k)])
    assert got[2].startswith(b"-ERR wrong number of arguments for ")
    assert got[-2:] == [EXECABORT, b":0\r\n"]


def test_reset_inside_multi_drops_the_transaction(cluster, proxy, direct):
    k = spread_keys(cluster, "reset", 2)
    got = assert_same(proxy, direct, [("MULTI",), ("SET", k[0], 1), ("SET", k[1], 1),
                                      ("RESET",), ("EXEC",), ("EXISTS", *k), ("PING",)])
    assert got[3] == b"+RESET\r\n"


def test_quit_inside_multi_runs_nothing(cluster, proxy, direct):
    k = spread_keys(cluster, "quit", 2)
    for client in (proxy, direct):
        with other_client(client) as quitter:
            assert replies(quitter, [("MULTI",), ("SET", k[0], 1), ("SET", k[1], 1), ("QUIT",)]) \
                == [OK, QUEUED, QUEUED, OK]
            assert quitter.closed_by_peer()
        assert client.call("EXISTS", *k) == b":0\r\n"


def test_long_transaction(cluster, proxy, direct):
    k = spread_keys(cluster, "long", 3)
    commands = [("INCR", k[i % 3]) for i in range(600)] + [("MGET", *k)]
    got = assert_same(proxy, direct, transaction(*commands), run=pipelined)
    assert got[-1].endswith(b"*3\r\n$3\r\n200\r\n$3\r\n200\r\n$3\r\n200\r\n")


def test_empty_transaction(proxy, direct):
    got = assert_same(proxy, direct, transaction() + transaction())
    assert got == [OK, b"*0\r\n"] * 2


def test_pipelined_transactions_in_one_write(cluster, proxy, direct):
    k = spread_keys(cluster, "pipe", 3)
    commands = []
    for i in range(20):
        commands += transaction(("INCR", k[i % 3]), ("RPUSH", k[(i + 1) % 3] + "l", i),
                                ("GET", k[i % 3]))
        commands.append(("LLEN", k[i % 3] + "l"))
    assert_same(proxy, direct, commands, run=pipelined)


def test_read_your_writes_around_multi(cluster, proxy, direct):
    k = spread_keys(cluster, "ryw", 2)
    assert_same(proxy, direct, [("SET", k[0], 1), ("SET", k[1], "a"), ("MULTI",),
                                ("GET", k[0]), ("INCR", k[0]), ("APPEND", k[1], "b"),
                                ("EXEC",), ("GET", k[0]), ("GET", k[1])], run=pipelined)


def test_blocking_commands_inside_multi_do_not_block(cluster, proxy, direct):
    k = spread_keys(cluster, "blk", 3)
    got = assert_same(proxy, direct, [("RPUSH", k[2], "e")] + transaction(
        ("BLPOP", k[0], 0), ("BRPOP", k[1], 0), ("BLMOVE", k[0], k[0], "LEFT", "LEFT", 0),
        ("BZPOPMIN", k[1], 0), ("BLPOP", k[2], 0), ("XREAD", "BLOCK", 0, "STREAMS", k[0],
                                                      "$")))
    assert got[-1].startswith(b"*6\r\n*-1\r\n*-1\r\n$-1\r\n*-1\r\n*2\r\n")


def test_local_commands_take_their_place(cluster, proxy, direct):
    k = spread_keys(cluster, "local", 2)
    assert_same(proxy, direct, transaction(
        ("PING",), ("SET", k[0], 1), ("ECHO", "hi"), ("PING", "msg"), ("SELECT", 0),
        ("GET", k[0]), ("CLIENT", "SETNAME", "txname"), ("CLIENT", "GETNAME"),
        ("SET", k[1], 2), ("UNWATCH",), ("MGET", *k)) + [("CLIENT", "GETNAME")])


def test_time_inside_multi_is_queued(cluster, proxy):
    k = spread_keys(cluster, "time", 1)
    got = pipelined(proxy, transaction(("TIME",), ("SET", k[0], 1)))
    assert got[:3] == [OK, QUEUED, QUEUED]
    assert got[3].startswith(b"*2\r\n*2\r\n$10\r\n") and got[3].endswith(b"\r\n+OK\r\n")


def test_split_commands_inside_multi_merge_as_outside(cluster, proxy, direct):
    """MGET, MSET, DEL, EXISTS, UNLINK and TOUCH over three servers: each split in its
    per-server parts and merged in key order, as outside a transaction; Redis's answer for
    one server is the reference."""
    k = spread_keys(cluster, "split", 6)
    got = assert_same(proxy, direct, transaction(
        ("MSET", k[0], "a", k[1], "b", k[2], "c", k[3], "d"), ("MGET", *k),
        ("EXISTS", *k, k[0]), ("TOUCH", k[4], k[1], k[2]), ("DEL", k[0], k[5], k[2]),
        ("MGET", k[2], k[1], k[0]), ("UNLINK", k[1], k[3]), ("EXISTS", *k)))
    assert got[-1].startswith(b"*8\r\n+OK\r\n*6\r\n$1\r\na\r\n$1\r\nb\r\n")
    # Every key went to the server it lives on, not through one connection.
    placed = cluster.proxy.locate(*k)
    assert_same(proxy, direct, [("MSET", k[0], 1, k[1], 2, k[2], 3)])
    for key in k[:3]:
        with RawClient(cluster.by_name[placed[key]].port) as server:
            assert server.call("EXISTS", key) == b":1\r\n", (key, placed[key])


def test_pubsub_queries_inside_multi_merge_as_outside(cluster, proxy, direct):
    """PUBSUB's queries are queued and run at EXEC, each merged over the servers and corrected
    to the clients behind the proxy's subscriptions, as outside a transaction; CHANNELS with
    two patterns is queued too, its error in its slot."""
    channels = spread_keys(cluster, "chan", 3)
    subscribers = []
    try:
        for target in (proxy, direct):
            subscriber = other_client(target)
            subscribers.append(subscriber)
            subscriber.send_command("SUBSCRIBE", *channels)
            assert len(subscriber.read_replies(len(channels))) == len(channels)
            subscriber.send_command("PSUBSCRIBE", "txpattern.*")
            assert subscriber.read_reply().startswith(b"*3\r\n")
        assert_same(proxy, direct, transaction(
            ("PUBSUB", "NUMSUB", *channels, "nobody"), ("PUBSUB", "NUMPAT"),
            ("PUBSUB", "CHANNELS", channels[1]), ("PUBSUB", "SHARDNUMSUB", channels[0]),
            ("PUBSUB", "SHARDCHANNELS", "none*"), ("PUBSUB", "CHANNELS", "a", "b"),
            ("PUBLISH", channels[2], "hi")))
    finally:
        for subscriber in subscribers:
            subscriber.close()


def test_exec_array_in_client_order_across_servers(cluster, proxy, direct):
    k = spread_keys(cluster, "order", 3)
    commands = []
    for i in range(12):
        commands.append(("RPUSH", k[(i * 2) % 3], i))
        commands.append(("LLEN", k[(i * 2) % 3]))
    got = assert_same(proxy, direct, transaction(*commands))
    lengths = [0, 0, 0]
    want = [b"*24\r\n"]
    for i in range(12):
        lengths[(i * 2) % 3] += 1
        want += [b":%d\r\n" % lengths[(i * 2) % 3]] * 2
    assert got[-1] == b"".join(want)


# Proxy-specific: no single Redis has these answers.

def test_watch_spanning_servers_is_crossslot(cluster, proxy):
    k = spread_keys(cluster, "wspan", 3)
    assert proxy.call("WATCH", k[0], k[1]) == CROSSSLOT
    assert proxy.call("WATCH", k[0]) == OK
    assert proxy.call("WATCH", k[0]) == OK
    assert proxy.call("WATCH", k[2]) == CROSSSLOT
    # The first WATCH still holds: a change by another client aborts the transaction.
    with cluster.proxy.client() as rival:
        assert rival.call("SET", k[0], "changed") == OK
    assert pipelined(proxy, transaction(("SET", k[1], 1), ("SET", k[2], 2)))[-1] == b"*-1\r\n"
    assert proxy.call("EXISTS", k[1], k[2]) == b":0\r\n"
    assert proxy.call("UNWATCH") == OK


def test_same_server_command_spanning_servers_aborts_the_transaction(cluster, proxy):
    k = spread_keys(cluster, "xslot", 3)
    got = pipelined(proxy, transaction(("SET", k[0], 1), ("RENAME", k[1], k[2]),
                                       ("SINTER", k[0], k[1]), ("SET", k[2], 1)))
    assert got == [OK, QUEUED, CROSSSLOT, CROSSSLOT, QUEUED, EXECABORT]
    assert proxy.call("EXISTS", *k) == b":0\r\n"


def test_refused_command_aborts_the_transaction(cluster, proxy):
    k = spread_keys(cluster, "refused", 2)
    got = pipelined(proxy, transaction(("SET", k[0], 1), ("SAVE",), ("SET", k[1], 1)))
    assert got[0] == OK and got[1] == QUEUED and got[3] == QUEUED
    assert got[2].startswith(b"-ERR "), got
    assert got[4] == EXECABORT
    assert proxy.call("EXISTS", *k) == b":0\r\n"


@pytest.fixture(scope="module")
def counted():
    """A cluster of its own, so that the transaction counters start at zero."""
    admin = free_port()
    with Cluster(3, pool_options={"hash_tag": "{}"}, args=("--threads", "1"),
                 process_options={"admin": f"{HOST}:{admin}"}) as c:
        c.admin_port = admin
        yield c


def test_transaction_counters(counted):
    k = spread_keys(counted, "stat", 3)
    with counted.proxy.client() as c:
        assert pipelined(c, transaction(("SET", "{one}a", 1), ("INCR", "{one}a")))[-1] == \
            b"*2\r\n+OK\r\n:2\r\n"
        assert pipelined(c, transaction(("SET", k[0], 1), ("SET", k[1], 2)))[-1] == \
            b"*2\r\n+OK\r\n+OK\r\n"
        assert pipelined(c, [("MULTI",), ("SET", k[2], 1), ("DISCARD",)])[-1] == OK
        assert c.call("WATCH", k[0]) == OK
        with counted.proxy.client() as rival:
            assert rival.call("SET", k[0], "changed") == OK
        assert pipelined(c, transaction(("SET", k[0], 3)))[-1] == b"*-1\r\n"
    doc = wait_for_snapshot(counted.proxy.stats_port,
                            lambda d: d["pool"].get("transactions_started") == 4,
                            "four transactions counted")
    pool = doc["pool"]
    want = {"started": 4, "committed": 2, "aborted": 1, "discarded": 1, "cross_server": 1}
    assert {kind: pool[f"transactions_{kind}"] for kind in want} == want
    samples = parse_metrics(http_get(counted.admin_port, "/metrics")[1])
    assert {kind: metric(samples, f"shardis_transactions_{kind}_total", pool="pool")
            for kind in want} == want
    with counted.proxy.client() as c:
        info = c.call("INFO", "stats")
    for kind, count in want.items():
        assert b"\r\ntransactions_%s:%d\r\n" % (kind.encode(), count) in info, info
    wait_until(lambda: all(stats_json(counted.proxy.stats_port)["pool"][name]["leases_in_use"]
                           == 0 for name in counted.names),
               timeout=5.0, interval=0.1, what="every lease back")
    # The connections of committed transactions went back to the idle list, not closed.
    pool = stats_json(counted.proxy.stats_port)["pool"]
    placed = counted.proxy.locate(k[0], k[1])
    for name in {placed[k[0]], placed[k[1]]}:
        assert pool[name]["leases_idle"] >= 1, (name, pool[name])
        assert pool[name]["server_connections_total"] >= 1


@pytest.fixture(scope="module")
def two_leases():
    with Cluster(3, pool_options={"hash_tag": "{}", "max_leased_connections": 2},
                 args=("--threads", "1")) as c:
        yield c


def test_max_leased_connections(two_leases):
    """Two clients may hold a lease to one server at once; the third gets an error reply and
    its connection stays usable; once a lease is given back the third gets it."""
    with two_leases.proxy.client() as a, two_leases.proxy.client() as b, \
            two_leases.proxy.client() as c:
        assert a.call("WATCH", "{lease}x") == OK
        assert b.call("WATCH", "{lease}x") == OK
        refused = c.call("WATCH", "{lease}x")
        assert refused.startswith(b"-ERR "), refused
        assert c.call("GET", "{lease}x") == b"$-1\r\n"
        assert a.call("UNWATCH") == OK
        wait_until(lambda: c.call("WATCH", "{lease}x") == OK, timeout=5.0,
                   what="the lease given back")
        assert pipelined(c, transaction(("SET", "{lease}x", 1)))[-1] == b"*1\r\n+OK\r\n"
