"""Applications built on pub/sub (issue 16), run through shardis over three servers and, to
prove each test right, against one direct redis-server.

socket.io with @socket.io/redis-adapter (socketio_broadcast.js): two socket.io servers, each
with its own pair of Redis clients, and socket.io-client sockets on each; a broadcast from one
server must reach the sockets of the other exactly once, and fetchSockets() must list both
servers' sockets. The classic adapter subscribes with PSUBSCRIBE `socket.io#/#*` (the pattern
is on every server) and publishes with PUBLISH; the sharded one uses SSUBSCRIBE and SPUBLISH.
The room is chosen so that its channel and the namespace's channel are on different servers.

Job queues: Bull's delayed jobs and global events (bull_delayed.js) and bee-queue's job events
and delayed jobs (bee_queue_events.js) are PUBLISHed from Lua scripts or MULTI blocks on the
queue's server and SUBSCRIBEd to by the other queue instances.

RQ's worker control: a running `rq worker` SUBSCRIBEs to `rq:pubsub:<worker name>`, where
send_stop_job_command, send_kill_horse_command and send_shutdown_command PUBLISH.
"""
import os
import shutil
import subprocess
import sys

import pytest
import redis

from harness import HOST, Cluster, free_port, wait_until
from test_transaction_clients import rq_or_skip

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN_CHANNEL = "socket.io#/#"


@pytest.fixture(scope="module")
def cluster():
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as c:
        yield c


def room_apart(cluster):
    """A room whose own channel (`socket.io#/#ROOM#`) is on another server than the
    namespace's channel, so that a room broadcast and a namespace broadcast cross servers."""
    rooms = [f"room{i}" for i in range(50)]
    placed = cluster.proxy.locate(MAIN_CHANNEL, *[f"{MAIN_CHANNEL}{r}#" for r in rooms])
    return next(r for r in rooms if placed[f"{MAIN_CHANNEL}{r}#"] != placed[MAIN_CHANNEL])


def node_run(package, script, *args):
    """stdout's words of `node script args`, which must exit 0."""
    if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "node_modules",
                                                                  package)):
        pytest.fail(f"{package} is missing: run scripts/install-node-clients.sh")
    result = subprocess.run(["node", os.path.join(HERE, script), *[str(a) for a in args]],
                            capture_output=True, text=True, timeout=60, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split()


def socketio_run(port, adapter, library, mode, room):
    assert node_run("@socket.io/redis-adapter", "socketio_broadcast.js", port, adapter,
                    library, mode, room, free_port(), free_port()) == ["ok"]


@pytest.fixture(params=["shardis", "direct"])
def redis_port(request, cluster, direct_server):
    cluster.flushall()
    with direct_server.client() as c:
        c.call("FLUSHALL")
    return cluster.proxy.port if request.param == "shardis" else direct_server.port


# The classic adapter with ioredis as its README shows it, and with node-redis v4; the
# sharded adapter with node-redis v4 as its README shows it, and with ioredis (standalone
# ioredis has ssubscribe/spublish).
@pytest.mark.parametrize("adapter,library", [("classic", "ioredis"), ("classic", "redis"),
                                             ("sharded", "redis"), ("sharded", "ioredis")])
def test_socketio_broadcast_reaches_the_other_server(cluster, redis_port, adapter, library):
    socketio_run(redis_port, adapter, library, "broadcast", room_apart(cluster))


@pytest.mark.parametrize("adapter,library", [("classic", "ioredis"), ("sharded", "redis")])
def test_socketio_fetch_sockets_across_servers(cluster, redis_port, adapter, library):
    """fetchSockets() asks the other servers over pub/sub and waits for as many answers as
    PUBSUB NUMSUB (classic) or SHARDNUMSUB (sharded) counts servers, less itself: a count
    through shardis other than Redis's either cuts the list short or times out."""
    socketio_run(redis_port, adapter, library, "fetch", room_apart(cluster))


def test_bull_delayed_jobs_and_global_events(redis_port):
    assert node_run("bull", "bull_delayed.js", redis_port, 5, "{bull}") == ["ok", "5", "5"]


def test_bee_queue_job_events_and_delayed_jobs(redis_port):
    assert node_run("bee-queue", "bee_queue_events.js", redis_port, 5, "{bq}") == \
        ["ok", "10", "10"]


@pytest.mark.parametrize("command,status", [("stop-job", "stopped"), ("kill-horse", "failed")])
def test_rq_worker_obeys_commands_published_to_it(redis_port, command, status):
    """A job that would run for a minute is ended by the command, the worker lives on and
    takes the next command, shutdown, and exits."""
    rq = rq_or_skip()
    from rq.command import send_kill_horse_command, send_shutdown_command, send_stop_job_command
    name = f"control-{command}"
    connection = redis.Redis(host=HOST, port=redis_port)
    job = rq.Queue("control", connection=connection).enqueue("rq_jobs.sleep", 60,
                                                             job_timeout=120)
    worker = subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "-u",
                               f"redis://{HOST}:{redis_port}", "--name", name, "control"],
                              env=dict(os.environ, PYTHONPATH=HERE), cwd=HERE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def job_status():
            assert worker.poll() is None, worker.stdout.read()
            return job.get_status(refresh=True)

        wait_until(lambda: job_status() == "started", timeout=15.0, what="the job started")
        # The worker SUBSCRIBEs without waiting for the confirmation: a command published
        # before the subscription is in place would be lost.
        channel = f"rq:pubsub:{name}"
        wait_until(lambda: connection.pubsub_numsub(channel)[0][1] == 1, timeout=10.0,
                   what=f"the worker subscribed to {channel}")
        if command == "stop-job":
            send_stop_job_command(connection, job.id)
        else:
            send_kill_horse_command(connection, name)
        wait_until(lambda: job_status() == status, timeout=15.0, what=f"the job {status}")
        send_shutdown_command(connection, name)
        assert worker.wait(timeout=15) == 0
        assert rq.Worker.count(connection=connection) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        worker.stdout.close()
        connection.close()
