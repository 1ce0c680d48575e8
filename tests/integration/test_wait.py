"""WAIT rides the pool's shared server connections, where it holds every other client's
requests behind it until it returns. So shardis refuses a WAIT that could hold them longer
than the pool's `timeout` (timeout 0 = forever, or above the pool's), and lets a WAIT within
it run: its reply and the requests queued behind it are not failed as timed out."""
import threading
import time

import pytest

from harness import Cluster

POOL_TIMEOUT = 1000


def refusal(detail):
    return (b"-ERR WAIT blocks the shared server connection, and every other client on it, "
            b"until it returns: " + detail + b"\r\n")


BETWEEN = refusal(b"its timeout must be between 1 and the pool's timeout (1000 ms)")


@pytest.fixture(scope="module")
def cluster():
    # One worker thread, so that every client shares the same connection to each server.
    with Cluster(2, pool_options={"timeout": POOL_TIMEOUT}, args=["--threads", "1"]) as c:
        yield c


@pytest.fixture
def proxy(cluster):
    cluster.flushall()
    with cluster.proxy.client() as c:
        yield c


@pytest.mark.parametrize("timeout", ["0", str(POOL_TIMEOUT + 1), "9223372036854775807"])
def test_a_wait_that_could_outlast_the_pool_timeout_is_refused(proxy, timeout):
    assert proxy.call("WAIT", "1", timeout) == BETWEEN
    # Nothing was sent: the connection answers at once, in order.
    assert proxy.call("PING") == b"+PONG\r\n"


@pytest.mark.parametrize("args", [("abc", "10"), ("1", "abc"), ("1", "-1"), ("1", "1.5"),
                                  ("1", " 5"), ("1", "+5"), ("1", "01"), ("abc", "-1"),
                                  ("99999999999999999999", "10"), ("1", "")])
def test_bad_arguments_get_redis_own_errors(proxy, direct, args):
    expected = direct.call("WAIT", *args)
    assert expected.startswith(b"-ERR ")
    assert proxy.call("WAIT", *args) == expected


def test_wait_within_the_pool_timeout_runs(proxy, direct):
    # No replicas: WAIT 1 returns after its timeout with 0 replicas.
    started = time.monotonic()
    assert proxy.call("WAIT", "1", "50") == b":0\r\n"
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize("args", [("0", "0"), ("0", "100"), ("-1", "0"),
                                  ("0", str(POOL_TIMEOUT * 10))])
def test_wait_for_no_replicas_never_blocks_and_is_sent(proxy, direct, args):
    """Redis answers WAIT for 0 replicas at once, whatever the timeout."""
    assert proxy.call("WAIT", *args) == direct.call("WAIT", *args) == b":0\r\n"


def test_wait_at_the_pool_timeout_is_not_timed_out(cluster, proxy):
    """Redis checks WAIT's timeout on its own clock tick (every 100 ms at hz 10), so the reply
    comes somewhat after it: a WAIT as long as the pool's timeout must still get its answer
    (and fail neither its connection nor the requests queued behind it)."""
    assert proxy.call("SET", "k", "v") == b"+OK\r\n"
    with cluster.proxy.client() as other:
        proxy.send_command("WAIT", "1", str(POOL_TIMEOUT))
        time.sleep(0.05)
        other.send_command("GET", "k")
        assert proxy.read_reply() == b":0\r\n"
        assert other.read_reply() == b"$1\r\nv\r\n"
    assert proxy.call("GET", "k") == b"$1\r\nv\r\n"


def test_a_refused_wait_does_not_stall_another_client(cluster, proxy):
    """The issue: one WAIT 1 0 held the worker's connection to every server, so another
    client's GET waited behind it (and here, with a pool timeout, failed with it)."""
    assert proxy.call("SET", "k", "v") == b"+OK\r\n"
    with cluster.proxy.client() as other:
        proxy.send_command("WAIT", "1", "0")
        time.sleep(0.05)
        started = time.monotonic()
        assert other.call("GET", "k") == b"$1\r\nv\r\n"
        # Far below the pool timeout, after which a held connection would have failed.
        assert time.monotonic() - started < POOL_TIMEOUT / 2000
        assert proxy.read_reply() == BETWEEN


def test_an_accepted_wait_stalls_others_no_longer_than_its_timeout(cluster, proxy):
    assert proxy.call("SET", "k", "v") == b"+OK\r\n"
    wait_ms = 300
    with cluster.proxy.client() as other:
        proxy.send_command("WAIT", "1", str(wait_ms))
        time.sleep(0.02)
        started = time.monotonic()
        assert other.call("GET", "k") == b"$1\r\nv\r\n"
        stalled = time.monotonic() - started
        assert proxy.read_reply() == b":0\r\n"
    # Redis ends a WAIT on its next clock tick (100 ms at hz 10) after the timeout; the
    # bound leaves room for a slow machine but stays below the pool timeout it must not
    # reach.
    assert stalled < (wait_ms + 600) / 1000, stalled


def test_many_clients_behind_accepted_waits_all_get_answers(cluster):
    """Several clients each WAIT within the limit while others read: every reply comes, none
    is a timeout, in each client's order."""
    errors = []

    def waiter():
        try:
            with cluster.proxy.client() as c:
                for _ in range(2):
                    assert c.call("WAIT", "1", "200") == b":0\r\n"
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def reader(i):
        try:
            with cluster.proxy.client() as c:
                assert c.call("SET", f"r{i}", "x") == b"+OK\r\n"
                for _ in range(5):
                    assert c.call("GET", f"r{i}") == b"$1\r\nx\r\n"
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors


def test_no_pool_timeout_refuses_every_wait():
    """Without a pool timeout nothing bounds how long a WAIT may hold the shared
    connections, so none is accepted; the error says what to set."""
    with Cluster(1, args=["--threads", "1"]) as c, c.proxy.client() as cl:
        for timeout in ("0", "1", "100"):
            assert cl.call("WAIT", "1", timeout) == refusal(
                b"this pool has no timeout, so WAIT is refused "
                b"(set the pool's timeout to allow WAIT up to it)")
        # Waiting for no replica never blocks: still sent.
        assert cl.call("WAIT", "0", "0") == b":0\r\n"
        # Redis's own errors still come first.
        assert cl.call("WAIT", "1", "-1") == b"-ERR timeout is negative\r\n"
