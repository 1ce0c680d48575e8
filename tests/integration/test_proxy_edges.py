"""Edges of the proxy core (issue 4): other listen kinds, shutdown with replies in flight,
ejection, and a server that breaks off in the middle of a large reply."""
import os
import re
import signal
import socket
import stat
import threading
import time

from harness import Cluster, RawClient, encode_command, free_port, wait_until, HOST


def test_unix_socket_listener_with_permissions():
    with Cluster(2, listen="{dir}/shardis.sock 0600") as cluster:
        path = cluster.proxy.listen.split()[0]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with RawClient(sock=cluster.proxy.connect()) as c:
            assert c.call("SET", "unix", "1") == b"+OK\r\n"
            assert c.call("GET", "unix") == b"$1\r\n1\r\n"


def test_ipv6_loopback_listener():
    with Cluster(2, listen="[::1]:{port}") as cluster:
        with RawClient(sock=cluster.proxy.connect()) as c:
            assert c.call("PING") == b"+PONG\r\n"
            assert c.call("SET", "v6", "1") == b"+OK\r\n"


def test_sigterm_delivers_replies_in_flight():
    with Cluster(1, pool_options={"timeout": 10000}) as cluster:
        server = cluster.redis[0]
        with cluster.proxy.client(timeout=15) as c:
            assert c.call("SET", "k", "v") == b"+OK\r\n"
            server.kill(signal.SIGSTOP)
            c.send_command("GET", "k")
            time.sleep(0.2)  # the GET is now waiting on the stopped server
            cluster.proxy.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            server.kill(signal.SIGCONT)
            assert c.read_reply() == b"$1\r\nv\r\n"
            assert c.closed_by_peer()
        cluster.proxy.proc.wait(timeout=15)
        assert cluster.proxy.stop() == 0  # exit status 0, no sanitizer report


def test_auto_eject_moves_keys_then_brings_server_back():
    options = {"auto_eject_hosts": True, "server_failure_limit": 1,
               "server_retry_timeout": 1500, "timeout": 500}
    with Cluster(3, pool_options=options, args=("--threads", "1")) as cluster:
        # Varied keys: fnv1a_64 (twemproxy's 32-bit variant) puts keys that differ only in a
        # trailing digit next to each other on the continuum, often on one server.
        keys = [f"ej:{i * 7919}:{i}" for i in range(60)]
        placement = cluster.proxy.locate(*keys)
        victim = [k for k in keys if placement[k] == "s1"]
        port = cluster.by_name["s1"].port
        cluster.by_name["s1"].kill()
        with cluster.proxy.client() as c:
            # The first request(s) to the dead server fail and eject it ...
            wait_until(lambda: c.call("SET", victim[0], "x") == b"+OK\r\n", timeout=5,
                       what="s1 to be ejected and its keys remapped")
            # ... after which its keys are served by the others, with no errors.
            for k in victim:
                assert c.call("SET", k, "x") == b"+OK\r\n"
            # Restarted, it is back once server_retry_timeout has passed and its probe answers
            # (test_backend_hardening.py checks that it is not back before).
            cluster.by_name["s1"].port = port
            cluster.by_name["s1"].start()
            with cluster.by_name["s1"].client() as direct:
                wait_until(lambda: (c.call("SET", victim[0], "back"),
                                    direct.call("GET", victim[0]) == b"$4\r\nback\r\n")[1],
                           timeout=5, what="s1 to return to the ring")


def test_ejection_is_one_decision_for_every_worker_thread():
    """One worker thread's failures eject the server for all of them: a client on another
    thread is served by the other servers at once, with no failure of its own first, and the
    ejection counts once."""
    options = {"auto_eject_hosts": True, "server_failure_limit": 1,
               "server_retry_timeout": 30000, "timeout": 500}
    with Cluster(3, pool_options=options, args=("--threads", "2")) as cluster:
        keys = [f"ej:{i * 7919}:{i}" for i in range(60)]
        placement = cluster.proxy.locate(*keys)
        victim = [k for k in keys if placement[k] == "s1"]
        cluster.by_name["s1"].kill()
        with cluster.proxy.client() as c:
            wait_until(lambda: c.call("SET", victim[0], "x") == b"+OK\r\n", timeout=5,
                       what="s1 to be ejected and its keys remapped")
        # Fresh connections land on either thread (SO_REUSEPORT spreads them); every one is
        # served on its first request.
        for i in range(12):
            with cluster.proxy.client() as fresh:
                reply = fresh.call("SET", victim[i % len(victim)], "y")
                assert reply == b"+OK\r\n", (i, reply)
        doc = wait_until_stats(cluster.proxy.stats_port,
                               lambda d: d["pool"]["s1"]["server_ejected_at"] > 0)
        assert doc["pool"]["server_ejects"] == 1, doc["pool"]


def wait_until_stats(port, predicate):
    from test_stats import stats_json

    found = {}

    def check():
        found["doc"] = stats_json(port)
        return predicate(found["doc"])

    wait_until(check, timeout=5, interval=0.2, what="a stats snapshot")
    return found["doc"]


class HalfReplyServer:
    """A fake redis that answers the first command with the start of a 30 MB bulk string and
    then closes the connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        for _ in range(4):  # bounded: the proxy connects once or twice
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    if conn.recv(4096):
                        # Trickle 8 MiB so that the proxy is streaming when the server quits.
                        conn.sendall(b"$30000000\r\n")
                        for _ in range(8):
                            conn.sendall(b"a" * (1 << 20))
                            time.sleep(0.02)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def test_server_breaking_off_a_large_reply_closes_that_client():
    fake = HalfReplyServer()
    try:
        with Cluster(1, pool_options={"timeout": 5000}) as cluster:
            cluster.proxy.servers = [("fake", type("S", (), {"port": fake.port})())]
            cluster.proxy.stop()
            cluster.proxy.start()
            with cluster.proxy.client(timeout=10) as c:
                c.send_command("GET", "big")
                # Part of the bulk reached the client, so no error can follow it: the proxy
                # must close the connection rather than splice an error into the bulk.
                assert c.closed_by_peer(timeout=10)
                assert c.buf.startswith(b"$30000000\r\naaaa"), c.buf[:40]
                assert b"-ERR" not in c.buf
            with cluster.proxy.client() as c:
                assert c.call("PING") == b"+PONG\r\n"
    finally:
        fake.close()


def worker_cpu_ticks(pid):
    """utime + stime of each worker thread (named shardis-wN), from /proc/PID/task."""
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        if name.startswith("shardis-w"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks[name] = int(fields[11]) + int(fields[12])
    return ticks


def started_workers(pid, count):
    """The CPU ticks of the `count` workers, once every one has named itself: a client can
    connect (the listening sockets are open) before the worker threads have started."""
    wait_until(lambda: len(worker_cpu_ticks(pid)) == count, what=f"{count} named workers")
    return worker_cpu_ticks(pid)


def test_two_workers_share_the_clients_and_both_use_cpu():
    """--threads 2: each worker listens on the port (SO_REUSEPORT), the kernel spreads the
    connections over them, and both worker threads do their clients' work. With 32
    connections, all landing on one worker would take a 1 in 2^31 hash draw."""
    with Cluster(3, args=("--threads", "2")) as cluster:
        pid = cluster.proxy.proc.pid
        before = started_workers(pid, 2)
        assert sorted(before) == ["shardis-w0", "shardis-w1"]
        clients = [RawClient(cluster.proxy.port) for _ in range(32)]
        try:
            batch = encode_command("SET", "worker:key", "v") + encode_command("GET", "worker:key")
            for _ in range(40):
                for c in clients:
                    c.send(batch * 50)
                for c in clients:
                    assert c.read_replies(100)[-1] == b"$1\r\nv\r\n"
        finally:
            for c in clients:
                c.close()
        after = worker_cpu_ticks(pid)
        used = {name: after[name] - before[name] for name in before}
        assert all(ticks > 0 for ticks in used.values()), used


def test_default_worker_count_is_the_cpus_the_process_may_use():
    """No --threads and no `threads:`: one worker per CPU of the affinity mask (and of the
    cgroup quota, unit-tested), so a proxy pinned to one CPU runs one worker."""
    every_cpu = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(every_cpu)})  # inherited by the processes started below
        with Cluster(1) as cluster:
            assert sorted(started_workers(cluster.proxy.proc.pid, 1)) == ["shardis-w0"]
            assert "one worker per usable CPU: 1 (affinity 1," in cluster.proxy.log()
    finally:
        os.sched_setaffinity(0, every_cpu)
    with Cluster(1) as cluster:  # unpinned: the whole mask, unless a cgroup quota caps it
        said = re.search(r"one worker per usable CPU: (\d+) \(affinity (\d+),", cluster.proxy.log())
        assert said and int(said.group(2)) == len(every_cpu)
        assert len(started_workers(cluster.proxy.proc.pid, int(said.group(1)))) == int(said.group(1))
