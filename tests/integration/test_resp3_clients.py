"""Real RESP3 clients through the proxy (issue 17): redis-cli -3, compared line for line with
the same commands against one direct redis-server, and node-redis 6, whose default protocol is
RESP3, over keys on s1, s2 and s3 (commands, multi().exec(), pub/sub, client-side cache);
express sessions in connect-redis over node-redis 6; and ioredis, a RESP2-only client, served
unchanged by the same RESP3-capable proxy beside a RESP3 connection.

Debian 12's redis-py (4.3) has no protocol=3, so redis-py RESP3 waits for redis-py 5.
Skipped until shardis speaks RESP3 (resp3_support.RESP3_SKIP); with SHARDIS_RESP3_TARGET=redis
the target is a plain redis-server, which must pass them all.
"""
import itertools
import json
import os
import shutil
import subprocess

import pytest

from harness import REDIS_CLI, RawClient
from pubsub_support import wait_idle
from resp3_support import RESP3_SKIP, Target, connect3, parse

pytestmark = RESP3_SKIP

HERE = os.path.dirname(os.path.abspath(__file__))
_names = itertools.count()


@pytest.fixture(scope="module")
def target():
    with Target() as t:
        yield t


@pytest.fixture
def spread(target):
    target.flushall()
    return target.one_on_each_server(f"r3c{next(_names)}")


def redis_cli(port, commands, *options):
    """redis-cli -3's output for commands fed on its standard input, with the formatted
    (typed) output a terminal gets."""
    result = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), "-3", *options],
                            input="\n".join(commands) + "\n", capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_redis_cli_3(target, direct, spread):
    k1, k2, k3 = spread
    setup = [("HSET", f"{{{k1}}}:h", "a", "1"), ("SADD", f"{{{k2}}}:s", 1, 2, 3),
             ("ZADD", f"{{{k3}}}:z", "2.5", "m"), ("SET", k1, "one"), ("SET", k3, "three")]
    with RawClient(target.port) as t:
        for command in setup:
            assert t.call(*command) == direct.call(*command)
    commands = [f"HGETALL {{{k1}}}:h", f"SMEMBERS {{{k2}}}:s", f"ZSCORE {{{k3}}}:z m",
                f"ZRANGE {{{k3}}}:z 0 -1 WITHSCORES", f"MGET {k1} {k2} {k3}", "GET nope",
                f"EXISTS {k1} {k2} {k3}", "CONFIG GET maxmemory", "CLIENT TRACKINGINFO",
                "CLIENT GETNAME", "PING", "COMMAND INFO get", f"LPUSH {k1} x",
                "MULTI", f"GET {k3}", f"HGETALL {{{k1}}}:h", "EXEC"]
    want = redis_cli(direct_port(direct), commands, "--no-raw")
    assert redis_cli(target.port, commands, "--no-raw") == want
    assert '1# "a" => "1"' in want and "(double) 2.5" in want
    raw = [f"HGETALL {{{k1}}}:h", f"MGET {k1} {k2} {k3}"]
    assert redis_cli(target.port, raw) == redis_cli(direct_port(direct), raw)


def direct_port(client):
    return client.sock.getpeername()[1]


def require_node_packages(*packages):
    """Fails the test, naming the install script, unless node resolves every package from
    tests/integration (node-redis 6 is there under the npm alias redis6, see package.json)."""
    probe = None
    if shutil.which("node"):
        probe = subprocess.run(["node", "-e", "process.argv.slice(1).forEach(require.resolve)",
                                *packages], cwd=HERE, capture_output=True, timeout=30)
    if probe is None or probe.returncode != 0:
        pytest.fail(f"one of {', '.join(packages)} is missing: run "
                    "scripts/install-node-clients.sh")


def run_node(script, *args, says_ok=True):
    """Runs a client script to its end; it must exit 0 (and print "ok" when it does)."""
    result = subprocess.run(["node", os.path.join(HERE, script), *map(str, args)],
                            capture_output=True, text=True, timeout=60, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok" or not says_ok, result.stdout + result.stderr


def test_node_redis6(target, spread):
    require_node_packages("redis6")
    run_node("node_redis6_client.js", target.port, *spread)


SESSION_PREFIX = "myapp:"  # connect_redis_sessions.js's RedisStore prefix


def test_connect_redis_sessions(target):
    require_node_packages("redis6", "connect-redis", "express-session", "express")
    target.flushall()
    keys = target.one_on_each_server(SESSION_PREFIX.rstrip(":"))
    run_node("connect_redis_sessions.js", target.port,
             *(key[len(SESSION_PREFIX):] for key in keys))
    # The sessions of the given ids stay behind, each on the server its key hashes to, with
    # the cookie's max age as TTL.
    for i, key in enumerate(keys):
        with target.backend_client(target.server_of(key)) as c:
            stored = json.loads(parse(c.call("GET", key)))
            assert (stored["user"], stored["visits"]) == (f"user{i}", 3), stored
            assert 0 < parse(c.call("TTL", key)) <= 600


def ioredis_arguments(target, script, keys):
    if script == "ioredis_pubsub.js":
        wait_idle(target.port)
        return [*target.one_on_each_server("r3io"), "r3io:*"]
    return keys if script == "ioredis_transactions.js" else []


# ioredis speaks RESP2 only: each connection keeps the protocol its client chose, and a RESP3
# connection open beside it stays RESP3. ioredis_client.js's keys and pipeline reach every
# server; the others take keys or channels on s1, s2 and s3.
@pytest.mark.parametrize("script", ["ioredis_client.js", "ioredis_transactions.js",
                                    "ioredis_pubsub.js"])
def test_ioredis_beside_resp3(target, spread, script):
    require_node_packages("ioredis")
    with connect3(target.port) as resp3:
        run_node(script, target.port, *ioredis_arguments(target, script, spread),
                 says_ok=script != "ioredis_pubsub.js")
        hash_key = f"{{{spread[0]}}}:h"
        assert resp3.call("HSET", hash_key, "a", "1") == b":1\r\n"
        assert resp3.call("HGETALL", hash_key) == b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
