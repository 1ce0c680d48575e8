"""Replies that Redis's own test suite found answered differently through shardis, each
checked against one direct redis-server (the `direct` fixture) with the same bytes."""
import time

from harness import RawClient, free_port, wait_until


def test_ping_with_two_arguments_is_an_arity_error(proxy, direct):
    for command in [("PING",), ("PING", "hi"), ("PING", "a", "b"), ("PING", "a", "b", "c")]:
        assert proxy.call(*command) == direct.call(*command), command


def test_a_multibulk_count_below_minus_one_is_skipped(proxy, direct):
    for client in (proxy, direct):
        client.send(b"*-10\r\n*1\r\n$4\r\nPING\r\n")
        assert client.read_reply() == b"+PONG\r\n"
        assert client.call("ECHO", "still here") == b"$10\r\nstill here\r\n"


def server_error_text(client, *command):
    """`command`'s error from one redis-server, split into its code and the rest."""
    reply = client.call(*command)
    assert reply.startswith(b"-"), reply
    code, _, rest = reply[1:].partition(b" ")
    return code, rest


def test_a_fanout_error_keeps_the_servers_code_first(cluster, proxy):
    """FLUSHALL over three servers, one a read-only replica: READONLY stays the error's code,
    so a client library reacts as it would to that server, and the server is named."""
    name = cluster.names[1]
    replica = cluster.by_name[name]
    dead = free_port()
    with replica.client() as c:
        c.call("REPLICAOF", "127.0.0.1", dead)
        code, rest = server_error_text(c, "SET", "k", "v")
        assert code == b"READONLY"
        try:
            assert proxy.call("FLUSHALL") == b"-READONLY server " + name.encode() + b": " + rest
        finally:
            c.call("REPLICAOF", "NO", "ONE")


def test_a_busy_server_answers_busy_through_a_fanout(cluster, proxy):
    name = cluster.names[0]
    server = cluster.by_name[name]
    with server.client() as admin:
        admin.call("CONFIG", "SET", "busy-reply-threshold", 50)
    runner = RawClient(server.port, timeout=10)
    runner.send_command("EVAL", "local t = redis.call('TIME') "
                        "while true do local n = redis.call('TIME') "
                        "if n[1] - t[1] > 5 then break end end return 1", 0)
    try:
        time.sleep(0.3)  # past the threshold: the server now answers BUSY
        reply = proxy.call("DBSIZE")
        assert reply.startswith(b"-BUSY server " + name.encode() + b": "), reply
        # SCRIPT KILL reaches every server: the busy one kills its script, the others have
        # none running; the client sees one OK, as from the server that ran the script.
        assert proxy.call("SCRIPT", "KILL") == b"+OK\r\n"
        assert runner.read_reply().startswith(b"-ERR Script killed by user with SCRIPT KILL")
    finally:
        with server.client() as admin:
            wait_until(lambda: admin.call("PING") == b"+PONG\r\n", what="server free")
        runner.close()


def test_script_and_function_kill_with_nothing_running(proxy, direct):
    for command in [("SCRIPT", "KILL"), ("FUNCTION", "KILL")]:
        assert proxy.call(*command) == direct.call(*command), command


def info_fields(reply):
    """{field: value} of an INFO reply (a bulk of `field:value` lines under `# Section`)."""
    text = reply.split(b"\r\n", 1)[1].decode()
    return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l and not l.startswith("#"))


def test_info_memory_and_cpu_use_redis_field_names(proxy, direct):
    for section in ("memory", "cpu"):
        ours = info_fields(proxy.call("INFO", section))
        theirs = info_fields(direct.call("INFO", section))
        assert ours, section
        # Every field the proxy gives is one Redis gives, so tools that read them find them.
        assert set(ours) <= set(theirs), set(ours) - set(theirs)
    memory = info_fields(proxy.call("INFO", "memory"))
    for field in ("used_memory", "used_memory_rss", "mem_allocator", "maxmemory_policy"):
        assert field in memory
    assert int(memory["used_memory_rss"]) > 0
    cpu = info_fields(proxy.call("INFO", "cpu"))
    assert float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]) > 0
    # In the default set and in everything, as in Redis.
    for argv in (("INFO",), ("INFO", "everything"), ("INFO", "all")):
        text = proxy.call(*argv)
        assert b"# Memory\r\n" in text and b"# CPU\r\n" in text, argv


def names(reply):
    """The bulk strings of a flat array reply, as a set."""
    lines = reply.split(b"\r\n")
    assert lines[0].startswith(b"*"), reply
    return set(lines[2:-1:2])


def test_command_list_filterby(proxy, direct):
    offered = names(proxy.call("COMMAND", "LIST"))
    for filter_args in [("ACLCAT", "hyperloglog"), ("ACLCAT", "PubSub"), ("ACLCAT", "nosuch"),
                        ("PATTERN", "x*"), ("PATTERN", "CLIENT|*"), ("PATTERN", "*get*"),
                        ("MODULE", "any")]:
        command = ("COMMAND", "LIST", "FILTERBY", *filter_args)
        # What one server lists, less the commands the proxy refuses (never in its listings).
        assert names(proxy.call(*command)) == names(direct.call(*command)) & offered, command
    assert proxy.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "hyperloglog") != b"*0\r\n"
    for bad in [("bogus",), ("FILTERBY", "PATTERN"), ("FILTERBY", "TYPE", "x"),
                ("FILTERBY", "PATTERN", "a", "extra")]:
        command = ("COMMAND", "LIST", *bad)
        assert proxy.call(*command) == direct.call(*command) == b"-ERR syntax error\r\n", command
