"""Sentinel discovery at start: a pool whose servers are names only takes its masters'
addresses from real redis-sentinel processes (sentinel_support.SentinelSetup), places keys by
name exactly as redis-shard does, and refuses to start when no Sentinel knows a master."""
import os
import subprocess

import pytest

from harness import HOST, SHARDIS_BIN, encode_command, free_port
from sentinel_support import SentinelSetup, sentinel_proxy

VECTORS = os.path.join(os.path.dirname(__file__), "..", "data", "redis_shard.tsv")


@pytest.fixture(scope="module")
def deployment():
    # The redis-shard vectors' server names, so one deployment serves every test here.
    with SentinelSetup(names=("server1", "server2", "server3")) as setup:
        yield setup


@pytest.fixture
def clean(deployment):
    for master in deployment.names:
        with deployment.master_server(master).client() as c:
            assert c.call("FLUSHALL") == b"+OK\r\n"
    return deployment


def pipeline(client, commands):
    client.send(b"".join(encode_command(*command) for command in commands))
    return client.read_replies(len(commands))


def start_failing(proxy):
    """Starts `proxy` expecting it to exit; its exit code and log."""
    with pytest.raises(RuntimeError):
        proxy.start()
    proxy.proc.wait(timeout=10)
    proxy.stderr.close()
    return proxy.proc.returncode, proxy.log()


def test_masters_from_sentinel_take_the_writes(clean):
    proxy = sentinel_proxy(clean).start()
    try:
        keys = [f"user:{i}" for i in range(60)]
        with proxy.client() as c:
            assert pipeline(c, [("SET", k, k.upper()) for k in keys]) == [b"+OK\r\n"] * 60
            assert pipeline(c, [("GET", k) for k in keys]) == [
                b"$%d\r\n%s\r\n" % (len(k), k.upper().encode()) for k in keys]
        placed = proxy.locate(*keys)
        for name in clean.names:
            master = clean.master_server(name)
            assert f"pool 'pool': master '{name}' is at {HOST}:{master.port}" in proxy.log()
            mine = [k for k in keys if placed[k] == name]
            assert mine, f"no key placed on {name}"
            with master.client() as direct:
                assert pipeline(direct, [("GET", k) for k in mine]) == [
                    b"$%d\r\n%s\r\n" % (len(k), k.upper().encode()) for k in mine]
                assert direct.call("DBSIZE") == b":%d\r\n" % len(mine)
    finally:
        proxy.stop()


def redis_shard_rows(hash_method="crc32"):
    with open(VECTORS, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    return [(row[2], row[3]) for row in rows[1:] if row[0] == hash_method]


def test_redis_shard_config_places_keys_as_the_library(clean):
    # redis-shard's sentinel config: {"hosts": [("127.0.0.1", port), ...], "socket_timeout":
    # 0.1} and server dicts of names only, in the vectors' ring order.
    servers = [(name, {}) for name in ("server1", "server2", "server3")]
    proxy = sentinel_proxy(clean, pool_options={"distribution": "redis_shard"},
                           socket_timeout=0.1)
    proxy.servers = servers
    # redis-shard's own hash (crc32) and tag rule, the defaults of distribution redis_shard.
    del proxy.pool_options["hash"], proxy.pool_options["hash_tag"]
    proxy.start()
    try:
        rows = redis_shard_rows()
        assert len(rows) == 2496
        with proxy.client() as c:
            replies = pipeline(c, [("SET", key, expected) for key, expected in rows])
            assert replies == [b"+OK\r\n"] * len(rows)
        for name in clean.names:
            mine = {key for key, expected in rows if expected == name}
            with clean.master_server(name).client() as direct:
                assert direct.call("DBSIZE") == b":%d\r\n" % len(mine)
                got = pipeline(direct, [("GET", key) for key in sorted(mine)])
                assert got == [b"$%d\r\n%s\r\n" % (len(name), name.encode())] * len(mine)
    finally:
        proxy.stop()


def test_unknown_master_refuses_to_start(deployment):
    proxy = sentinel_proxy(deployment, names=["server1", "nosuch"])
    code, log = start_failing(proxy)
    assert code != 0, log
    said = "; ".join(f"{HOST}:{s.port}: unknown master (nil)" for s in deployment.sentinels)
    assert (f"pool 'pool': no sentinel gave the address of master 'nosuch' ({said}); "
            "not starting") in log


def test_first_sentinel_down_the_next_answers(clean):
    closed = free_port()
    proxy = sentinel_proxy(clean, hosts=[[HOST, closed]] + clean.host_list())
    proxy.start()
    try:
        second = clean.sentinels[0].port
        for name in clean.names:
            port = clean.master_server(name).port
            assert (f"master '{name}' is at {HOST}:{port} (sentinel {HOST}:{second})"
                    in proxy.log())
        with proxy.client() as c:
            assert c.call("SET", "k", "v") == b"+OK\r\n"
            assert c.call("GET", "k") == b"$1\r\nv\r\n"
    finally:
        proxy.stop()


def test_no_sentinel_answers_refuses_to_start(deployment):
    closed = [free_port(), free_port()]
    proxy = sentinel_proxy(deployment, hosts=[[HOST, p] for p in closed])
    code, log = start_failing(proxy)
    assert code != 0, log
    said = "; ".join(f"{HOST}:{p}: connect: Connection refused" for p in closed)
    assert f"no sentinel gave the address of master 'server1' ({said})" in log


def test_config_check_asks_no_sentinel(tmp_path):
    # -t checks the file alone: Sentinels that do not exist do not fail it.
    conf = tmp_path / "sentinel.yml"
    conf.write_text(f"""pool:
  listen: {HOST}:{free_port()}
  sentinel: {{hosts: [[{HOST}, {free_port()}]], socket_timeout: 5}}
  servers: [server1, {{name: server2}}]
""")
    done = subprocess.run([SHARDIS_BIN, "-t", "-c", str(conf)], capture_output=True,
                          text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stdout


@pytest.fixture(scope="module")
def guarded():
    """Sentinels with requirepass, watching masters named with a prefix."""
    with SentinelSetup(names=("server1", "server2"), prefix="cache-", password="s3cret") as setup:
        yield setup


def test_master_prefix_and_sentinel_password(guarded):
    proxy = sentinel_proxy(guarded, password="s3cret", master_prefix="cache-").start()
    try:
        for name in guarded.names:
            master = guarded.master_server("cache-" + name)
            assert f"master 'cache-{name}' is at {HOST}:{master.port}" in proxy.log()
        keys = [f"k{i}" for i in range(20)]
        with proxy.client() as c:
            assert pipeline(c, [("SET", k, "v") for k in keys]) == [b"+OK\r\n"] * 20
        placed = proxy.locate(*keys)
        for name in guarded.names:
            mine = sorted(k for k in keys if placed[k] == name)
            with guarded.master_server("cache-" + name).client() as direct:
                assert pipeline(direct, [("EXISTS", k) for k in mine]) == [b":1\r\n"] * len(mine)
    finally:
        proxy.stop()


def test_wrong_or_missing_sentinel_password_refuses_to_start(guarded):
    code, log = start_failing(sentinel_proxy(guarded, password="wrong", master_prefix="cache-"))
    assert code != 0, log
    assert f"{HOST}:{guarded.sentinels[0].port}: AUTH failed: WRONGPASS" in log
    code, log = start_failing(sentinel_proxy(guarded, master_prefix="cache-"))
    assert code != 0, log
    assert f"{HOST}:{guarded.sentinels[0].port}: NOAUTH" in log


def test_locate_diff_scan_reads_the_masters_sentinel_names(clean):
    # --scan counts the keys on the servers: for a sentinel pool, on the masters Sentinel
    # names now, since the file has no address.
    proxy = sentinel_proxy(clean).start()
    try:
        with proxy.client() as c:
            assert pipeline(c, [("SET", f"k{i}", "v") for i in range(90)]) == [b"+OK\r\n"] * 90
        done = subprocess.run([SHARDIS_BIN, "locate", "--diff", proxy.config_path,
                               proxy.config_path, "--scan"],
                              capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout) == (0, "pool\tpool\tscan\t90\t0\t0.00\n"), \
            done.stderr
    finally:
        proxy.stop()
