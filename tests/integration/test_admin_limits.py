"""The admin HTTP port under abuse (hardening issue, item 9): a connection that pipelines
requests and never reads its answers holds a bounded amount of the proxy's memory (it is no
longer read from until its output drains), and connections that never finish their headers,
or sit idle, cannot lock a scraper out.

The proxy runs with a small AddressSanitizer quarantine here: ASan keeps freed memory (256 MiB
by default) before reusing it, so with its default the RSS would count every answer ever
rendered rather than the answers alive at once, which is what the bound is about.

Every socket here is on loopback, every loop is bounded in count and time.
"""
import os
import socket
import time

import pytest

from harness import HOST, Cluster, free_port, rss_bytes, wait_until
from test_stats import http_get

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


def push(sock, data, seconds):
    """Sends as much of `data` as the peer takes within `seconds`; returns the count sent."""
    sock.setblocking(False)
    sent = 0
    deadline = time.monotonic() + seconds
    while sent < len(data) and time.monotonic() < deadline:
        try:
            sent += sock.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)
    return sent


@pytest.fixture(scope="module")
def small_quarantine():
    saved = os.environ.get("ASAN_OPTIONS")
    os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [saved, "quarantine_size_mb=8"]))
    yield
    if saved is None:
        del os.environ["ASAN_OPTIONS"]
    else:
        os.environ["ASAN_OPTIONS"] = saved


@pytest.fixture(scope="module")
def admin_cluster(small_quarantine):
    admin = free_port()
    with Cluster(1, process_options={"admin": f"{HOST}:{admin}"}, args=("--threads", "1")) as c:
        c.admin_port = admin
        # A few commands, so that /metrics has command series and is a realistic size.
        with c.proxy.client() as cl:
            for i in range(20):
                cl.call("SET", f"k{i}", "v")
                cl.call("GET", f"k{i}")
        wait_until(lambda: 'command="get"' in http_get(admin, "/metrics")[1], timeout=5.0,
                   interval=0.1, what="command series in /metrics")
        yield c


def test_unread_pipelined_requests_hold_bounded_memory(admin_cluster):
    c = admin_cluster
    pid = c.proxy.proc.pid
    body_size = len(http_get(c.admin_port, "/metrics")[1])
    before = rss_bytes(pid)
    pipelined = REQUEST * (680 * 1024 // len(REQUEST))
    with socket.create_connection((HOST, c.admin_port), timeout=5) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        push(s, pipelined, 3.0)
        time.sleep(1.0)  # whatever the proxy would still read and answer, it does now
        grown = rss_bytes(pid) - before
        # Answering all of them would take len(requests) × body_size (hundreds of MB); a
        # bounded connection holds its output bound plus what the kernel buffers hold.
        answered_all = (len(pipelined) // len(REQUEST)) * body_size
        assert grown < 64 * 1024 * 1024, (
            f"RSS grew {grown >> 20} MiB (all answers: {answered_all >> 20} MiB)")
        # The scraper still gets through while that connection is stalled.
        status, body = http_get(c.admin_port, "/metrics")
        assert status == 200 and "shardis_" in body


def test_a_stalled_connection_resumes_when_read(admin_cluster):
    c = admin_cluster
    count = 300
    with socket.create_connection((HOST, c.admin_port), timeout=10) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        assert push(s, REQUEST * count, 5.0) == len(REQUEST) * count
        time.sleep(0.5)  # let the proxy fill what it may and stop reading
        s.setblocking(True)
        s.settimeout(10)
        data = b""
        deadline = time.monotonic() + 20
        while data.count(b"HTTP/1.1 200 OK") < count and time.monotonic() < deadline:
            chunk = s.recv(1 << 20)
            assert chunk, "connection closed before every answer came"
            data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == count


def test_unfinished_headers_do_not_lock_out_a_scraper(admin_cluster):
    c = admin_cluster
    held = []
    try:
        for _ in range(200):
            s = socket.create_connection((HOST, c.admin_port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            held.append(s)
        for _ in range(3):
            status, body = http_get(c.admin_port, "/metrics")
            assert status == 200 and "shardis_" in body
    finally:
        for s in held:
            s.close()


def test_idle_connections_do_not_lock_out_a_scraper(admin_cluster):
    """More connections than the port keeps, each done with one request and idle: the oldest
    give way to the newcomer."""
    c = admin_cluster
    held = []
    try:
        for _ in range(100):
            s = socket.create_connection((HOST, c.admin_port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive, never read
            held.append(s)
        time.sleep(0.2)
        for _ in range(3):
            status, body = http_get(c.admin_port, "/metrics")
            assert status == 200 and "shardis_" in body
    finally:
        for s in held:
            s.close()
