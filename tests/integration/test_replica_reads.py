"""read_from with real replicas: with a sentinel, the replicas Sentinel calls healthy serve the
reads (seen in their INFO commandstats), a client's read after its own write stays on the
master, prefer_replica falls back to the master when Sentinel flags the replica down, and a
failover moves the reads to the new replica; without a sentinel, static `replicas:` do the
same, and read_from: master (the default) keeps every read on the masters."""
import shutil
import signal
import tempfile

import pytest
import redis

from harness import HOST, RedisServer, Shardis, encode_command, wait_until
from sentinel_support import SentinelSetup, sentinel_proxy

KEYS = [f"reader:{i}" for i in range(40)]


@pytest.fixture(scope="module")
def deployment():
    with SentinelSetup() as setup:
        yield setup


def get_calls(server):
    """How many GETs `server` (a RedisServer) has run, by its INFO commandstats."""
    with redis.Redis(host=HOST, port=server.port, socket_timeout=2) as c:
        return c.info("commandstats").get("cmdstat_get", {}).get("calls", 0)


def replica_of(setup, master):
    """The RedisServer of `master`'s shard that is not its master now."""
    current = setup.master_server(master)
    return next(s for s in setup.servers[master] if s is not current)


def pipeline(client, commands):
    client.send(b"".join(encode_command(*command) for command in commands))
    return client.read_replies(len(commands))


def bulk(value):
    return b"$%d\r\n%s\r\n" % (len(value), value.encode())


def seed(proxy, keys, replicas):
    """Writes every key through the proxy (on a connection of its own) and waits until the
    `replicas` (RedisServers) hold every key between them."""
    with proxy.client() as c:
        assert pipeline(c, [("SET", k, "v-" + k) for k in keys]) == [b"+OK\r\n"] * len(keys)

    def replicated():
        held = 0
        for replica in replicas:
            with redis.Redis(host=HOST, port=replica.port, socket_timeout=2) as direct:
                held += sum(1 for value in direct.mget(keys) if value is not None)
        return held == len(keys)
    wait_until(replicated, timeout=10, interval=0.05, what="the replicas to have every key")


def calls_by_server(servers):
    return {s.port: get_calls(s) for s in servers}


def read_all(proxy, keys):
    with proxy.client() as c:
        assert pipeline(c, [("GET", k) for k in keys]) == [bulk("v-" + k) for k in keys]


def sentinel_flags(setup, master, port):
    with setup.live_sentinels()[0].client() as c:
        for replica in c.sentinel_slaves(master):
            if int(replica["port"]) == port:
                return replica
    return None


def test_sentinel_replicas_serve_reads_and_writers_read_the_master(deployment):
    proxy = sentinel_proxy(deployment, pool_options={"read_from": "replica"}).start()
    try:
        masters = [deployment.master_server(m) for m in deployment.names]
        replicas = [replica_of(deployment, m) for m in deployment.names]
        seed(proxy, KEYS, replicas)
        before = calls_by_server(masters + replicas)
        read_all(proxy, KEYS)
        after = calls_by_server(masters + replicas)
        assert [after[s.port] - before[s.port] for s in masters] == [0, 0]
        grown = [after[s.port] - before[s.port] for s in replicas]
        assert sum(grown) == len(KEYS) and all(grown), grown
        for master, replica in zip(deployment.names, replicas):
            assert (f"pool 'pool': master '{master}' has replicas {HOST}:{replica.port}"
                    in proxy.log())

        # A client that writes reads its own write, from the master that took it.
        placed = proxy.locate("mine")
        master = deployment.master_server(placed["mine"])
        replica = replica_of(deployment, placed["mine"])
        before = calls_by_server([master, replica])
        with proxy.client() as c:
            assert pipeline(c, [("SET", "mine", "fresh"), ("GET", "mine")]) == [
                b"+OK\r\n", bulk("fresh")]
        after = calls_by_server([master, replica])
        assert after[master.port] - before[master.port] == 1
        assert after[replica.port] == before[replica.port]
    finally:
        proxy.stop()


def test_failover_moves_reads_to_the_new_replica(deployment):
    proxy = sentinel_proxy(deployment, pool_options={"read_from": "replica"}).start()
    try:
        seed(proxy, KEYS, [replica_of(deployment, m) for m in deployment.names])
        placed = proxy.locate(*KEYS)
        mine = [k for k in KEYS if placed[k] == "shard1"]
        old, new = deployment.failover("shard1")
        demoted = deployment.server_at(old[1])
        promoted = deployment.server_at(new[1])

        def reads_on_demoted():
            read_all(proxy, mine)  # reads keep working throughout
            before = calls_by_server([demoted, promoted])
            read_all(proxy, mine)
            after = calls_by_server([demoted, promoted])
            return (after[demoted.port] - before[demoted.port] == len(mine)
                    and after[promoted.port] == before[promoted.port])
        # Sentinel learns that the old master synced as a replica from its INFO, which it
        # asks a replica for every 10 s: up to two rounds (role, then link status).
        wait_until(reads_on_demoted, timeout=35, interval=0.2,
                   what="shard1's reads on its old master, now a replica")
        assert (f"pool 'pool': server shard1 reads from replicas {HOST}:{demoted.port}"
                in proxy.log())
    finally:
        proxy.stop()


# Last on the deployment: it kills shard2's replica.
def test_prefer_replica_falls_back_to_the_master_when_sentinel_flags_it_down(deployment):
    proxy = sentinel_proxy(deployment, pool_options={"read_from": "prefer_replica"}).start()
    try:
        master = deployment.master_server("shard2")
        replica = replica_of(deployment, "shard2")
        placed = proxy.locate(*KEYS)
        mine = [k for k in KEYS if placed[k] == "shard2"]
        seed(proxy, mine, [replica])
        before = calls_by_server([master, replica])
        read_all(proxy, mine)
        after = calls_by_server([master, replica])
        assert after[replica.port] - before[replica.port] == len(mine)

        replica.kill(signal.SIGKILL)
        wait_until(lambda: "s_down" in sentinel_flags(deployment, "shard2",
                                                      replica.port)["flags"],
                   timeout=10, interval=0.1, what="Sentinel to flag shard2's replica s_down")
        wait_until(lambda: "pool 'pool': server shard2 reads from no replica" in proxy.log(),
                   timeout=5, what="shardis to drop shard2's replica")
        before = get_calls(master)
        read_all(proxy, mine)
        assert get_calls(master) - before == len(mine)
    finally:
        proxy.stop()


def test_static_replicas_without_sentinel():
    workdir = tempfile.mkdtemp(prefix="shardis-replicas-")
    master = RedisServer(workdir).start()
    replica = RedisServer(workdir, extra=["--replicaof", HOST, str(master.port)]).start()
    proxies = []
    try:
        wait_until(lambda: redis.Redis(host=HOST, port=replica.port).info("replication")[
            "master_link_status"] == "up", what="the replica to sync")
        servers = [("s1", {"host": HOST, "port": master.port,
                           "replicas": [f"{HOST}:{replica.port}"]})]
        reading = Shardis(workdir, servers, {"read_from": "replica"}).start()
        proxies.append(reading)
        default = Shardis(workdir, servers).start()
        proxies.append(default)
        seed(reading, KEYS, [replica])  # a writer: its reads would stay on the master

        before = calls_by_server([master, replica])
        read_all(reading, KEYS)
        after = calls_by_server([master, replica])
        assert after[replica.port] - before[replica.port] == len(KEYS)
        assert after[master.port] == before[master.port]

        before = after
        read_all(default, KEYS)
        after = calls_by_server([master, replica])
        assert after[master.port] - before[master.port] == len(KEYS)
        assert after[replica.port] == before[replica.port]
    finally:
        for proxy in proxies:
            proxy.stop()
        replica.stop()
        master.stop()
        shutil.rmtree(workdir, ignore_errors=True)
