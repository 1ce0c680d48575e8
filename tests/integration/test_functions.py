"""FUNCTION LOAD/DELETE/FLUSH/RESTORE/LIST/DUMP/STATS and FCALL through shardis over three
servers, beside one direct redis-server (issue 13 item 9). Libraries are loaded on every
server, so FCALL works whatever its keys; LIST, DUMP and STATS answer only when the servers
agree, and a LOAD that fails on some servers is undone on the others."""

import pytest

from harness import Cluster, RawClient, wait_until
from test_stats import keys_by_server

LIB = ("#!lua name=mylib\n"
       "redis.register_function('echo_key', function(keys, args) return keys[1] end)\n"
       "redis.register_function{function_name='get_ro', "
       "callback=function(keys, args) return redis.call('GET', keys[1]) end, "
       "flags={'no-writes'}}\n"
       "redis.register_function('set_key', function(keys, args) "
       "return redis.call('SET', keys[1], args[1]) end)\n")
LIB_V2 = ("#!lua name=mylib\n"
          "redis.register_function('echo_key', function(keys, args) return 'v2:' .. keys[1] end)\n")
OTHER = ("#!lua name=other\n"
         "redis.register_function('other_f', function(keys, args) return 7 end)\n")


def both(proxy, direct, *args):
    got, want = proxy.call(*args), direct.call(*args)
    assert got == want, f"{args[:3]}: shardis {got[:300]!r} != redis {want[:300]!r}"
    return got


def parse(reply):
    """A RESP2 reply as Python values: bytes, int, None, lists; errors as ('err', text)."""
    value, end = _parse(reply, 0)
    assert end == len(reply), reply
    return value


def _parse(buf, pos):
    end = buf.index(b"\r\n", pos)
    kind, line = buf[pos:pos + 1], buf[pos + 1:end]
    pos = end + 2
    if kind == b"+":
        return line, pos
    if kind == b"-":
        return ("err", line), pos
    if kind == b":":
        return int(line), pos
    if kind == b"$":
        n = int(line)
        return (None, pos) if n < 0 else (buf[pos:pos + n], pos + n + 2)
    assert kind == b"*", buf[pos - 10:pos + 10]
    n = int(line)
    if n < 0:
        return None, pos
    items = []
    for _ in range(n):
        item, pos = _parse(buf, pos)
        items.append(item)
    return items, pos


def libraries(reply):
    """FUNCTION LIST's libraries, order-free: Redis lists them (and each one's functions) in
    the order of its hash tables, which differs from server to server."""
    out = []
    for lib in parse(reply):
        fields = dict(zip(lib[0::2], lib[1::2]))
        fields[b"functions"] = sorted(repr(f) for f in fields[b"functions"])
        out.append(repr(sorted(fields.items())))
    return sorted(out)


def flush_functions(cluster, direct):
    for server in cluster.redis:
        with server.client() as c:
            assert c.call("FUNCTION", "FLUSH") == b"+OK\r\n"
    assert direct.call("FUNCTION", "FLUSH") == b"+OK\r\n"


@pytest.fixture
def fn(cluster, proxy, direct):
    """`proxy` and `direct` with no library loaded anywhere, before and after the test."""
    flush_functions(cluster, direct)
    yield proxy, direct
    flush_functions(cluster, direct)


def key_per_server(cluster):
    """{server name: a key the proxy places on it}."""
    return keys_by_server(cluster)


def library_on(server, name):
    with server.client() as c:
        return c.call("FUNCTION", "LIST", "LIBRARYNAME", name) != b"*0\r\n"


def test_load_then_fcall_reaches_every_server(cluster, fn):
    proxy, direct = fn
    assert both(proxy, direct, "FUNCTION", "LOAD", LIB) == b"$5\r\nmylib\r\n"
    for server in cluster.redis:
        assert library_on(server, "mylib")
    for name, key in key_per_server(cluster).items():
        both(proxy, direct, "FCALL", "echo_key", 1, key)
        both(proxy, direct, "FCALL", "set_key", 1, key, f"on-{name}")
        both(proxy, direct, "FCALL_RO", "get_ro", 1, key)
        both(proxy, direct, "FCALL_RO", "set_key", 1, key, "x")  # not a read-only function
    # No key: routed as EVAL with numkeys 0 is (by the function's name), never guessed from
    # keys the function may touch; a function that reads no key runs anywhere the same.
    both(proxy, direct, "FCALL", "echo_key", 0)
    both(proxy, direct, "FCALL", "nosuch", 0)
    keys = key_per_server(cluster)
    assert proxy.call("FCALL", "echo_key", 2, keys["s1"], keys["s2"]).startswith(b"-CROSSSLOT")


def test_load_errors_and_replace_match_redis(cluster, fn):
    proxy, direct = fn
    both(proxy, direct, "FUNCTION", "LOAD", LIB)
    both(proxy, direct, "FUNCTION", "LOAD", LIB)  # -ERR Library 'mylib' already exists
    both(proxy, direct, "FUNCTION", "LOAD", "return 1")  # Missing library metadata
    both(proxy, direct, "FUNCTION", "LOAD", "#!lua name=bad\nerror")  # compile error
    both(proxy, direct, "FUNCTION", "LOAD", "#!lua name=dup\n"
         "redis.register_function('echo_key', function() return 1 end)")  # name clash
    both(proxy, direct, "FUNCTION", "LOAD", "#!nope name=x\nreturn 1")  # unknown engine
    both(proxy, direct, "FUNCTION", "LOAD", "REPLACE", LIB_V2)
    for name, key in key_per_server(cluster).items():
        assert both(proxy, direct, "FCALL", "echo_key", 1, key) == \
            b"$%d\r\nv2:%s\r\n" % (len(key) + 3, key.encode()), name
        both(proxy, direct, "FCALL", "set_key", 1, key, "gone")  # replaced away
    both(proxy, direct, "FUNCTION", "LOAD", "BOGUS", LIB)
    both(proxy, direct, "FUNCTION", "LOAD")


def test_list_with_code_and_library_name(cluster, fn):
    proxy, direct = fn
    both(proxy, direct, "FUNCTION", "LIST")  # none yet
    both(proxy, direct, "FUNCTION", "LOAD", LIB_V2)  # one function: one order only
    both(proxy, direct, "FUNCTION", "LIST")
    both(proxy, direct, "FUNCTION", "LIST", "WITHCODE")
    both(proxy, direct, "FUNCTION", "LOAD", "REPLACE", LIB)
    for i in range(6):
        both(proxy, direct, "FUNCTION", "LOAD", OTHER.replace("other", f"other{i}"))
    for args in [(), ("WITHCODE",), ("LIBRARYNAME", "other*"), ("LIBRARYNAME", "my*", "WITHCODE"),
                 ("WITHCODE", "LIBRARYNAME", "nomatch*")]:
        got = proxy.call("FUNCTION", "LIST", *args)
        assert libraries(got) == libraries(direct.call("FUNCTION", "LIST", *args)), args
    both(proxy, direct, "FUNCTION", "LIST", "BAD")
    both(proxy, direct, "FUNCTION", "LIST", "LIBRARYNAME")


def test_dump_flush_restore(cluster, fn):
    proxy, direct = fn
    both(proxy, direct, "FUNCTION", "LOAD", LIB)
    both(proxy, direct, "FUNCTION", "LOAD", OTHER)
    payload = parse(proxy.call("FUNCTION", "DUMP"))
    assert isinstance(payload, bytes), payload
    listed = libraries(proxy.call("FUNCTION", "LIST", "WITHCODE"))
    both(proxy, direct, "FUNCTION", "FLUSH")
    both(proxy, direct, "FUNCTION", "LIST")
    both(proxy, direct, "FUNCTION", "DUMP")  # nothing loaded: a payload of no library
    both(proxy, direct, "FUNCTION", "RESTORE", payload)
    assert libraries(proxy.call("FUNCTION", "LIST", "WITHCODE")) == listed
    for server in cluster.redis:
        assert library_on(server, "mylib") and library_on(server, "other")
    # Each server names the first library that collides in the order of its own hash table:
    # with one library in the payload, every server (and the direct one) names the same.
    both(proxy, direct, "FUNCTION", "DELETE", "other")
    one = parse(proxy.call("FUNCTION", "DUMP"))
    both(proxy, direct, "FUNCTION", "RESTORE", one)  # APPEND: collides
    both(proxy, direct, "FUNCTION", "RESTORE", one, "APPEND")
    both(proxy, direct, "FUNCTION", "RESTORE", payload, "REPLACE")
    both(proxy, direct, "FUNCTION", "LOAD", "REPLACE", LIB_V2)
    both(proxy, direct, "FUNCTION", "RESTORE", payload, "FLUSH")
    assert libraries(proxy.call("FUNCTION", "LIST", "WITHCODE")) == listed
    both(proxy, direct, "FUNCTION", "RESTORE", payload, "BOGUS")
    both(proxy, direct, "FUNCTION", "RESTORE", b"not a payload")
    both(proxy, direct, "FUNCTION", "FLUSH", "ASYNC")
    both(proxy, direct, "FUNCTION", "FLUSH", "SYNC")
    both(proxy, direct, "FUNCTION", "FLUSH", "BOGUS")
    # What the proxy dumped restores on one server, and the other way round.
    both(proxy, direct, "FUNCTION", "RESTORE", payload)
    assert libraries(proxy.call("FUNCTION", "LIST")) == libraries(direct.call("FUNCTION", "LIST"))


def test_delete(cluster, fn):
    proxy, direct = fn
    both(proxy, direct, "FUNCTION", "LOAD", LIB)
    both(proxy, direct, "FUNCTION", "DELETE", "mylib")
    for server in cluster.redis:
        assert not library_on(server, "mylib")
    for key in key_per_server(cluster).values():
        both(proxy, direct, "FCALL", "echo_key", 1, key)  # Function not found
    both(proxy, direct, "FUNCTION", "DELETE", "mylib")  # Library not found
    both(proxy, direct, "FUNCTION", "DELETE")


def test_stats(cluster, fn):
    proxy, direct = fn
    both(proxy, direct, "FUNCTION", "STATS")
    both(proxy, direct, "FUNCTION", "LOAD", LIB)
    both(proxy, direct, "FUNCTION", "LOAD", OTHER)
    both(proxy, direct, "FUNCTION", "STATS")
    both(proxy, direct, "FUNCTION", "STATS", "extra")


def test_stats_names_the_running_function_of_any_server(cluster, fn):
    proxy, _ = fn
    spin = ("#!lua name=spin\n"
            "redis.register_function{function_name='spin', flags={'no-writes'}, "
            "callback=function(keys, args) local t = redis.call('TIME') "
            "while true do local n = redis.call('TIME') "
            "if n[1] - t[1] > 5 then break end end return 1 end}\n")
    assert proxy.call("FUNCTION", "LOAD", spin) == b"$4\r\nspin\r\n"
    server = cluster.by_name[cluster.names[2]]
    with server.client() as admin:  # a server answers others only past this threshold
        admin.call("CONFIG", "SET", "busy-reply-threshold", 50)
    runner = RawClient(server.port, timeout=10)
    runner.send_command("FCALL", "spin", 0)
    try:
        def running():
            stats = parse(proxy.call("FUNCTION", "STATS"))
            assert isinstance(stats, list), stats
            return stats[1] is not None and stats
        wait_until(running, timeout=4, what="the function to show in FUNCTION STATS")
        stats = running()
        assert stats[0] == b"running_script" and stats[2] == b"engines"
        script = dict(zip(stats[1][0::2], stats[1][1::2]))
        assert script[b"name"] == b"spin"
        assert script[b"command"] == [b"FCALL", b"spin", b"0"]
        assert script[b"duration_ms"] >= 0
        assert stats[3] == [b"LUA", [b"libraries_count", 1, b"functions_count", 1]]
        assert proxy.call("FUNCTION", "KILL") == b"+OK\r\n"
        assert runner.read_reply().startswith(b"-ERR Script killed by user")
    finally:
        with server.client() as admin:
            wait_until(lambda: admin.call("PING") == b"+PONG\r\n", what="server free")
            admin.call("CONFIG", "SET", "busy-reply-threshold", 5000)
        runner.close()


def test_a_load_refused_by_one_server_is_undone_on_the_others(cluster, fn):
    proxy, direct = fn
    # s2 already has a function named echo_key, in another library: its LOAD fails.
    clash = "#!lua name=theirs\nredis.register_function('echo_key', function() return 0 end)"
    refusing = cluster.by_name["s2"]
    with refusing.client() as c:
        assert c.call("FUNCTION", "LOAD", clash) == b"$6\r\ntheirs\r\n"
    reply = proxy.call("FUNCTION", "LOAD", LIB)
    assert reply == (b"-ERR server s2: Function echo_key already exists "
                     b"(FUNCTION LOAD undone: FUNCTION DELETE mylib sent to s1, s3)\r\n")
    keys = key_per_server(cluster)
    for name in ("s1", "s3"):  # the same client: its next requests come after the undo
        assert proxy.call("FCALL", "set_key", 1, keys[name], "v") == \
            b"-ERR Function not found\r\n"
    for server in cluster.redis:
        wait_until(lambda: not library_on(server, "mylib"), timeout=5, what="the undo")
    assert library_on(refusing, "theirs")  # what was there before stays


def test_a_load_replace_refused_by_one_server_leaves_the_library_nowhere(cluster, fn):
    proxy, direct = fn
    assert proxy.call("FUNCTION", "LOAD", LIB_V2) == b"$5\r\nmylib\r\n"
    refusing = cluster.by_name["s3"]
    with refusing.client() as c:  # s3 alone has set_key in another library
        assert c.call("FUNCTION", "LOAD", "#!lua name=theirs\n"
                      "redis.register_function('set_key', function() return 0 end)"
                      ) == b"$6\r\ntheirs\r\n"
    reply = proxy.call("FUNCTION", "LOAD", "REPLACE", LIB)
    assert reply == (b"-ERR server s3: Function set_key already exists "
                     b"(FUNCTION LOAD REPLACE cannot be undone: FUNCTION DELETE mylib sent to "
                     b"every server, its old code is not kept)\r\n")
    for server in cluster.redis:
        wait_until(lambda: not library_on(server, "mylib"), timeout=5, what="the undo")
    assert library_on(refusing, "theirs")


def test_a_load_that_a_down_server_missed_is_undone_on_the_others():
    with Cluster(3, pool_options={"timeout": 2000}) as cluster:
        cluster.by_name["s2"].kill()
        with cluster.proxy.client() as proxy:
            reply = proxy.call("FUNCTION", "LOAD", LIB)
            assert reply.startswith(b"-ERR server s2: "), reply
            # s2 may have loaded it for all the proxy knows: the DELETE goes there too.
            assert reply.endswith(b" (FUNCTION LOAD undone: FUNCTION DELETE mylib sent to "
                                  b"s1, s2, s3)\r\n"), reply
            assert proxy.call("FCALL", "echo_key", 0).startswith(b"-")
        for name in ("s1", "s3"):
            wait_until(lambda: not library_on(cluster.by_name[name], "mylib"), timeout=5,
                       what="the undo")


def test_servers_that_disagree_are_named(cluster, fn):
    proxy, _ = fn
    assert proxy.call("FUNCTION", "LOAD", LIB) == b"$5\r\nmylib\r\n"
    with cluster.by_name["s3"].client() as c:
        assert c.call("FUNCTION", "LOAD", OTHER) == b"$5\r\nother\r\n"
    assert proxy.call("FUNCTION", "LIST") == \
        b"-ERR server s3: FUNCTION LIST differs from server s1's\r\n"
    assert proxy.call("FUNCTION", "DUMP") == \
        b"-ERR server s3: FUNCTION DUMP differs from server s1's\r\n"
    assert proxy.call("FUNCTION", "STATS") == \
        b"-ERR server s3: FUNCTION STATS engines differ from server s1's\r\n"
    # Patterns that do not reach the difference agree.
    with cluster.redis[0].client() as s1:
        assert libraries(proxy.call("FUNCTION", "LIST", "LIBRARYNAME", "my*")) == \
            libraries(s1.call("FUNCTION", "LIST", "LIBRARYNAME", "my*"))
    # DELETE where only some servers have the library: it is gone, and the error says where
    # it was missing, keeping the server's own error first.
    assert proxy.call("FUNCTION", "DELETE", "other") == \
        b"-ERR server s1: Library not found\r\n"
    assert not library_on(cluster.by_name["s3"], "other")
    with cluster.redis[0].client() as s1:  # they agree again
        assert libraries(proxy.call("FUNCTION", "LIST")) == libraries(s1.call("FUNCTION", "LIST"))


def test_help_is_refused(fn):
    proxy, _ = fn
    assert proxy.call("FUNCTION", "HELP").startswith(b"-ERR 'function|help' is not supported")
