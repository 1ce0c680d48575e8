"""Transactions (issue 14) from real client libraries, and what a transaction leaves behind:
redis-py's pipeline() and transaction() WATCH retry loop under contention from several
processes, RQ enqueueing and a burst worker, ioredis and node-redis multi().exec(), clients
that go away in the middle, and the backend connections opened while 10,000 transactions run.
"""
import importlib.util
import multiprocessing
import os
import shutil
import socket
import struct
import subprocess
import sys

import pytest
import redis

from harness import Cluster, RawClient, encode_command, wait_until
from test_stats import stats_json, wait_for_snapshot
from test_transactions import spread_keys

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"


def one_worker_cluster():
    """One worker thread, so that every client's leases come from one idle list and the
    count of backend connections opened is exact."""
    return Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}, args=("--threads", "1"))


@pytest.fixture(scope="module")
def tx_cluster():
    with one_worker_cluster() as c:
        yield c


@pytest.fixture
def fresh_cluster():
    """A proxy of its own: the stats snapshots it counts from hold nothing of other tests
    (a snapshot is taken periodically, so an earlier test's late counts could land in the
    window a test measures)."""
    with one_worker_cluster() as c:
        yield c


@pytest.fixture
def cluster(tx_cluster):
    tx_cluster.flushall()
    return tx_cluster


def client(cluster, **kwargs):
    return redis.Redis(host=HOST, port=cluster.proxy.port, **kwargs)


def server_stats(cluster, field):
    pool = stats_json(cluster.proxy.stats_port)["pool"]
    return {name: pool[name][field] for name in cluster.names}


def backends_hold_no_transaction(cluster):
    """True when no connection on any redis-server has an open MULTI (CLIENT LIST multi=-1)."""
    for server in cluster.redis:
        with server.client() as c:
            listing = c.call("CLIENT", "LIST").decode()
        if any("multi=-1" not in line for line in listing.splitlines()[1:] if line):
            return False
    return True


def assert_nothing_left(cluster):
    """Every lease is back (stats) and no backend connection is inside a MULTI."""
    wait_until(lambda: set(server_stats(cluster, "leases_in_use").values()) == {0},
               timeout=5.0, interval=0.1, what="leases_in_use back to 0")
    wait_until(lambda: backends_hold_no_transaction(cluster), timeout=5.0,
               what="no backend connection left inside MULTI")


def test_redis_py_pipeline_across_servers(cluster):
    k = spread_keys(cluster, "pypipe", 4)
    r = client(cluster, decode_responses=True)
    pipe = r.pipeline()  # transaction=True: MULTI ... EXEC
    pipe.set(k[0], "a").incr(k[1]).rpush(k[2], "x", "y").hset(k[3], "f", "v")
    pipe.mget(k[0], k[1], k[2] + ":none").lrange(k[2], 0, -1).hgetall(k[3])
    assert pipe.execute() == [True, 1, 2, 1, ["a", "1", None], ["x", "y"], {"f": "v"}]

    pipe = r.pipeline()
    pipe.incr(k[0]).set(k[1], "b").lpush(k[0], "z").get(k[1])
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError) and "not an integer" in str(results[0])
    assert isinstance(results[2], redis.ResponseError) and "WRONGTYPE" in str(results[2])
    assert results[1] is True and results[3] == "b"

    with r.pipeline() as pipe:
        pipe.watch(k[1])
        value = pipe.get(k[1])
        pipe.multi()
        pipe.set(k[1], value + "!").set(k[2] + ":w", 1)
        assert pipe.execute() == [True, True]
    assert r.mget(k[1], k[2] + ":w") == ["b!", "1"]
    r.close()


def increment_many(port, key, other, count):
    """`count` committed read-modify-write transactions on `key` (watched), each also
    incrementing `other` on another server; returns how many attempts that took."""
    r = redis.Redis(host=HOST, port=port)
    attempts = 0

    def bump(pipe):
        nonlocal attempts
        attempts += 1
        value = int(pipe.get(key) or 0)
        pipe.multi()
        pipe.set(key, value + 1)
        pipe.incr(other)

    for _ in range(count):
        r.transaction(bump, key)
    r.close()
    return attempts


def test_redis_py_watch_retry_loop_under_contention(cluster):
    k = spread_keys(cluster, "contended", 2)
    processes, each = 4, 200
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        runs = [pool.apply_async(increment_many, (cluster.proxy.port, k[0], k[1], each))
                for _ in range(processes)]
        attempts = [run.get(timeout=120) for run in runs]
    r = client(cluster)
    # Each committed transaction added exactly one to both keys; each aborted one nothing.
    assert r.mget(k[0], k[1]) == [b"%d" % (processes * each)] * 2
    assert sum(attempts) >= processes * each
    r.close()


def rq_or_skip():
    if importlib.util.find_spec("rq") is None:
        pytest.skip("python3-rq is not installed (scripts/install-deps.sh installs it)")
    import rq
    return rq


def rq_worker(cluster, *args, timeout=60):
    env = dict(os.environ, PYTHONPATH=HERE)
    return subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "-u",
         f"redis://{HOST}:{cluster.proxy.port}", *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE)


def enqueue_adds(cluster, count):
    rq = rq_or_skip()
    queue = rq.Queue("tx", connection=client(cluster))
    jobs = [queue.enqueue("rq_jobs.add", i, 100) for i in range(count)]
    return queue, jobs


def job_finished(job):
    job.refresh()
    return job.get_status() == "finished"


def test_rq_enqueue_is_a_transaction(cluster):
    """RQ's enqueue() saves the job hash and pushes its id in one MULTI/EXEC pipeline; the
    job hash and the queue list are on whatever servers their names hash to."""
    queue, jobs = enqueue_adds(cluster, 5)
    assert [job.get_status() for job in jobs] == ["queued"] * 5
    assert queue.job_ids == [job.id for job in jobs]
    assert len(queue) == 5


def test_rq_burst_worker_runs_the_jobs(cluster):
    """`rq worker --burst` polls with LPOP, registers itself and finishes each job with
    WATCH + MULTI/EXEC pipelines. (It also SUBSCRIBEs to its control channel.)"""
    queue, jobs = enqueue_adds(cluster, 4)
    result = rq_worker(cluster, "--burst", "tx")
    assert result.returncode == 0, result.stdout + result.stderr
    for i, job in enumerate(jobs):
        job.refresh()
        assert job.get_status() == "finished", (job.id, result.stderr)
        assert job.return_value() == i + 100
    assert len(queue) == 0
    assert queue.finished_job_registry.count == 4


def test_rq_worker_waits_for_jobs_and_obeys_shutdown(cluster):
    """A long-running worker waits with BLPOP (issue 15) and takes commands on its SUBSCRIBE
    channel `rq:pubsub:<name>`, where send_shutdown_command PUBLISHes (issue 16)."""
    rq = rq_or_skip()
    from rq.command import send_shutdown_command
    queue, jobs = enqueue_adds(cluster, 1)
    env = dict(os.environ, PYTHONPATH=HERE)
    worker = subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "-u", f"redis://{HOST}:{cluster.proxy.port}",
         "--name", "txworker", "tx"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, cwd=HERE)
    try:
        r = client(cluster)
        wait_until(lambda: worker.poll() is not None or job_finished(jobs[0]), timeout=15.0,
                   what="the job finished or the worker exited")
        assert worker.poll() is None, worker.stdout.read()
        # The worker SUBSCRIBEs without waiting for the confirmation: a command published
        # before the subscription is in place would be lost.
        wait_until(lambda: r.pubsub_numsub("rq:pubsub:txworker")[0][1] == 1, timeout=10.0,
                   what="the worker subscribed to rq:pubsub:txworker")
        send_shutdown_command(r, "txworker")
        assert worker.wait(timeout=15) == 0
        assert rq.Worker.count(connection=r) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        worker.stdout.close()


def node_available():
    return shutil.which("node") and os.path.isdir(os.path.join(HERE, "node_modules", "ioredis"))


@pytest.mark.parametrize("script", ["ioredis_transactions.js", "node_redis_transactions.js"])
def test_node_clients_multi_exec(cluster, script):
    if not node_available():
        pytest.fail("node clients are missing: run scripts/install-node-clients.sh")
    keys = spread_keys(cluster, "node", 3)
    result = subprocess.run(["node", os.path.join(HERE, script), str(cluster.proxy.port),
                             *keys], capture_output=True, text=True, timeout=120, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout


def test_client_gone_between_multi_and_exec_runs_nothing(cluster):
    k = spread_keys(cluster, "gone", 3)
    with cluster.proxy.client() as c:
        assert c.call("WATCH", k[0]) == OK
        assert c.call("MULTI") == OK
        for key in k:
            assert c.call("SET", key, "queued") == QUEUED
    assert_nothing_left(cluster)
    with cluster.proxy.client() as c:
        assert c.call("EXISTS", *k) == b":0\r\n"
        # The connections given back carry no MULTI or queued command into the next lease.
        replies = [c.call("MULTI")] + [c.call("GET", key) for key in k] + [c.call("EXEC")]
        assert replies == [OK, QUEUED, QUEUED, QUEUED, b"*3\r\n$-1\r\n$-1\r\n$-1\r\n"]
    with RawClient(cluster.by_name[cluster.proxy.locate(k[0])[k[0]]].port) as server:
        assert server.call("EXISTS", k[0]) == b":0\r\n"


def send_and_vanish(port, data, reset):
    s = socket.create_connection((HOST, port), timeout=5)
    if reset:  # close with RST, not FIN
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(data)
    s.close()


def test_client_gone_mid_exec_leaves_no_lease(cluster):
    k = spread_keys(cluster, "vanish", 3)
    one = [("MULTI",), ("INCR", "{v}a"), ("INCR", "{v}b"), ("EXEC",)]
    cross = [("MULTI",), ("INCR", k[0]), ("INCR", k[1]), ("INCR", k[2]), ("EXEC",)]
    for i in range(20):
        commands = (one, cross)[i % 2]
        send_and_vanish(cluster.proxy.port, b"".join(encode_command(*c) for c in commands),
                        reset=i % 4 >= 2)
    with cluster.proxy.client() as c:
        assert c.call("PING") == b"+PONG\r\n"
    assert_nothing_left(cluster)
    with cluster.proxy.client() as c:
        for commands in (one, cross):
            for command in commands[:-1]:
                c.send_command(*command)
            replies = c.read_replies(len(commands) - 1) + [c.call("EXEC")]
            assert replies[:-1] == [OK] + [QUEUED] * (len(commands) - 2)
            assert replies[-1].startswith(b"*%d\r\n:" % (len(commands) - 2)), replies
    assert_nothing_left(cluster)


def run_transactions(port, keys, count, batch=50):
    """`count` 3-command transactions on one connection, `batch` per write, alternately on
    one server (hash tag) and over three; returns the replies of the last EXEC."""
    one = [("MULTI",), ("INCR", "{flat}a"), ("INCR", "{flat}b"), ("GET", "{flat}a"), ("EXEC",)]
    cross = [("MULTI",), ("INCR", keys[0]), ("INCR", keys[1]), ("GET", keys[2]), ("EXEC",)]
    data = [b"".join(encode_command(*c) for c in tx) for tx in (one, cross)]
    last = None
    with RawClient(port, timeout=30) as c:
        for start in range(0, count, batch):
            n = min(batch, count - start)
            c.send(b"".join(data[(start + i) % 2] for i in range(n)))
            replies = c.read_replies(5 * n)
            assert replies[0] == OK and replies[-1].startswith(b"*3\r\n:"), replies[:5]
            last = replies[-1]
    return last


def test_connections_opened_stay_flat_over_10000_transactions(fresh_cluster):
    cluster = fresh_cluster
    k = spread_keys(cluster, "flat", 3)
    run_transactions(cluster.proxy.port, k, 2)  # the first leases may open connections
    before = wait_for_snapshot(
        cluster.proxy.stats_port,
        lambda d: d["pool"].get("transactions_committed", 0) >= 2 and
        all(d["pool"][name]["leases_in_use"] == 0 for name in cluster.names),
        "the warm-up transactions counted")
    committed = before["pool"]["transactions_committed"]
    connections = 20
    for _ in range(connections):  # one after another: each client leases, then gives back
        run_transactions(cluster.proxy.port, k, 500)
    after = wait_for_snapshot(
        cluster.proxy.stats_port,
        lambda d: d["pool"].get("transactions_committed", 0) >= committed + 10000,
        "10,000 transactions counted")
    with cluster.proxy.client() as c:
        assert c.call("MGET", "{flat}a", k[0], k[1]) == \
            b"*3\r\n$4\r\n5001\r\n$4\r\n5001\r\n$4\r\n5001\r\n"
    opened = {name: after["pool"][name]["server_connections_total"] -
              before["pool"][name]["server_connections_total"] for name in cluster.names}
    # Twenty clients in turn, 10,000 transactions: a connection per transaction or per client
    # would open thousands or twenty; reuse from the idle list opens none, or one or two.
    assert all(n <= 2 for n in opened.values()), opened
    assert_nothing_left(cluster)


@pytest.mark.parametrize("span", ["one server", "cross-server"])
def test_server_dying_mid_transaction_fails_exec_naming_it(span):
    """A server killed between MULTI and EXEC: EXEC answers an error naming it, the client's
    connection stays usable and no lease is left."""
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000},
                 args=("--threads", "1")) as c:
        k = spread_keys(c, "dies", 2)
        keys = ["{dies}a", "{dies}b"] if span == "one server" else k
        victim = c.proxy.locate(keys[-1])[keys[-1]]
        with c.proxy.client() as cl:
            assert cl.call("MULTI") == OK
            for key in keys:
                assert cl.call("SET", key, 1) == QUEUED
            c.by_name[victim].kill()
            reply = cl.call("EXEC")
            assert reply.startswith(b"-ERR ") and b"server %s" % victim.encode() in reply, reply
            assert cl.call("PING") == b"+PONG\r\n"
        wait_until(lambda: set(server_stats(c, "leases_in_use").values()) == {0},
                   timeout=5.0, interval=0.1, what="leases_in_use back to 0")
