"""Secrets stay secret (hardening issue, item 12): the slow log redacts passwords the way
redis-server 7 does, failed attempts included, and CLIENT SETINFO / NO-TOUCH need AUTH like
every other command."""
import shutil
import tempfile

import pytest

from harness import Cluster, RedisServer
from test_stats import parse_reply

PASSWORD = "s3cret-pw"

# Commands redis-server logs with "(redacted)" in place of their secrets. Each is sent to a
# real redis-server and to shardis, and the argv the two slow logs keep must be the same.
SECRET_COMMANDS = [
    ("AUTH", "wrong-password"),
    ("AUTH", PASSWORD),
    ("AUTH", "default", "wrong-password"),
    ("AUTH", "default", PASSWORD),
    ("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "conn-x"),
    ("HELLO", "2", "AUTH", "default", "wrong-password"),
]
# Commands with secrets that shardis refuses (configure each server directly): like any
# command refused before it runs, they are not logged at all, as Redis does not log the
# commands it refuses. (stats/redact.h would redact them; tests/unit/stats checks it does.)
REFUSED_COMMANDS = [
    ("CONFIG", "SET", "masterauth", "master-pw", "masteruser", "master-user"),
    ("CONFIG", "SET", "requirepass", PASSWORD),
    ("MIGRATE", "127.0.0.1", "1", "", "0", "10", "AUTH", "migrate-pw", "KEYS", "a", "b"),
    ("MIGRATE", "127.0.0.1", "1", "", "0", "10", "AUTH2", "mig-user", "migrate-pw2", "KEYS", "a"),
    ("ACL", "SETUSER", "nobody", "off", ">acl-pw"),
]
SECRETS = [b"wrong-password", PASSWORD.encode(), b"master-pw", b"master-user", b"migrate-pw",
           b"mig-user", b"acl-pw", b"nobody"]


def logged_argvs(client):
    """The argv of every slow log entry, oldest first, without the SLOWLOG calls themselves."""
    raw = client.call("SLOWLOG", "GET", "-1")
    entries, _ = parse_reply(raw)
    argvs = [entry[3] for entry in reversed(entries)]
    return raw, [argv for argv in argvs if argv[0].upper() != b"SLOWLOG"]


def run_all(client, commands):
    assert client.call("SLOWLOG", "RESET") == b"+OK\r\n"
    for command in commands:
        client.call(*command)


@pytest.fixture(scope="module")
def direct():
    workdir = tempfile.mkdtemp(prefix="shardis-secrets-")
    server = RedisServer(workdir, extra=("--requirepass", PASSWORD,
                                         "--slowlog-log-slower-than", "0")).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def secured():
    with Cluster(2, pool_options={"redis_auth": PASSWORD},
                 process_options={"slowlog_log_slower_than": 0, "slowlog_max_len": 128},
                 redis_extra=("--requirepass", PASSWORD)) as c:
        yield c


def test_slowlog_redacts_like_redis(direct, secured):
    with direct.client() as d:
        assert d.call("AUTH", PASSWORD) == b"+OK\r\n"
        run_all(d, SECRET_COMMANDS)
        _, expected = logged_argvs(d)
    with secured.proxy.client() as p:
        assert p.call("AUTH", PASSWORD) == b"+OK\r\n"
        run_all(p, SECRET_COMMANDS + REFUSED_COMMANDS)
        raw, got = logged_argvs(p)
    assert len(expected) == len(SECRET_COMMANDS), expected
    assert got == expected
    for secret in SECRETS:
        assert secret not in raw, f"{secret!r} is in the proxy's slow log"


def test_failed_auth_before_login_is_redacted(secured):
    with secured.proxy.client() as admin:
        assert admin.call("AUTH", PASSWORD) == b"+OK\r\n"
        assert admin.call("SLOWLOG", "RESET") == b"+OK\r\n"
        with secured.proxy.client() as stranger:
            assert stranger.call("AUTH", "guessed-pw").startswith(b"-WRONGPASS")
            assert stranger.call("HELLO", "2", "AUTH", "default", "guessed-pw").startswith(
                b"-WRONGPASS")
            assert stranger.call("AUTH", "a", "b", "guessed-pw") == b"-ERR syntax error\r\n"
        raw, argvs = logged_argvs(admin)
        assert b"guessed-pw" not in raw
        assert [b"AUTH", b"(redacted)"] in argvs
        assert [b"HELLO", b"2", b"AUTH", b"(redacted)", b"(redacted)"] in argvs


@pytest.mark.parametrize("command", [("CLIENT", "SETINFO", "lib-name", "x"),
                                     ("CLIENT", "NO-TOUCH", "on")])
def test_client_setinfo_and_no_touch_need_auth(secured, command):
    with secured.proxy.client() as c:
        assert c.call(*command) == b"-NOAUTH Authentication required.\r\n"
        assert c.call("AUTH", PASSWORD) == b"+OK\r\n"
        assert c.call(*command) == b"+OK\r\n"


def test_commands_refused_before_running_are_not_logged(secured):
    """Redis logs only the commands it ran: not an unknown command (a mistyped AUTH with its
    password), a wrong arity, or a command refused for want of AUTH."""
    with secured.proxy.client() as admin:
        assert admin.call("AUTH", PASSWORD) == b"+OK\r\n"
        assert admin.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert admin.call("AUHT", "typed-pw").startswith(b"-ERR unknown command")
        assert admin.call("GET").startswith(b"-ERR wrong number of arguments")
        with secured.proxy.client() as stranger:
            assert stranger.call("SET", "k", "stranger-value") == (
                b"-NOAUTH Authentication required.\r\n")
        raw, argvs = logged_argvs(admin)
        assert b"typed-pw" not in raw and b"stranger-value" not in raw
        assert argvs == []
