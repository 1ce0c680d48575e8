"""SORT's BY and GET patterns name keys that are not in the request. Over three servers
shardis either answers exactly what one redis-server answers (the pattern's keys share the
sorted key's server through a hash tag) or refuses: never a wrong order or nils."""

DENIED_BY = b"-ERR BY option of SORT denied in Cluster mode.\r\n"
DENIED_GET = b"-ERR GET option of SORT denied in Cluster mode.\r\n"


def load(client, prefix=""):
    """A list of ids, a weight per id and a name per id, the weights against the ids' order."""
    client.call("RPUSH", prefix + "tosort", 1, 2, 3, 4, 5, 6)
    for i in range(1, 7):
        client.call("SET", f"{prefix}weight_{i}", 10 - i)
        client.call("HSET", f"{prefix}data_{i}", "name", f"n{i}")


def test_untagged_patterns_are_refused_not_answered_wrong(proxy, direct):
    load(proxy)
    load(direct)
    # One server sorts by the weights: 6..1. Before the check the proxy read the weights on
    # the list's server, where most are missing, and answered another order with no error.
    assert direct.call("SORT", "tosort", "BY", "weight_*") == (
        b"*6\r\n$1\r\n6\r\n$1\r\n5\r\n$1\r\n4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n")
    assert proxy.call("SORT", "tosort", "BY", "weight_*") == DENIED_BY
    assert proxy.call("SORT", "tosort", "GET", "weight_*") == DENIED_GET
    assert proxy.call("SORT_RO", "tosort", "GET", "#", "GET", "data_*->name") == DENIED_GET
    assert proxy.call("SORT", "tosort", "BY", "weight_*", "STORE", "tosort") == DENIED_BY
    # The refusal left nothing behind.
    assert proxy.call("LLEN", "tosort") == b":6\r\n"


def test_tagged_patterns_give_one_servers_replies(proxy, direct):
    load(proxy, "{w}")
    load(direct, "{w}")
    for command in [
        ("SORT", "{w}tosort", "BY", "{w}weight_*"),
        ("SORT", "{w}tosort", "BY", "{w}weight_*", "GET", "#", "GET", "{w}data_*->name"),
        ("SORT_RO", "{w}tosort", "BY", "{w}weight_*", "DESC", "LIMIT", 1, 3, "GET", "{w}weight_*"),
        ("SORT", "{w}tosort", "BY", "nosort", "GET", "{w}data_*->name", "STORE", "{w}out"),
        ("LRANGE", "{w}out", 0, -1),
        ("SORT", "{w}tosort", "BY", "{w}data_*->name", "ALPHA", "GET", "constant"),
        ("SORT", "{w}tosort", "BOGUS", "BY", "weight_*"),  # the server's syntax error
    ]:
        want = direct.call(*command)
        got = proxy.call(*command)
        assert got == want, f"{command}: shardis {got!r} != redis {want!r}"


def test_patterns_tagged_for_another_server_are_crossslot(cluster, proxy):
    placed = cluster.proxy.locate("w", *[f"x{i}" for i in range(50)])
    other = next(tag for tag, server in placed.items() if server != placed["w"])
    load(proxy, "{w}")
    assert proxy.call("SORT", "{w}tosort", "BY", "{" + other + "}weight_*") == (
        b"-CROSSSLOT Keys in request don't hash to the same server\r\n")
