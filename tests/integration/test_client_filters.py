"""CLIENT LIST ID/TYPE and CLIENT KILL TYPE/USER/SKIPME/MAXAGE (conformance issue, item 5),
each checked against one direct redis-server 7.0 (the `direct` fixture). Through the proxy
every client is of type normal and its user is `default`, as on a server without ACL users
or replicas; the pubsub, replica and master classes are empty."""
import re
import time

import pytest

from harness import RawClient
from test_isolation import pools  # noqa: F401  (the two-pool fixture)


def bulk_text(reply):
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n", 1)[1][:-2].decode()


def listed_ids(reply):
    return [int(m) for m in re.findall(r"(?:^|\n)id=(\d+) ", bulk_text(reply))]


def own_id(client):
    return int(client.call("CLIENT", "ID")[1:-2])


def connect_like(client):
    """Another connection to whatever `client` is connected to (proxy or server)."""
    return RawClient(client.sock.getpeername()[1])


LIST_ANSWERS = [
    ("CLIENT", "LIST", "ID"),
    ("CLIENT", "LIST", "ID", "abc"),
    ("CLIENT", "LIST", "ID", "1", "abc"),
    ("CLIENT", "LIST", "ID", "007"),
    ("CLIENT", "LIST", "ID", "+5"),
    ("CLIENT", "LIST", "ID", "-0"),
    ("CLIENT", "LIST", "ID", "9223372036854775808"),
    ("CLIENT", "LIST", "ID", "0"),
    ("CLIENT", "LIST", "ID", "-1"),
    ("CLIENT", "LIST", "ID", "9223372036854775807"),
    ("CLIENT", "LIST", "ID", "1", "TYPE", "normal"),
    ("CLIENT", "LIST", "TYPE"),
    ("CLIENT", "LIST", "TYPE", "x"),
    ("CLIENT", "LIST", "TYPE", "normal", "extra"),
    ("CLIENT", "LIST", "TYPE", "normal", "ID", "1"),
    ("CLIENT", "LIST", "foo"),
    ("CLIENT", "LIST", "foo", "bar"),
    ("CLIENT", "LIST", "TYPE", "pubsub"),
    ("CLIENT", "LIST", "TYPE", "PubSub"),
    ("CLIENT", "LIST", "TYPE", "replica"),
    ("CLIENT", "LIST", "TYPE", "slave"),
    ("CLIENT", "LIST", "TYPE", "master"),
]


@pytest.mark.parametrize("command", LIST_ANSWERS, ids=" ".join)
def test_client_list_filter_answers(proxy, direct, command):
    assert proxy.call(*command) == direct.call(*command)


def test_client_list_by_id_lists_those_clients_in_argument_order(proxy, direct):
    for client in (proxy, direct):
        with connect_like(client) as other:
            me, them = own_id(client), own_id(other)
            reply = client.call("CLIENT", "LIST", "ID", them, me, "123456789", them)
            assert listed_ids(reply) == [them, me, them], (client, reply)
            assert bulk_text(reply).endswith("\n")


def test_client_list_type_normal_lists_every_client(proxy, direct):
    for client in (proxy, direct):
        with connect_like(client) as other:
            # Asked first, so the proxy has surely accepted `other` when the list is taken.
            me, them = own_id(client), own_id(other)
            ids = listed_ids(client.call("CLIENT", "LIST", "TYPE", "NORMAL"))
            assert {me, them} <= set(ids)
            assert ids == listed_ids(client.call("CLIENT", "LIST"))


KILL_ANSWERS = [
    ("CLIENT", "KILL", "TYPE", "x"),
    ("CLIENT", "KILL", "TYPE", "x", "USER", "nobody"),
    ("CLIENT", "KILL", "USER", "nobody"),
    ("CLIENT", "KILL", "USER", "DEFAULT"),
    ("CLIENT", "KILL", "USER", "nobody", "TYPE", "x"),
    ("CLIENT", "KILL", "ADDR", "x", "TYPE", "bad"),
    ("CLIENT", "KILL", "TYPE", "bad", "ADDR"),
    ("CLIENT", "KILL", "TYPE", "normal", "ID"),
    ("CLIENT", "KILL", "SKIPME", "maybe"),
    ("CLIENT", "KILL", "TYPE", "pubsub", "ID", "0"),
    ("CLIENT", "KILL", "ID", "9223372036854775808"),
    ("CLIENT", "KILL", "ID", "007"),
    ("CLIENT", "KILL", "ID", "+5"),
    ("CLIENT", "KILL", "ID", "9223372036854775807"),
    ("CLIENT", "KILL", "USER"),
    ("CLIENT", "KILL", "TYPE", "pubsub"),
    ("CLIENT", "KILL", "TYPE", "master"),
    ("CLIENT", "KILL", "TYPE", "slave"),
    ("CLIENT", "KILL", "TYPE", "replica"),
    ("CLIENT", "KILL", "SKIPME", "no", "TYPE", "pubsub"),
    ("CLIENT", "KILL", "USER", "default", "TYPE", "master", "SKIPME", "no"),
]


@pytest.mark.parametrize("command", KILL_ANSWERS, ids=" ".join)
def test_client_kill_filter_answers(proxy, direct, command):
    assert proxy.call(*command) == direct.call(*command)


def kill_count(reply):
    assert reply.startswith(b":"), reply
    return int(reply[1:-2])


@pytest.mark.parametrize("filters", [("TYPE", "normal"), ("USER", "default"),
                                     ("TYPE", "Normal", "USER", "default", "SKIPME", "yes")])
def test_client_kill_by_type_or_user_spares_the_caller(proxy, direct, filters):
    for client in (proxy, direct):
        victims = [connect_like(client) for _ in range(2)]
        try:
            for v in victims:
                assert v.call("PING") == b"+PONG\r\n"
            assert kill_count(client.call("CLIENT", "KILL", *filters)) >= len(victims)
            assert all(v.closed_by_peer() for v in victims)
            assert client.call("PING") == b"+PONG\r\n"
        finally:
            for v in victims:
                v.close()


def test_client_kill_skipme_no_closes_the_caller_after_its_reply(proxy, direct):
    for client in (proxy, direct):
        with connect_like(client) as caller, connect_like(client) as victim:
            assert victim.call("PING") == b"+PONG\r\n"
            killed = kill_count(caller.call("CLIENT", "KILL", "USER", "default", "SKIPME", "no"))
            assert killed >= 2
            assert victim.closed_by_peer()
            assert caller.closed_by_peer()


def test_client_kill_type_combines_with_id(proxy, direct):
    for client in (proxy, direct):
        with connect_like(client) as victim:
            them = own_id(victim)
            assert client.call("CLIENT", "KILL", "ID", them, "TYPE", "pubsub") == b":0\r\n"
            assert victim.call("PING") == b"+PONG\r\n"
            assert client.call("CLIENT", "KILL", "TYPE", "normal", "ID", them) == b":1\r\n"
            assert victim.closed_by_peer()


def test_client_kill_maxage_closes_only_older_clients(proxy):
    """MAXAGE is Redis 7.4's (7.0 answers it with a syntax error): it closes the clients
    connected for at least that many seconds, the caller spared as with any filter."""
    with connect_like(proxy) as old:
        assert old.call("PING") == b"+PONG\r\n"
        time.sleep(2.2)
        with connect_like(proxy) as caller, connect_like(proxy) as young:
            assert young.call("PING") == b"+PONG\r\n"
            assert kill_count(caller.call("CLIENT", "KILL", "MAXAGE", "2")) >= 1
            assert old.closed_by_peer()
            assert young.call("PING") == b"+PONG\r\n"
            assert caller.call("PING") == b"+PONG\r\n"
            assert caller.call("CLIENT", "KILL", "MAXAGE", "1000", "ID", own_id(young)) == \
                b":0\r\n"
            for bad in ("abc", "1.5", "007"):
                assert caller.call("CLIENT", "KILL", "MAXAGE", bad) == \
                    b"-ERR value is not an integer or out of range\r\n"


def test_filters_stay_inside_the_pool(pools):  # noqa: F811
    with pools.client() as alpha, pools.beta_client() as beta:
        beta_id = own_id(beta)
        assert alpha.call("CLIENT", "LIST", "ID", beta_id) == b"$0\r\n\r\n"
        assert beta_id not in listed_ids(alpha.call("CLIENT", "LIST", "TYPE", "normal"))
        alpha.call("CLIENT", "KILL", "TYPE", "normal")
        alpha.call("CLIENT", "KILL", "USER", "default")
        assert beta.call("PING") == b"+PONG\r\n"
        with pools.client() as victim:
            assert alpha.call("CLIENT", "KILL", "USER", "default", "ID", own_id(victim)) == \
                b":1\r\n"
            assert victim.closed_by_peer()
