"""redis_auth: clients must AUTH to the proxy; the proxy AUTHs (then SELECTs) its backends."""
import pytest

from harness import Cluster


@pytest.fixture(scope="module")
def secured():
    with Cluster(2, pool_options={"redis_auth": "s3cret", "redis_db": 3},
                 redis_extra=("--requirepass", "s3cret")) as c:
        yield c


def test_commands_need_auth_first(secured):
    with secured.proxy.client() as c:
        assert c.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert c.call("AUTH", "wrong") == (
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        assert c.call("AUTH", "s3cret") == b"+OK\r\n"
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        assert c.call("GET", "k") == b"$1\r\nv\r\n"


def test_auth_with_default_user(secured):
    with secured.proxy.client() as c:
        assert c.call("AUTH", "default", "s3cret") == b"+OK\r\n"
        assert c.call("AUTH", "someone", "s3cret").startswith(b"-WRONGPASS")
        assert c.call("PING") == b"+PONG\r\n"


def test_backends_use_the_pools_db(secured):
    with secured.proxy.client() as c:
        assert c.call("AUTH", "s3cret") == b"+OK\r\n"
        for i in range(20):
            assert c.call("SET", f"db:{i}", "x") == b"+OK\r\n"
        assert c.call("SELECT", 3) == b"+OK\r\n"
        assert c.call("SELECT", 0).startswith(b"-ERR")
    stored = 0
    for server in secured.redis:
        with server.client() as d:
            assert d.call("AUTH", "s3cret") == b"+OK\r\n"
            assert d.call("SELECT", 3) == b"+OK\r\n"
            stored += int(d.call("DBSIZE")[1:-2])
            assert d.call("SELECT", 0) == b"+OK\r\n"
            assert d.call("DBSIZE") == b":0\r\n"
    assert stored >= 20


def test_hello_with_auth(secured):
    with secured.proxy.client() as c:
        reply = c.call("HELLO", "2", "AUTH", "default", "s3cret")
        assert reply.startswith(b"*14\r\n$6\r\nserver\r\n")
        assert c.call("HELLO", "3").startswith(b"%7\r\n$6\r\nserver\r\n")
        # RESP3 now, over backend connections that logged in and said HELLO 3 themselves.
        assert c.call("GET", "k2") == b"_\r\n"
        assert c.call("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
