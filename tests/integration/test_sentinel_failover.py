"""Following a failover: SentinelMonitor sees each master move (SENTINEL FAILOVER, SIGKILL
of a master, the Sentinel it listens to dying) and reports it once, and stops at once.
Requests follow the move: writes to the failed-over shard work again within the failover's
time, writes to the other never fail, and nothing is written to the demoted master."""
import signal
import threading
import time

import pytest

from harness import HOST, wait_until
from sentinel_support import SentinelSetup, sentinel_proxy



@pytest.fixture
def deployment():
    # Each test moves masters around: a fresh deployment each time.
    with SentinelSetup(names=("shard1", "shard2")) as setup:
        yield setup


def moved_line(master, old, new):
    return (f"pool 'pool': master '{master}' moved from {old[0]}:{old[1]} to "
            f"{new[0]}:{new[1]} (sentinel {HOST}:")


def wait_logged(proxy, text, timeout=15.0):
    wait_until(lambda: text in proxy.log(), timeout=timeout, interval=0.1,
               what=f"shardis to log {text!r}")


def test_monitor_reports_a_sentinel_failover(deployment):
    proxy = sentinel_proxy(deployment).start()
    try:
        old, new = deployment.failover("shard1")
        wait_logged(proxy, moved_line("shard1", old, new))
        # Reported once, and nothing about the shard that did not move.
        time.sleep(2.5)  # one more re-ask round
        log = proxy.log()
        assert log.count("master 'shard1' moved") == 1, log
        assert "master 'shard2' moved" not in log, log
    finally:
        proxy.stop()


def test_monitor_reports_a_killed_master(deployment):
    proxy = sentinel_proxy(deployment).start()
    try:
        old, new = deployment.kill_master("shard2")
        wait_logged(proxy, moved_line("shard2", old, new))
    finally:
        proxy.stop()


def test_monitor_moves_to_the_next_sentinel(deployment):
    proxy = sentinel_proxy(deployment).start()
    try:
        first = deployment.sentinels[0]
        wait_logged(proxy, f"following masters through sentinel {HOST}:{first.port}", 5)
        first.stop()
        wait_logged(proxy, f"lost sentinel {HOST}:{first.port}", 5)
        second = deployment.sentinels[1].port
        wait_logged(proxy, f"following masters through sentinel {HOST}:{second}", 5)
        old, new = deployment.failover("shard1")
        wait_logged(proxy, moved_line("shard1", old, new) + f"{second})")
    finally:
        proxy.stop()


def test_stop_is_prompt_while_a_sentinel_is_silent(deployment):
    # socket_timeout 5 s, every Sentinel frozen: the monitor's next re-ask waits on a reply
    # that will not come. SIGTERM must not wait for that timeout.
    proxy = sentinel_proxy(deployment, socket_timeout=5).start()
    try:
        for sentinel in deployment.sentinels:
            sentinel.proc.send_signal(signal.SIGSTOP)
        time.sleep(2.5)  # past the 2 s re-ask: the monitor is now waiting for a reply
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 2.0
    finally:
        for sentinel in deployment.sentinels:
            sentinel.proc.send_signal(signal.SIGCONT)
        proxy.stop()


class Writer(threading.Thread):
    """SETs a counter to one key per shard through shardis until stopped, recording when each
    write failed and which value each key last got +OK for."""

    def __init__(self, proxy, keys):
        super().__init__(daemon=True)
        self.proxy, self.keys = proxy, keys
        self.failures = {key: [] for key in keys}  # key -> [monotonic time of each failure]
        self.acked = {}  # key -> last acknowledged value
        self.halt = threading.Event()

    def run(self):
        n = 0
        client = self.proxy.client(timeout=2)
        while not self.halt.is_set() and n < 100000:
            for key in self.keys:
                n += 1
                try:
                    ok = client.call("SET", key, str(n)) == b"+OK\r\n"
                except OSError:
                    ok = False
                    client = self.proxy.client(timeout=2)
                if ok:
                    self.acked[key] = str(n)
                else:
                    self.failures[key].append(time.monotonic())
            time.sleep(0.005)


def keys_per_shard(proxy, names):
    placed = proxy.locate(*[f"w{i}" for i in range(200)])
    return {name: next(k for k, s in placed.items() if s == name) for name in names}


def check_writes_follow(deployment, move):
    proxy = sentinel_proxy(deployment).start()
    try:
        check_writes_follow_through(proxy, deployment, move)
    finally:
        if proxy.proc is not None and proxy.proc.poll() is None:
            proxy.proc.kill()  # a failed check leaves no proxy behind
            proxy.proc.wait()


def check_writes_follow_through(proxy, deployment, move, moved="shard1"):
    other = next(name for name in deployment.names if name != moved)
    keys = keys_per_shard(proxy, deployment.names)
    writer = Writer(proxy, list(keys.values()))
    writer.start()
    try:
        time.sleep(0.5)
        old, new = move(moved)
        # Within 15 s of Sentinel naming the new master, writes to `moved` work again and keep
        # working. The first 3 s give Sentinel time to turn a live old master into a replica,
        # so that writes still going there would fail (READONLY) inside the window checked.
        time.sleep(3)
        last_failure = lambda: (writer.failures[keys[moved]] or [0])[-1]  # noqa: E731
        wait_until(lambda: time.monotonic() - last_failure() > 2, timeout=12,
                   what=f"writes to {moved} to succeed again")
        assert writer.failures[keys[other]] == [], "writes to the other shard failed"
    finally:
        writer.halt.set()
        writer.join(timeout=10)
    # The last write acknowledged for each shard is on its master now (`moved`'s new one), and
    # shardis keeps no connection to the demoted one (only the sentinels and its replication
    # link remain).
    for name, key in keys.items():
        port = new[1] if name == moved else deployment.master_address(name)[1]
        value = writer.acked[key]
        with deployment.server_at(port).client() as direct:
            assert direct.call("GET", key) == b"$%d\r\n%s\r\n" % (len(value), value.encode())
    demoted = next(server for server in deployment.servers[moved] if server.port == old[1])
    if demoted.proc.poll() is None:
        with demoted.client() as direct:
            raw = direct.call("CLIENT", "LIST", "TYPE", "normal").decode()
        clients = raw.split("\r\n", 1)[1]  # the bulk's body
        # Neither Sentinel's connections nor this one (whose command is CLIENT LIST).
        ours = [line for line in clients.splitlines()
                if line and "name=sentinel-" not in line and "cmd=client|list" not in line]
        assert ours == [], clients
    proxy.stop()


def test_writes_follow_a_sentinel_failover(deployment):
    check_writes_follow(deployment, deployment.failover)


def test_writes_follow_a_killed_master(deployment):
    check_writes_follow(deployment, deployment.kill_master)


def test_writes_follow_a_failover_of_a_server_added_by_reload(deployment):
    # The monitor follows the servers a reload adds, not only those it started with.
    proxy = sentinel_proxy(deployment, names=["shard1"]).start()
    try:
        proxy.rewrite_config(servers=[(name, None) for name in deployment.names])
        proxy.proc.send_signal(signal.SIGUSR1)
        wait_logged(proxy, "pool 'pool': added shard2", timeout=10)
        check_writes_follow_through(proxy, deployment, deployment.failover, moved="shard2")
    finally:
        if proxy.proc is not None and proxy.proc.poll() is None:
            proxy.proc.kill()
            proxy.proc.wait()
