"""WAIT numreplicas timeout runs on every server, each on a connection leased while it waits
(issue 15), so it holds no other client's requests, and any timeout (0 = forever) runs. It
still counts the replicas that acknowledged the client's own writes, which rode its shared
connections: each lease first sends a SPUBLISH that Redis replicates like a write (see
src/proxy/wait_run.h). The replica tests stop a replica (SIGSTOP) to tell a WAIT that waits
for the client's writes from one that answers at once."""
import os
import signal
import threading
import time

import pytest

from harness import Cluster, RedisServer, wait_until

POOL_TIMEOUT = 1000


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


@pytest.mark.parametrize("args", [("abc", "10"), ("1", "abc"), ("1", "-1"), ("1", "1.5"),
                                  ("1", " 5"), ("1", "+5"), ("1", "01"), ("abc", "-1"),
                                  ("99999999999999999999", "10"), ("1", "")])
def test_bad_arguments_get_redis_own_errors(proxy, direct, args):
    expected = direct.call("WAIT", *args)
    assert expected.startswith(b"-ERR ")
    assert proxy.call("WAIT", *args) == expected


def test_wait_runs_for_its_timeout(proxy):
    # No replicas: WAIT 1 returns after its timeout with 0 replicas.
    started = time.monotonic()
    assert proxy.call("WAIT", "1", "50") == b":0\r\n"
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize("args", [("0", "0"), ("0", "100"), ("-1", "0"),
                                  ("0", str(POOL_TIMEOUT * 10))])
def test_wait_for_no_replicas_never_blocks(proxy, direct, args):
    """Redis answers WAIT for 0 replicas at once, whatever the timeout."""
    assert proxy.call("WAIT", *args) == direct.call("WAIT", *args) == b":0\r\n"


def test_a_wait_longer_than_the_pool_timeout_is_answered(proxy):
    """The pool's timeout bounds ordinary requests, not how long WAIT was asked to wait."""
    started = time.monotonic()
    assert proxy.call("WAIT", "1", str(POOL_TIMEOUT + 300)) == b":0\r\n"
    assert time.monotonic() - started >= (POOL_TIMEOUT + 300) / 1000


def test_a_wait_forever_stalls_nobody_and_its_leases_come_back(cluster, proxy):
    """Before issue 15 a WAIT held the worker's shared connection to every server: another
    client's GET waited behind it (so WAIT 1 0 was refused)."""
    assert proxy.call("SET", "k", "v") == b"+OK\r\n"
    with cluster.proxy.client() as other:
        proxy.send_command("WAIT", "1", "0")
        time.sleep(0.1)
        started = time.monotonic()
        assert other.call("GET", "k") == b"$1\r\nv\r\n"
        assert time.monotonic() - started < POOL_TIMEOUT / 2000
        listing = other.call("CLIENT", "LIST").decode()
        assert listing.count("flags=b") == 1 and "cmd=wait" in listing, listing
        proxy.sock.settimeout(0.3)
        with pytest.raises(OSError):  # still waiting: nothing to read
            proxy.read_reply()
    proxy.close()

    def leases_in_use():
        with cluster.proxy.client() as c:
            text = c.call("INFO", "stats").decode()
        return int(text.split("leases_in_use:")[1].split("\r\n")[0])
    wait_until(lambda: leases_in_use() == 0, what="the WAIT's leases back")


def test_requests_after_a_wait_keep_their_order(proxy):
    proxy.send_command("SET", "k", "1")
    proxy.send_command("WAIT", "0", "0")
    proxy.send_command("INCR", "k")
    assert [proxy.read_reply() for _ in range(3)] == [b"+OK\r\n", b":0\r\n", b":2\r\n"]


def test_many_clients_waiting_while_others_read(cluster):
    """Several clients each WAIT while others read: every reply comes, in each client's
    order, and the readers are not held."""
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
                    started = time.monotonic()
                    assert c.call("GET", f"r{i}") == b"$1\r\nx\r\n"
                    assert time.monotonic() - started < 0.15
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


@pytest.fixture
def replicated():
    """One server with one replica, behind shardis."""
    with Cluster(1, args=["--threads", "1"]) as c:
        replica = RedisServer(c.dir, extra=["--replicaof", "127.0.0.1", str(c.redis[0].port)])
        replica.start()
        try:
            def link_up():
                with replica.client() as r:
                    return b"master_link_status:up" in r.call("INFO", "replication")
            wait_until(link_up, what="the replica's link")
            yield c, replica
        finally:
            replica.stop()


def replica_caught_up(master):
    """Whether the master's one replica has acknowledged its whole replication stream."""
    with master.client() as m:
        text = m.call("INFO", "replication").decode()
    fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    replica = dict(kv.split("=") for kv in fields.get("slave0", "").split(",") if "=" in kv)
    return replica.get("offset") == fields["master_repl_offset"]


def test_wait_counts_the_replica_that_acknowledged_the_clients_writes(replicated):
    c, replica = replicated
    with c.proxy.client() as client:
        assert client.call("SET", "k", "1") == b"+OK\r\n"
        assert client.call("WAIT", "1", "2000") == b":1\r\n"
        # The replica has acknowledged everything so far, the lease's own WAIT included: a
        # WAIT that counted only from where the lease stood would now answer 1 at once.
        wait_until(lambda: replica_caught_up(c.redis[0]), what="the replica's acknowledgement")
        # A stopped replica acknowledges nothing more: a WAIT after a write must not count it.
        os.kill(replica.proc.pid, signal.SIGSTOP)
        try:
            assert client.call("SET", "k", "2") == b"+OK\r\n"
            started = time.monotonic()
            assert client.call("WAIT", "1", "300") == b":0\r\n"
            assert time.monotonic() - started >= 0.3
        finally:
            os.kill(replica.proc.pid, signal.SIGCONT)
        assert client.call("WAIT", "1", "5000") == b":1\r\n"
    with replica.client() as r:
        assert r.call("GET", "k") == b"$1\r\n2\r\n"
