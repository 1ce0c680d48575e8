"""Blocking commands (issue 15) and clients that go away while blocked: hanging up, CLIENT KILL
through the proxy, SIGTERM of the proxy. Whatever happens to the client, an element pushed
afterwards (or at the very moment it goes) stays in its list, no server keeps a blocked
connection, and every lease comes back (leases_in_use in the stats JSON). Also the proxy's own
limits: the pool `timeout` does not cut a blocking command short, and max_leased_connections
bounds the connections blocked per server.
"""
import time

import pytest

from harness import Cluster, wait_until
from test_blocking import backend_ports, has_reply, nothing_blocked, send_and_wait_blocked
from test_transaction_clients import server_stats
from test_transactions import spread_keys

SPANS = ("one server", "three servers")


def span_keys(cluster, span, name):
    if span == "one server":
        return [f"{{{name}}}a", f"{{{name}}}b", f"{{{name}}}c"]
    return spread_keys(cluster, name, 3)


def block(client, ports, *command):
    """Sends a blocking command and checks that it blocks (no reply yet) on every server."""
    send_and_wait_blocked(client, ports, command)
    assert not has_reply(client), f"{command} answered at once: {client.read_reply()!r}"


def leases_back(cluster):
    wait_until(lambda: set(server_stats(cluster, "leases_in_use").values()) == {0},
               timeout=5.0, interval=0.1, what="leases_in_use back to 0")


def lengths(cluster, keys):
    with cluster.proxy.client() as c:
        return [int(c.call("LLEN", k)[1:-2]) for k in keys]


def push_to_every_server(cluster, keys, value, pushers=None):
    """RPUSH `value` onto each key, straight to its server; `pushers` (from open_pushers) are
    connections opened beforehand, so that the pushes follow the caller's last step at once."""
    own = pushers is None
    pushers = pushers or open_pushers(cluster, keys)
    for k, c in pushers:
        c.send_command("RPUSH", k, value)
    for _, c in pushers:
        assert c.read_reply()[:1] == b":"
        if own:
            c.close()


def open_pushers(cluster, keys):
    placed = cluster.proxy.locate(*keys)
    return [(k, cluster.by_name[placed[k]].client()) for k in keys]


@pytest.fixture
def clean(cluster):
    cluster.flushall()
    return cluster


@pytest.mark.parametrize("span", SPANS)
def test_blocked_client_hanging_up_pops_nothing_afterwards(clean, span):
    cluster, keys = clean, span_keys(clean, span, "hangup")
    ports = backend_ports(cluster, keys)
    for _ in range(3):
        client = cluster.proxy.client()
        block(client, ports, "BLPOP", *keys, 0)
        client.close()
        nothing_blocked(ports)
    push_to_every_server(cluster, keys, "after")
    assert lengths(cluster, keys) == [1, 1, 1]
    leases_back(cluster)


def drain(cluster, keys, want=(1, 1, 1)):
    """Each key's length once it is `want` (an element may be put back a moment after the
    server let go) or after 1 s, then the keys deleted so that the next BLPOP blocks."""
    seen = {}

    def settled():
        seen["lengths"] = lengths(cluster, keys)
        return seen["lengths"] == list(want)

    try:
        wait_until(settled, timeout=1.0, interval=0.05, what="every element in its list")
    except TimeoutError:
        pass
    with cluster.proxy.client() as c:
        for k in keys:
            c.call("DEL", k)
    return seen["lengths"]


@pytest.mark.parametrize("span", SPANS)
def test_element_pushed_as_the_blocked_client_hangs_up_is_not_lost(clean, span):
    """The push reaches the server before the proxy has seen the client go: the server hands
    the element to the proxy, which must put it back (issue: 'an element that arrives for a
    client that has gone is put back, not dropped'). One redis-server, with the client
    connected to it, keeps every element in this sequence."""
    cluster, keys = clean, span_keys(clean, span, "race")
    ports = backend_ports(cluster, keys)
    found = []
    pushers = open_pushers(cluster, keys)
    for i in range(10):
        client = cluster.proxy.client()
        block(client, ports, "BLPOP", *keys, 0)
        client.close()
        push_to_every_server(cluster, keys, f"e{i}", pushers)
        nothing_blocked(ports)
        found.append(drain(cluster, keys))
    for _, c in pushers:
        c.close()
    leases_back(cluster)
    assert found == [[1, 1, 1]] * 10


def kill_blocked_client(cluster, keys, push_at_once):
    ports = backend_ports(cluster, keys)
    pushers = open_pushers(cluster, keys)
    victim = cluster.proxy.client()
    client_id = int(victim.call("CLIENT", "ID")[1:-2])
    block(victim, ports, "BLPOP", *keys, 0)
    with cluster.proxy.client() as killer:
        assert killer.call("CLIENT", "KILL", "ID", client_id) == b":1\r\n"
        if push_at_once:
            push_to_every_server(cluster, keys, "at-once", pushers)
        for _, c in pushers:
            c.close()
        assert victim.closed_by_peer(timeout=5.0)
        victim.close()
        wait_until(lambda: killer.call("CLIENT", "LIST", "ID", client_id) == b"$0\r\n\r\n",
                   timeout=2.0, interval=0.02, what=f"client {client_id} gone from CLIENT LIST")
    nothing_blocked(ports)


@pytest.mark.parametrize("span", SPANS)
def test_client_kill_of_a_blocked_client(clean, span):
    cluster, keys = clean, span_keys(clean, span, "killed")
    kill_blocked_client(cluster, keys, push_at_once=False)
    push_to_every_server(cluster, keys, "after")
    leases_back(cluster)
    assert drain(cluster, keys) == [1, 1, 1]
    # The push reaches the server before the proxy has closed the lease: put back, not lost.
    found = []
    for _ in range(5):
        kill_blocked_client(cluster, keys, push_at_once=True)
        found.append(drain(cluster, keys))
    leases_back(cluster)
    assert found == [[1, 1, 1]] * 5


@pytest.mark.parametrize("span", SPANS)
def test_sigterm_with_blocked_clients_exits_clean(span):
    """Harness's stop(): exit 0 within 20 s, no sanitizer report (leaks included)."""
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as cluster:
        clients = []
        for i in range(3):
            keys = span_keys(cluster, span, f"term{i}")
            client = cluster.proxy.client()
            block(client, backend_ports(cluster, keys), "BLPOP", *keys, 0)
            clients.append((client, keys))
        start = time.monotonic()
        cluster.proxy.stop()
        assert time.monotonic() - start < 5.0
        for client, keys in clients:
            assert client.closed_by_peer(timeout=5.0)
            client.close()
            nothing_blocked(backend_ports(cluster, keys))
        # Nothing popped for the clients the proxy let go.
        keys = span_keys(cluster, span, "term0")
        placed = cluster.proxy.locate(*keys)
        for k in keys:
            with cluster.by_name[placed[k]].client() as c:
                assert c.call("RPUSH", k, "x") == b":1\r\n"
                assert c.call("LLEN", k) == b":1\r\n"


@pytest.fixture(scope="module")
def tight_cluster():
    """A pool timeout far shorter than the blocking timeouts used, and two leases per server
    (one worker thread, so the bound is exact)."""
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 200, "max_leased_connections": 2},
                 args=("--threads", "1")) as c:
        yield c


@pytest.mark.parametrize("span", SPANS)
def test_pool_timeout_does_not_cut_a_blocking_command_short(tight_cluster, span):
    cluster = tight_cluster
    cluster.flushall()
    keys = span_keys(cluster, span, "pt")
    with cluster.proxy.client() as c:
        start = time.monotonic()
        assert c.call("BLPOP", *keys, "0.6") == b"*-1\r\n"
        # Redis's own timer runs at hz 10: up to 100 ms late (see test_blocking.py).
        assert 0.59 <= time.monotonic() - start <= 0.75
        block(c, backend_ports(cluster, keys), "BLPOP", *keys, 3)
        time.sleep(0.4)  # twice the pool timeout
        with cluster.proxy.client() as other:
            assert other.call("RPUSH", keys[-1], "late") == b":1\r\n"
        want = b"*2\r\n$%d\r\n%s\r\n$4\r\nlate\r\n" % (len(keys[-1]), keys[-1].encode())
        assert c.read_reply() == want
    leases_back(cluster)


@pytest.mark.parametrize("span", SPANS)
def test_max_leased_connections_bounds_blocked_clients(tight_cluster, span):
    cluster = tight_cluster
    cluster.flushall()
    keys = span_keys(cluster, span, "cap")
    ports = backend_ports(cluster, keys)
    blocked = []
    for _ in range(2):
        c = cluster.proxy.client()
        block(c, ports, "BLPOP", *keys, 5)
        blocked.append(c)
    with cluster.proxy.client() as third:
        reply = third.call("BLPOP", *keys, 5)
        assert reply.startswith(b"-ERR max_leased_connections reached for server s"), reply
        assert third.call("PING") == b"+PONG\r\n"
    with cluster.proxy.client() as pusher:
        for k in keys:
            pusher.call("RPUSH", k, "x")
    for c in blocked:
        assert c.read_reply().startswith(b"*2\r\n")
        c.close()
    nothing_blocked(ports)
    leases_back(cluster)
    assert sum(lengths(cluster, keys)) == 1


@pytest.mark.parametrize("span", SPANS)
def test_server_dying_under_a_blocked_client_answers_an_error_naming_it(span):
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000},
                 args=("--threads", "1")) as cluster:
        keys = span_keys(cluster, span, "dies")
        victim = cluster.proxy.locate(keys[1])[keys[1]]
        with cluster.proxy.client() as c:
            block(c, backend_ports(cluster, keys), "BLPOP", *keys, 0)
            cluster.by_name[victim].kill()
            c.sock.settimeout(5.0)
            reply = c.read_reply()
            assert reply.startswith(b"-ERR ") and b"server %s" % victim.encode() in reply, reply
            assert c.call("PING") == b"+PONG\r\n"
        leases_back(cluster)
