"""Real clients pointed at shardis work unchanged: redis-cli, redis-py, ioredis, node-redis."""
import os
import shutil
import subprocess

import pytest
import redis

from harness import REDIS_CLI

HERE = os.path.dirname(os.path.abspath(__file__))


def cli(cluster, *args, stdin=None):
    return subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(cluster.proxy.port), *args],
                          input=stdin, capture_output=True, timeout=60, check=True)


def test_redis_cli_commands(cluster):
    cluster.flushall()
    assert cli(cluster, "ping").stdout == b"PONG\n"
    assert cli(cluster, "set", "cli:key", "value").stdout == b"OK\n"
    assert cli(cluster, "get", "cli:key").stdout == b"value\n"
    assert cli(cluster, "incrby", "cli:n", "5").stdout == b"5\n"
    assert cli(cluster, "nosuchcmd").stdout.startswith(b"ERR unknown command")


def test_redis_cli_pipe_with_inline_commands(cluster):
    cluster.flushall()
    commands = b"".join(b"SET pipe:%d %d\r\n" % (i, i) for i in range(2000))
    out = cli(cluster, "--pipe", stdin=commands).stdout
    assert b"errors: 0, replies: 2000" in out
    assert cli(cluster, "get", "pipe:1999").stdout == b"1999\n"


def test_redis_py_pipeline_of_10000(cluster):
    cluster.flushall()
    r = redis.Redis(host="127.0.0.1", port=cluster.proxy.port)
    pipe = r.pipeline(transaction=False)
    for i in range(10000):
        pipe.set(f"py:{i}", i)
    assert all(pipe.execute())
    pipe = r.pipeline(transaction=False)
    for i in range(10000):
        pipe.get(f"py:{i}")
    assert pipe.execute() == [str(i).encode() for i in range(10000)]
    r.close()


def test_redis_py_every_data_type(cluster):
    cluster.flushall()
    r = redis.Redis(host="127.0.0.1", port=cluster.proxy.port, decode_responses=True)
    assert r.ping()
    r.set("t:str", "abc")
    assert r.append("t:str", "def") == 6 and r.getrange("t:str", 1, 3) == "bcd"
    r.hset("t:hash", mapping={"a": "1", "b": "2"})
    assert r.hgetall("t:hash") == {"a": "1", "b": "2"}
    r.rpush("t:list", "x", "y", "z")
    assert r.lrange("t:list", 0, -1) == ["x", "y", "z"]
    r.sadd("t:set", "p", "q")
    assert r.smembers("t:set") == {"p", "q"}
    r.zadd("t:zset", {"m": 1.5, "n": 2})
    assert r.zrange("t:zset", 0, -1, withscores=True) == [("m", 1.5), ("n", 2.0)]
    entry = r.xadd("t:stream", {"f": "v"})
    assert r.xrange("t:stream") == [(entry, {"f": "v"})]
    r.pfadd("t:hll", "a", "b", "c")
    assert r.pfcount("t:hll") == 3
    r.geoadd("t:geo", (13.361389, 38.115556, "Palermo"))
    assert r.geopos("t:geo", "Palermo")[0] is not None
    r.setbit("t:bits", 7, 1)
    assert r.bitcount("t:bits") == 1
    assert r.type("t:zset") == "zset"
    r.close()


def test_redis_py_multikey_and_scan_iter(cluster):
    cluster.flushall()
    r = redis.Redis(host="127.0.0.1", port=cluster.proxy.port)
    mapping = {f"py:m:{i}": str(i) for i in range(500)}
    assert r.mset(mapping)
    keys = list(mapping)
    assert r.mget(keys + ["py:m:missing"]) == [v.encode() for v in mapping.values()] + [None]
    assert r.exists(*keys[:10], keys[0]) == 11
    assert r.dbsize() == 500
    assert {k.decode() for k in r.scan_iter(match="py:m:*", count=50)} == set(mapping)
    assert r.delete(*keys[:100]) == 100
    assert r.unlink(*keys) == 400
    info = r.info()
    assert info["redis_version"].startswith("7.") and "connected_clients" in info
    r.close()


def test_redis_cli_hints_and_info(cluster):
    cluster.flushall()
    cli(cluster, "mset", "cli:a", "1", "cli:b", "2")
    assert cli(cluster, "mget", "cli:a", "cli:b", "cli:c").stdout == b"1\n2\n\n"
    assert b"redis_version:7." in cli(cluster, "info", "server").stdout
    assert cli(cluster, "--scan", "--pattern", "cli:*").stdout.split() in (
        [b"cli:a", b"cli:b"], [b"cli:b", b"cli:a"])
    assert cli(cluster, "dbsize").stdout == b"2\n"


def node_available():
    return shutil.which("node") and os.path.isdir(os.path.join(HERE, "node_modules", "ioredis"))


@pytest.mark.parametrize("script", ["ioredis_client.js", "node_redis_client.js"])
def test_node_clients(cluster, script):
    if not node_available():
        pytest.fail("node clients are missing: run scripts/install-node-clients.sh")
    cluster.flushall()
    result = subprocess.run(["node", os.path.join(HERE, script), str(cluster.proxy.port)],
                            capture_output=True, text=True, timeout=120, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout
