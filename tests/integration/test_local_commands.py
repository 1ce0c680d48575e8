"""Commands shardis answers itself (issue 5): HELLO, CLIENT, COMMAND, INFO, CONFIG GET, TIME,
RESET, READONLY/READWRITE, compared with what redis-server 7.0 answers where the shape is Redis's."""
import re
import time

import pytest


def test_hello(proxy, direct):
    reply = proxy.call("HELLO")
    assert reply.startswith(b"*14\r\n$6\r\nserver\r\n")
    for field in (b"version", b"proto", b"id", b"mode", b"role", b"modules"):
        assert b"$%d\r\n%s\r\n" % (len(field), field) in reply
    assert b"$10\r\nstandalone\r\n" in reply and b"$6\r\nmaster\r\n" in reply
    assert proxy.call("HELLO", "2").startswith(b"*14\r\n")
    assert proxy.call("HELLO", "4") == direct_noproto()
    assert proxy.call("HELLO", "3").startswith(b"%7\r\n")
    assert proxy.call("HELLO", "2", "SETNAME", "conn-a").startswith(b"*14\r\n")
    assert proxy.call("CLIENT", "GETNAME") == b"$6\r\nconn-a\r\n"


def direct_noproto():
    return b"-NOPROTO unsupported protocol version\r\n"


@pytest.mark.parametrize("name", ["has space", "tab\there", "caf\u00e9", "del\x7f", "ok-name!~"])
def test_client_names_follow_redis_rules(proxy, direct, name):
    """Printable ASCII without spaces, for CLIENT SETNAME and HELLO SETNAME alike; a refused
    HELLO changes nothing."""
    for command in (("CLIENT", "SETNAME", name), ("HELLO", "2", "SETNAME", name)):
        expected = direct.call(*command)
        got = proxy.call(*command)
        assert got[:1] == expected[:1] and (got == expected or got.startswith(b"*")), command
        assert proxy.call("CLIENT", "GETNAME") == direct.call("CLIENT", "GETNAME")


def test_client_subcommands(cluster, proxy):
    assert proxy.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert proxy.call("CLIENT", "SETNAME", "worker-1") == b"+OK\r\n"
    assert proxy.call("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    assert proxy.call("CLIENT", "SETNAME", "has space").startswith(b"-ERR")
    client_id = int(proxy.call("CLIENT", "ID")[1:-2])
    info = proxy.call("CLIENT", "INFO")
    assert f"id={client_id} ".encode() in info and b"name=worker-1" in info
    listing = proxy.call("CLIENT", "LIST")
    assert f"id={client_id} ".encode() in listing
    assert proxy.call("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
    assert proxy.call("CLIENT", "SETINFO", "lib-name", "redis-py") == b"+OK\r\n"
    assert proxy.call("CLIENT", "PAUSE", "10").startswith(b"-ERR")
    with cluster.proxy.client() as other:
        other_id = int(other.call("CLIENT", "ID")[1:-2])
        assert proxy.call("CLIENT", "KILL", "ID", other_id) == b":1\r\n"
        assert other.closed_by_peer()
    assert proxy.call("CLIENT", "KILL", "ID", 999999) == b":0\r\n"


def test_client_reply_off_and_skip(proxy):
    proxy.send_command("CLIENT", "REPLY", "OFF")
    proxy.send_command("SET", "silent", "1")
    proxy.send_command("CLIENT", "REPLY", "ON")
    assert proxy.read_reply() == b"+OK\r\n"
    proxy.send_command("CLIENT", "REPLY", "SKIP")
    proxy.send_command("GET", "silent")
    proxy.send_command("GET", "silent")
    assert proxy.read_reply() == b"$1\r\n1\r\n"


def test_command_introspection_matches_redis(proxy, direct):
    count = int(proxy.call("COMMAND", "COUNT")[1:-2])
    assert 150 < count <= int(direct.call("COMMAND", "COUNT")[1:-2])
    for name in ("get", "mget", "set", "eval", "xread"):
        assert proxy.call("COMMAND", "INFO", name) == direct.call("COMMAND", "INFO", name)
        assert proxy.call("COMMAND", "DOCS", name) == direct.call("COMMAND", "DOCS", name)
    assert proxy.call("COMMAND", "INFO", "nosuch") == direct.call("COMMAND", "INFO", "nosuch")
    assert proxy.call("COMMAND", "INFO", "get", "nosuch") == direct.call(
        "COMMAND", "INFO", "get", "nosuch")
    assert proxy.call("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == direct.call(
        "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2")
    listing = proxy.call("COMMAND", "LIST")
    assert b"$3\r\nget\r\n" in listing and b"$8\r\nshutdown\r\n" not in listing
    assert proxy.call("COMMAND").startswith(b"*%d\r\n" % count)
    # COMMAND INFO without a name answers every command, as COMMAND does.
    assert proxy.call("COMMAND", "INFO") == proxy.call("COMMAND")
    assert proxy.call("COMMAND", "DOCS").startswith(b"*%d\r\n" % (2 * count))


def test_info_sections_and_keyspace(cluster, proxy):
    for i in range(30):
        proxy.call("SET", f"info:{i}", "v")
    info = bulk_text(proxy.call("INFO"))
    for section in ("# Server", "# Clients", "# Stats", "# Shardis", "# Keyspace"):
        assert section in info
    assert re.search(r"^redis_version:7\.\d+\.\d+\r$", info, re.M)
    assert re.search(r"^db0:keys=30,expires=0,avg_ttl=0\r$", info, re.M)
    server = bulk_text(proxy.call("INFO", "server"))
    assert "# Server" in server and "# Keyspace" not in server
    assert "s1" in bulk_text(proxy.call("INFO", "shardis"))


def bulk_text(reply):
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n", 1)[1][:-2].decode()


def test_config_get_and_set(proxy):
    assert proxy.call("CONFIG", "GET", "databases") == b"*2\r\n$9\r\ndatabases\r\n$1\r\n1\r\n"
    reply = proxy.call("CONFIG", "GET", "maxmemory")
    assert reply.startswith(b"*2\r\n$9\r\nmaxmemory\r\n")
    assert proxy.call("CONFIG", "SET", "maxmemory", "1").startswith(b"-ERR")


def test_time_reset_readonly(proxy):
    reply = proxy.call("TIME")
    seconds = int(reply.split(b"\r\n")[2])
    assert abs(seconds - time.time()) < 5
    assert proxy.call("READONLY") == b"+OK\r\n"
    assert proxy.call("READWRITE") == b"+OK\r\n"
    proxy.call("CLIENT", "SETNAME", "before-reset")
    assert proxy.call("RESET") == b"+RESET\r\n"
    assert proxy.call("CLIENT", "GETNAME") == b"$-1\r\n"


def test_info_everything_and_client_kill_by_addr(cluster, proxy):
    proxy.call("SET", "k", "v")
    info = bulk_text(proxy.call("INFO", "everything"))
    for section in ("# Commandstats", "# Latencystats", "# Persistence", "# Shardis"):
        assert section in info
    assert bulk_text(proxy.call("INFO", "nosuchsection")) == ""
    with cluster.proxy.client() as other:
        other_id = int(other.call("CLIENT", "ID")[1:-2])
        line = next(l for l in bulk_text(proxy.call("CLIENT", "LIST")).split("\n")
                    if l.startswith(f"id={other_id} "))
        addr = re.search(r" addr=(\S+) ", line).group(1)
        assert proxy.call("CLIENT", "KILL", addr) == b"+OK\r\n"
        assert other.closed_by_peer()
    assert proxy.call("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"


def test_slowlog_records_every_command():
    from harness import Cluster
    with Cluster(2, process_options={"slowlog_log_slower_than": 0}) as c:
        with c.proxy.client() as client:
            assert client.call("SLOWLOG", "RESET") == b"+OK\r\n"
            client.call("SET", "slow:a", "1")
            client.call("ECHO", "hello")
            assert int(client.call("SLOWLOG", "LEN")[1:-2]) >= 2
            newest = client.call("SLOWLOG", "GET", "10")
            assert b"$4\r\nECHO\r\n$5\r\nhello\r\n" in newest  # answered at once: whole argv
            assert b"$3\r\nset\r\n" in newest.lower()
