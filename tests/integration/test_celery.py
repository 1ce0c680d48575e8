"""Celery (Debian python3-celery 5.2, kombu 5.2) with the Redis broker and the Redis result
backend through shardis over three servers (issue 14's application test).

What Celery sends, and where shardis stands today:
- Sending a task: LPUSH of the message on the queue's list (one key), SADD/SMEMBERS of
  `_kombu.binding.<queue>`; passes.
- The worker waits with `BRPOP q q\\x06\\x163 q\\x06\\x166 q\\x06\\x169 1`: one list per
  priority step. Served when all four land on one server (the default queue `celery` does on
  this ring); a queue whose lists span servers is served by the cross-server BRPOP (issue
  15). A hash tag in `global_keyprefix` or in the queue name, or `priority_steps: [0]` (one
  list), keeps the BRPOP on one server, which costs one server instead of several.
- The worker's message bookkeeping (`unacked` hash and `unacked_index` zset) is a MULTI/EXEC
  pipeline; passes.
- The worker's remote control (pidbox): the worker PSUBSCRIBEs to the broadcast exchange
  (on every server), `control.ping()` PUBLISHes to it and the replies come back on a list
  (issue 16).
- The Redis result backend stores a result with MULTI SET PUBLISH EXEC and waits for it with
  SUBSCRIBE (issue 16). The key and the channel are the same name, so the transaction is on
  one server and the waiter subscribes where the result is published.
Each case also runs against one direct redis-server, where it must pass.
"""
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest
import redis

from harness import HOST, RedisServer, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
PRIORITY_SEPARATOR = "\x06\x16"
NO_REMOTE_CONTROL = {"worker_enable_remote_control": False}

if importlib.util.find_spec("celery") is None:
    pytest.skip("python3-celery is not installed (scripts/install-deps.sh installs it)",
                allow_module_level=True)

from celery.exceptions import TimeoutError as CeleryTimeout  # noqa: E402
from celery_tasks import make_app  # noqa: E402


def url(port):
    return f"redis://{HOST}:{port}/0"


def priority_lists(queue, steps=(0, 3, 6, 9)):
    """The lists kombu keeps for one queue, one per priority step (BRPOP's keys)."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}" for step in steps]


class Worker:
    """`celery worker --pool solo` in its own process, stopped (bounded) when the test ends."""

    def __init__(self, workdir, broker, backend=None, options=None, conf=None, queues=None):
        self.log_path = os.path.join(workdir, f"celery-worker-{time.monotonic_ns()}.log")
        env = dict(os.environ, PYTHONPATH=HERE, CELERY_TEST_BROKER=broker,
                   CELERY_TEST_BACKEND=backend or "",
                   CELERY_TEST_OPTIONS=json.dumps(options or {}),
                   CELERY_TEST_CONF=json.dumps(conf or {}))
        args = [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--pool", "solo",
                "--loglevel", "info", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--hostname", f"w{os.getpid()}@test"]
        if queues:
            args += ["--queues", ",".join(queues)]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     env=env, cwd=HERE)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_ready(self, timeout=20.0):
        wait_until(lambda: self.proc.poll() is not None or " ready." in self.log(),
                   timeout=timeout, what="the celery worker ready")
        assert self.proc.poll() is None, self.log()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # warm shutdown
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


@pytest.fixture
def worker(cluster):
    started = []

    def start(broker, **kwargs):
        w = Worker(cluster.dir, broker, **kwargs)
        started.append(w)
        w.wait_ready()
        return w

    yield start
    for w in started:
        w.stop()


@pytest.fixture
def servers(cluster, direct_server):
    """Broker URLs by target: shardis over three servers, or one direct redis-server."""
    cluster.flushall()
    with direct_server.client() as c:
        c.call("FLUSHALL")
    return {"shardis": url(cluster.proxy.port), "direct": url(direct_server.port)}


@pytest.fixture(scope="module")
def results_server(cluster):
    """A redis-server of its own for results, when the broker alone is under test."""
    server = RedisServer(cluster.dir).start()
    yield url(server.port)
    server.stop()


def round_trip(app, worker, queue=None, timeout=8.0):
    """add(2, 3) sent and its result read back; fails early when the worker has stopped."""
    result = app.tasks["celery_tasks.add"].apply_async((2, 3), queue=queue)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and worker.proc.poll() is None:
            try:
                return result.get(timeout=0.5)
            except CeleryTimeout:
                continue
        assert worker.proc.poll() is None, "the worker stopped:\n" + worker.log()[-3000:]
        return result.get(timeout=0.5)
    finally:
        # Let go of the result while the servers run: a failed test's traceback keeps it
        # alive until exit, where its __del__ would unsubscribe from a server long gone.
        with contextlib.suppress(Exception):
            result.backend.remove_pending_result(result)
        result.backend = None


def exec_calls(cluster):
    """EXECs the redis-servers behind the proxy have run (their own commandstats)."""
    total = 0
    for server in cluster.redis:
        with redis.Redis(host=HOST, port=server.port) as direct:
            stats = direct.info("commandstats")
        total += stats.get("cmdstat_exec", {}).get("calls", 0)
    return total


def spread_queue(cluster):
    """A queue name whose priority lists do not all land on one server."""
    for i in range(100):
        name = f"jobs{i}"
        if len(set(cluster.proxy.locate(*priority_lists(name)).values())) > 1:
            return name
    raise AssertionError("no queue name spans servers")


def test_sending_a_task_is_an_lpush(cluster, servers):
    app = make_app(servers["shardis"])
    app.tasks["celery_tasks.add"].delay(2, 3)
    r = redis.Redis(host=HOST, port=cluster.proxy.port)
    assert r.smembers("_kombu.binding.celery")
    [message] = r.lrange("celery", 0, -1)
    headers = json.loads(message)["headers"]
    assert headers["task"] == "celery_tasks.add" and headers["argsrepr"] == "(2, 3)"
    r.close()


def test_worker_runs_tasks_with_the_broker_through_shardis(cluster, servers, results_server,
                                                            worker):
    """The worker's BRPOP over the default queue's four lists (all on one server of this
    ring), its unacked bookkeeping (MULTI/EXEC) and the ack; results kept elsewhere."""
    assert len(set(cluster.proxy.locate(*priority_lists("celery")).values())) == 1
    app = make_app(servers["shardis"], results_server)
    w = worker(servers["shardis"], backend=results_server, conf=NO_REMOTE_CONTROL)
    execs = exec_calls(cluster)
    assert [round_trip(app, w) for _ in range(3)] == [5, 5, 5]
    # Each delivery is recorded in `unacked` and removed at the ack, each a MULTI/EXEC. The
    # last ack may come just after its result (which arrives by pub/sub, at once).
    wait_until(lambda: exec_calls(cluster) >= execs + 6, timeout=10,
               what="six MULTI/EXECs for three deliveries and their acks")
    r = redis.Redis(host=HOST, port=cluster.proxy.port)
    assert r.llen("celery") == 0 and r.hlen("unacked") == 0
    r.close()


@pytest.mark.parametrize("target", ["direct", "shardis"])
def test_round_trip_out_of_the_box(servers, worker, target):
    """Celery as its documentation sets it up: broker and results on one Redis URL."""
    app = make_app(servers[target], servers[target])
    w = worker(servers[target], backend=servers[target])
    assert round_trip(app, w) == 5


@pytest.mark.parametrize("target", ["direct", "shardis"])
def test_round_trip_with_results_through_the_proxy(servers, worker, target):
    app = make_app(servers[target], servers[target])
    w = worker(servers[target], backend=servers[target], conf=NO_REMOTE_CONTROL)
    assert round_trip(app, w) == 5


@pytest.mark.parametrize("target", ["direct", "shardis"])
def test_worker_with_remote_control(servers, results_server, worker, target):
    app = make_app(servers[target], results_server)
    w = worker(servers[target], backend=results_server)
    assert round_trip(app, w) == 5


@pytest.mark.parametrize("target", ["direct", "shardis"])
def test_remote_control_ping(servers, results_server, worker, target):
    """`celery inspect ping`'s call: a broadcast PUBLISHed to the pidbox exchange, caught by
    the worker's PSUBSCRIBE, answered on a reply list."""
    app = make_app(servers[target], results_server)
    w = worker(servers[target], backend=results_server)
    replies = app.control.ping(timeout=3.0)
    assert replies == [{f"w{os.getpid()}@test": {"ok": "pong"}}], w.log()[-3000:]


@pytest.mark.parametrize("target", ["direct", "shardis"])
def test_queue_whose_lists_span_servers(cluster, servers, results_server, worker, target):
    queue = spread_queue(cluster)
    app = make_app(servers[target], results_server)
    w = worker(servers[target], backend=results_server, conf=NO_REMOTE_CONTROL, queues=[queue])
    assert round_trip(app, w, queue=queue) == 5


@pytest.mark.parametrize("workaround", ["global_keyprefix", "priority_steps", "queue_hash_tag"])
def test_queue_spanning_servers_workarounds(cluster, servers, results_server, worker,
                                            workaround):
    """What keeps a worker's BRPOP on one server today: a hash tag in kombu's
    global_keyprefix (every key of the broker on one server), one priority list per queue,
    or a hash tag in the queue name."""
    queue, options = spread_queue(cluster), {}
    brpop_keys = priority_lists(queue)
    if workaround == "global_keyprefix":
        options = {"global_keyprefix": "{celery}"}
        brpop_keys = ["{celery}" + key for key in brpop_keys]
    elif workaround == "priority_steps":
        options = {"priority_steps": [0]}
        brpop_keys = [queue]
    else:
        queue = "{" + queue + "}"
        brpop_keys = priority_lists(queue)
    assert len(set(cluster.proxy.locate(*brpop_keys).values())) == 1
    app = make_app(servers["shardis"], results_server, options)
    w = worker(servers["shardis"], backend=results_server, options=options,
               conf=NO_REMOTE_CONTROL, queues=[queue])
    assert round_trip(app, w, queue=queue) == 5
