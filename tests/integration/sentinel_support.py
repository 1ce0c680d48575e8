"""A real Sentinel deployment on loopback for the Sentinel tests: shards that are each a
redis-server master with one replica (--replicaof), watched by three redis-sentinel processes,
all on free ports in one temporary directory. Every wait is bounded.
"""
import os
import shutil
import signal
import subprocess
import tempfile

import redis

from harness import HOST, RedisServer, free_port, wait_until

REDIS_SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"


class SentinelProcess:
    """One redis-sentinel with its own (rewritable) config file."""

    def __init__(self, workdir, masters, password=None):
        self.port = free_port()
        self.workdir = workdir
        self.password = password
        self.conf = os.path.join(workdir, f"sentinel-{self.port}.conf")
        lines = [f"port {self.port}", f"bind {HOST}", f"dir {workdir}",
                 f"logfile {os.path.join(workdir, f'sentinel-{self.port}.log')}",
                 "sentinel resolve-hostnames no"]
        if password:
            # Sentinels authenticate to each other with their own requirepass.
            lines.append(f"requirepass {password}")
        for name, port in masters:
            lines += [f"sentinel monitor {name} {HOST} {port} 2",
                      f"sentinel down-after-milliseconds {name} 1000",
                      f"sentinel failover-timeout {name} 5000",
                      f"sentinel parallel-syncs {name} 1"]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([REDIS_SENTINEL, self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def client(self):
        return redis.Redis(host=HOST, port=self.port, password=self.password,
                           socket_timeout=2, decode_responses=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class SentinelSetup:
    """Shards named `names` (Sentinel master names prefix + name), each a master and a
    replica, and three sentinels; start() returns once every sentinel sees every replica and
    the two other sentinels."""

    def __init__(self, names=("shard1", "shard2"), prefix="", password=None, sentinels=3):
        self.dir = tempfile.mkdtemp(prefix="shardis-sentinel-")
        self.names = list(names)
        self.prefix = prefix
        self.password = password
        self.servers = {}  # master name -> [RedisServer, RedisServer], first the first master
        for name in self.names:
            master = RedisServer(self.dir)
            replica = RedisServer(self.dir, extra=["--replicaof", HOST, str(master.port)])
            self.servers[prefix + name] = [master, replica]
        masters = [(m, servers[0].port) for m, servers in self.servers.items()]
        self.sentinels = [SentinelProcess(self.dir, masters, password) for _ in range(sentinels)]

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def start(self, timeout=20.0):
        for master, replica in self.servers.values():
            master.start()
            replica.start()
        for sentinel in self.sentinels:
            sentinel.start()
        wait_until(self._settled, timeout=timeout, interval=0.1,
                   what="every sentinel to see every replica and the other sentinels")
        return self

    def _settled(self):
        others = len(self.sentinels) - 1
        try:
            for sentinel in self.sentinels:
                with sentinel.client() as c:
                    for master in self.servers:
                        replicas = c.sentinel_slaves(master)
                        if len(replicas) != 1 or replicas[0]["is_disconnected"]:
                            return False
                        if replicas[0]["master-link-status"] != "ok":
                            return False
                        if len(c.sentinel_sentinels(master)) != others:
                            return False
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            return False
        return True

    def host_list(self):
        """The sentinels as the config's hosts: [[host, port], ...]."""
        return [[HOST, s.port] for s in self.sentinels]

    def live_sentinels(self):
        return [s for s in self.sentinels if s.proc.poll() is None]

    def master_address(self, master):
        """(ip, port) of `master` (a Sentinel master name) as the first live sentinel says."""
        for sentinel in self.live_sentinels():
            with sentinel.client() as c:
                return c.sentinel_get_master_addr_by_name(master)
        raise RuntimeError("no sentinel is running")

    def server_at(self, port):
        """The RedisServer listening on `port`."""
        for pair in self.servers.values():
            for server in pair:
                if server.port == port:
                    return server
        raise KeyError(port)

    def master_server(self, master):
        return self.server_at(self.master_address(master)[1])

    def _wait_new_master(self, master, old, timeout):
        def switched():
            try:
                address = self.master_address(master)
            except (redis.ConnectionError, redis.TimeoutError):
                return False
            if address is None or address == old:
                return False
            with redis.Redis(host=HOST, port=address[1], socket_timeout=1) as c:
                return c.info("replication")["role"] == "master"
        wait_until(switched, timeout=timeout, interval=0.1, what=f"a new master for {master}")
        return self.master_address(master)

    # Sentinel's own time: a failover whose leader election is split is retried after twice
    # failover-timeout (10 s here), so the wait allows for one retry.
    def failover(self, master, timeout=25.0):
        """SENTINEL FAILOVER; returns (old, new) addresses once the new master is master."""
        old = self.master_address(master)
        with self.live_sentinels()[0].client() as c:
            c.sentinel_failover(master)
        return old, self._wait_new_master(master, old, timeout)

    def kill_master(self, master, timeout=25.0):
        """SIGKILL of the master; returns (old, new) once the sentinels promoted the replica."""
        old = self.master_address(master)
        self.server_at(old[1]).kill(signal.SIGKILL)
        return old, self._wait_new_master(master, old, timeout)

    def cleanup(self):
        for sentinel in self.sentinels:
            sentinel.stop()
        for pair in self.servers.values():
            for server in pair:
                server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def sentinel_proxy(setup, names=None, pool_options=None, **sentinel):
    """A Shardis (not started) whose one pool takes `names` (default: the setup's shard names)
    by name only from `setup`'s sentinels; `sentinel` adds or overrides sentinel keys."""
    from harness import Shardis
    section = {"hosts": setup.host_list(), "socket_timeout": 0.5}
    section.update(sentinel)
    servers = [(name, None) for name in (names or setup.names)]
    options = {"hash": "murmur", "hash_tag": "{}", "timeout": 2000}
    options.update(pool_options or {})
    return Shardis(setup.dir, servers, options, sentinel=section)
