"""Job queues that wait for work with blocking commands (issue 15), run through shardis:
BullMQ (a Worker waiting in BZPOPMIN, QueueEvents in XREAD BLOCK), Sidekiq (BRPOP over two
queues) and RQ (`rq worker` without --burst, BLPOP). Each worker is started first and seen
blocked on a server before its jobs are added.

Queues whose keys share a hash tag are on one server; queues on two servers run the
cross-server algorithm (a non-blocking pass, then a block on both servers).
"""
import os
import shutil
import signal
import subprocess
import sys

import pytest

from harness import Cluster, wait_until
from test_blocking import blocked_clients
from test_transaction_clients import rq_or_skip

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def cluster():
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as c:
        yield c


def server_of(cluster, key):
    return cluster.by_name[cluster.proxy.locate(key)[key]]


def names_on_two_servers(cluster, template):
    """Two names from a fixed list whose keys (`template` % name) are on different servers."""
    names = ["default", "low", "critical", "mailers", "high", "bulk", "events", "reports"]
    placed = cluster.proxy.locate(*[template % n for n in names])
    first = names[0]
    second = next(n for n in names if placed[template % n] != placed[template % first])
    return [first, second]


def wait_blocked(cluster, keys, process):
    servers = {server_of(cluster, k).port for k in keys}
    wait_until(lambda: process.poll() is not None or
               all(blocked_clients(p) >= 1 for p in servers), timeout=10.0, interval=0.1,
               what=f"the worker blocked on the servers of {keys}")
    assert process.poll() is None, process.stdout.read()


def stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    out = process.stdout.read()
    process.stdout.close()
    return out


def command_calls(server, name):
    with server.client() as c:
        info = c.call("INFO", "commandstats").decode()
    line = next((line for line in info.splitlines() if line.startswith(f"cmdstat_{name}:")), "")
    return int(line.split("calls=")[1].split(",")[0]) if line else 0


def test_bullmq_worker_processes_jobs_added_after_it_started(cluster):
    if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "node_modules",
                                                                  "bullmq")):
        pytest.fail("bullmq is missing: run scripts/install-node-clients.sh")
    cluster.flushall()
    result = subprocess.run(["node", os.path.join(HERE, "bullmq_worker.js"),
                             str(cluster.proxy.port), "200", "{bmq}"],
                            capture_output=True, text=True, timeout=90, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["ok", "200", "200"]
    # The worker waited in BZPOPMIN and QueueEvents in XREAD BLOCK, on the {bmq} server.
    server = server_of(cluster, "{bmq}:jobs:marker")
    assert command_calls(server, "bzpopmin") >= 1
    assert command_calls(server, "xread") >= 1


def sidekiq_run(cluster, queues, count=20):
    if shutil.which("sidekiq") is None:
        pytest.skip("Debian's ruby-sidekiq is not installed (scripts/install-deps.sh)")
    cluster.flushall()
    env = dict(os.environ, REDIS_URL=f"redis://{HOST}:{cluster.proxy.port}/0",
               SIDEKIQ_DONE="{sq}done")
    args = [a for q in queues for a in ("-q", q)]
    worker = subprocess.Popen(["sidekiq", "-r", "./sidekiq_jobs.rb", *args, "-c", "2", "-t", "1"],
                              env=env, cwd=HERE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_blocked(cluster, [f"queue:{q}" for q in queues], worker)
        enqueue = subprocess.run(["ruby", "sidekiq_jobs.rb", *queues, str(count)], env=env,
                                 cwd=HERE, capture_output=True, text=True, timeout=60)
        assert enqueue.returncode == 0, enqueue.stderr
        with cluster.proxy.client() as c:
            wait_until(lambda: worker.poll() is not None or
                       c.call("LLEN", "{sq}done") == b":%d\r\n" % count, timeout=30.0,
                       what=f"{count} Sidekiq jobs done")
            done = sorted(int(v) for v in c.call("LRANGE", "{sq}done", 0, -1).split(b"\r\n")[2::2])
        assert done == list(range(count))
    finally:
        out = stop(worker)
    assert "Bye!" in out, out[-3000:]


def test_sidekiq_two_queues_on_one_server(cluster):
    sidekiq_run(cluster, ["{sq}default", "{sq}low"])


def test_sidekiq_two_queues_on_two_servers(cluster):
    sidekiq_run(cluster, names_on_two_servers(cluster, "queue:%s"))


def rq_worker_run(cluster, queues):
    rq = rq_or_skip()
    import redis
    cluster.flushall()
    url = f"redis://{HOST}:{cluster.proxy.port}"
    worker = subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "-u", url, *queues],
                              env=dict(os.environ, PYTHONPATH=HERE), cwd=HERE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_blocked(cluster, [f"rq:queue:{q}" for q in queues], worker)
        connection = redis.Redis(host=HOST, port=cluster.proxy.port)
        jobs = [rq.Queue(q, connection=connection).enqueue("rq_jobs.add", i, 40)
                for i, q in enumerate(queues)]
        for job in jobs:
            wait_until(lambda: worker.poll() is not None or job.get_status(refresh=True) ==
                       "finished", timeout=30.0, what=f"RQ job {job.id} finished")
        assert [job.return_value() for job in jobs] == [40 + i for i in range(len(queues))]
        connection.close()
    finally:
        out = stop(worker)
    assert worker.returncode == 0, out[-3000:]


def test_rq_worker_without_burst_picks_up_a_job_enqueued_later(cluster):
    rq_worker_run(cluster, ["waiting"])


def test_rq_worker_on_two_queues_on_two_servers(cluster):
    rq_worker_run(cluster, names_on_two_servers(cluster, "rq:queue:%s"))
