import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Cluster, RedisServer  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """Three redis servers and shardis in front of them, shared by a test module."""
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as c:
        yield c


@pytest.fixture
def proxy(cluster):
    """A raw RESP client connected to the module's shardis, on an empty keyspace."""
    cluster.flushall()
    with cluster.proxy.client() as c:
        yield c


@pytest.fixture(scope="module")
def direct_server():
    """A lone redis-server: the reference that replies through shardis must match."""
    workdir = tempfile.mkdtemp(prefix="shardis-ref-")
    server = RedisServer(workdir).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def direct(direct_server):
    with direct_server.client() as c:
        c.call("FLUSHALL")
        yield c
