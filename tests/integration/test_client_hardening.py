"""Clients that misbehave or are merely unusual: unauthenticated clients sending large
headers, clients that half-close their socket, clients reading large replies slowly, and
clients that let replies pile up. Each case is checked against what one redis-server does."""
import socket
import time

import pytest

from harness import Cluster, RawClient, RedisServer, encode_command


def read_until_eof(sock, timeout=20.0):
    """Every byte the peer sends until it closes (bounded by `timeout`)."""
    sock.settimeout(timeout)
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def read_exactly(sock, n, timeout=60.0):
    """n bytes, read into one preallocated buffer (large replies), or fewer if the peer
    closes first."""
    sock.settimeout(timeout)
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        try:
            k = sock.recv_into(view[got:], min(n - got, 1 << 20))
        except ConnectionResetError:
            break
        if k == 0:
            break
        got += k
    return bytes(buf[:got])


def set_big(server, key, size):
    """Stores `size` bytes under `key` on a redis-server directly (faster than the proxy)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key.encode(), size))
        chunk = b"y" * (1 << 20)
        left = size
        while left > 0:
            s.sendall(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        s.sendall(b"\r\n")
        assert read_exactly(s, 5) == b"+OK\r\n"


def keys_on_every_server(cluster, prefix, per_server):
    """{server name: `per_server` keys that land on it}, for every server of the pool."""
    candidates = [f"{prefix}:{i}" for i in range(100 * len(cluster.names) * per_server)]
    by_server = {name: [] for name in cluster.names}
    for key, server in cluster.proxy.locate(*candidates).items():
        if len(by_server[server]) < per_server:
            by_server[server].append(key)
    assert all(len(keys) == per_server for keys in by_server.values()), by_server
    return by_server


# --- MGET merge ------------------------------------------------------------------------------

def test_mget_over_many_servers_with_one_big_value():
    n, size = 12, 16 << 20
    with Cluster(n, pool_options={"timeout": 20000}) as cluster:
        by_server = keys_on_every_server(cluster, "many", 5)
        keys = [k for name in cluster.names for k in by_server[name]]  # 60, 5 per server
        with cluster.proxy.client() as c:
            for key in keys[1:]:
                assert c.call("SET", key, key) == b"+OK\r\n"
        set_big(cluster.by_name[cluster.names[0]], keys[0], size)
        with cluster.proxy.client(timeout=60) as c:
            c.send_command("MGET", *keys)
            header = b"*60\r\n$%d\r\n" % size
            got = read_exactly(c.sock, len(header) + size + 2)
            assert got == header + b"y" * size + b"\r\n"
            rest = b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys[1:])
            assert read_exactly(c.sock, len(rest)) == rest
            assert c.call("PING") == b"+PONG\r\n"
