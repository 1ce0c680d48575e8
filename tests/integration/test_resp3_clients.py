"""Real RESP3 clients through the proxy (issue 17): redis-cli -3, compared line for line with
the same commands against one direct redis-server, and node-redis 6, whose default protocol is
RESP3, over keys on s1, s2 and s3 (commands, multi().exec(), pub/sub, client-side cache).

Debian 12's redis-py (4.3) has no protocol=3, so redis-py RESP3 waits for redis-py 5.
Skipped until shardis speaks RESP3 (resp3_support.RESP3_SKIP); with SHARDIS_RESP3_TARGET=redis
the target is a plain redis-server, which must pass them all.
"""
import itertools
import os
import shutil
import subprocess

import pytest

from harness import REDIS_CLI, RawClient
from resp3_support import RESP3_SKIP, Target

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


def node_redis6_available():
    """node-redis 6 is installed under the npm alias redis6 (package.json)."""
    if not shutil.which("node"):
        return False
    probe = subprocess.run(["node", "-e", "require.resolve('redis6')"], cwd=HERE,
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def test_node_redis6(target, spread):
    if not node_redis6_available():
        pytest.fail("node-redis 6 is missing: run scripts/install-node-clients.sh")
    result = subprocess.run(["node", os.path.join(HERE, "node_redis6_client.js"),
                             str(target.port), *spread],
                            capture_output=True, text=True, timeout=60, cwd=HERE)
    assert result.returncode == 0 and result.stdout.strip() == "ok", (
        result.stdout + result.stderr)
