"""What the proxy's memory does under pressure: pipelined writes at a stopped server, clients
that hold half-sent requests, and the memory a burst leaves behind once it is over.

RSS is read from /proc/PID/status of the real shardis process; every bound is generous (the
tests also run under AddressSanitizer) yet far below what the proxy reached before the limits.
"""
import json
import select
import signal
import socket
import time

from harness import Cluster, RawClient, encode_command, rss_bytes, wait_until

MIB = 1 << 20


def settle_rss(pid, seconds=0.5):
    time.sleep(seconds)
    return rss_bytes(pid)


def pipeline_until_blocked(sock, commands, cap_bytes, stall_s=1.5, limit_s=20.0):
    """Sends `commands` (a generator of RESP bytes) back to back without reading replies, until
    `cap_bytes` are sent or the proxy has taken nothing for `stall_s`. Returns the list of
    commands started, how many bytes of the last one went out, and the bytes sent."""
    sock.setblocking(False)
    started, offset, sent_total = [], 0, 0
    current = b""
    last_progress = deadline = time.monotonic()
    deadline += limit_s
    while sent_total < cap_bytes and time.monotonic() < deadline:
        if offset == len(current):
            current, offset = next(commands), 0
            started.append(current)
        _, writable, _ = select.select([], [sock], [], 0.1)
        if writable:
            try:
                n = sock.send(current[offset:offset + MIB])
            except BlockingIOError:
                n = 0
            offset += n
            sent_total += n
            if n:
                last_progress = time.monotonic()
        if time.monotonic() - last_progress > stall_s:
            break
    sock.setblocking(True)
    return started, offset, sent_total


def big_sets(prefix, value_bytes):
    """SET prefix:i <value starting with i> followed by INCR prefix:seq, forever: the INCR
    replies number the pairs, so their order shows in the replies."""
    filler = b"v" * (value_bytes - 8)
    i = 0
    while True:
        yield encode_command("SET", f"{prefix}:{i}", b"%08d" % i + filler)
        yield encode_command("INCR", f"{prefix}:seq")
        i += 1


def check_replies_and_data(cluster, client, started, offset, prefix, value_bytes):
    """Completes the last command, then: every reply in order, every acknowledged SET stored."""
    client.send(started[-1][offset:])
    replies = client.read_replies(len(started))
    pairs = len(started) // 2
    for i in range(pairs):
        assert replies[2 * i] == b"+OK\r\n", (i, replies[2 * i][:80])
        assert replies[2 * i + 1] == b":%d\r\n" % (i + 1), (i, replies[2 * i + 1][:80])
    if len(started) % 2:
        assert replies[-1] == b"+OK\r\n"
        pairs += 1
    with cluster.proxy.client() as check:
        for i in range(pairs):
            assert check.call("STRLEN", f"{prefix}:{i}") == b":%d\r\n" % value_bytes
            assert check.call("GETRANGE", f"{prefix}:{i}", 0, 7) == b"$8\r\n%08d\r\n" % i


def stopped_server_run(process_options, cap_bytes=384 * MIB, value_bytes=256 * 1024):
    with Cluster(1, process_options=process_options) as cluster:
        redis, pid = cluster.redis[0], cluster.proxy.proc.pid
        with cluster.proxy.client() as warm:
            assert warm.call("SET", "warm", "x") == b"+OK\r\n"
        before = settle_rss(pid)
        client = cluster.proxy.client(timeout=30)
        redis.kill(signal.SIGSTOP)
        try:
            started, offset, sent = pipeline_until_blocked(
                client.sock, big_sets("p", value_bytes), cap_bytes)
            grown = settle_rss(pid) - before
        finally:
            redis.kill(signal.SIGCONT)
        # Before the limits the proxy read all of it and grew by more than it read.
        assert grown < 96 * MIB, f"RSS grew by {grown / MIB:.0f} MiB ({sent / MIB:.0f} MiB sent)"
        assert sent < cap_bytes // 2, f"the proxy read {sent / MIB:.0f} MiB from one client"
        check_replies_and_data(cluster, client, started, offset, "p", value_bytes)
        client.close()


def test_pipelined_writes_at_a_stopped_server_stop_at_the_server_queue_limit():
    stopped_server_run({"server_queue_limit": "8mb", "client_queue_limit": 0})


def test_pipelined_writes_at_a_stopped_server_stop_at_the_client_queue_limit():
    stopped_server_run({"server_queue_limit": 0, "client_queue_limit": "8mb"})


def queued_requests(proxy, server="s1"):
    """Requests queued on `server` (in_queue + out_queue) in the stats port's document, which
    the workers publish once a second."""
    time.sleep(1.2)
    with socket.create_connection(("127.0.0.1", proxy.stats_port), timeout=5) as s:
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    counters = json.loads(raw)["pool"][server]
    return counters["in_queue"] + counters["out_queue"]


def test_small_requests_count_their_bookkeeping_too():
    """Tiny requests at a stopped server: what the proxy keeps for each request counts against
    the limit, not only its bytes, so 1 MiB of limit is a few thousand GETs waiting, not the
    47,000 that 1 MiB of 22-byte GETs would be (each costs the proxy far more than 22 bytes)."""
    with Cluster(1, process_options={"client_queue_limit": "1mb", "server_queue_limit": 0}) \
            as cluster:
        redis = cluster.redis[0]
        with cluster.proxy.client() as c:
            assert c.call("SET", "k", "v") == b"+OK\r\n"
        client = cluster.proxy.client(timeout=30)
        redis.kill(signal.SIGSTOP)
        get = encode_command("GET", "k")

        def gets():
            while True:
                yield get * 1000
        try:
            _, _, sent = pipeline_until_blocked(client.sock, gets(), 64 * MIB)
            queued = queued_requests(cluster.proxy)
        finally:
            client.close()  # what it sent is answered to no one: no need to wait for it
            redis.kill(signal.SIGCONT)
        # 1 MiB at 22 + 256 bytes a request, and one more read of at most 64 KiB (3,000 GETs).
        assert queued < 12000, f"{queued} GETs waiting for a stopped server ({sent} bytes sent)"
        with cluster.proxy.client() as c:
            assert c.call("GET", "k") == b"$1\r\nv\r\n"


def test_a_client_waiting_for_a_full_server_blocks_no_other_server_and_resumes_on_failure():
    with Cluster(2, process_options={"server_queue_limit": "2mb"}) as cluster:
        keys = {}
        for key, server in cluster.proxy.locate(*[f"k{i}" for i in range(64)]).items():
            keys.setdefault(server, key)
        stopped, other = cluster.by_name["s1"], keys["s2"]
        client = cluster.proxy.client(timeout=30)
        stopped.kill(signal.SIGSTOP)
        value = b"x" * (256 * 1024)

        def sets_on_s1():
            while True:
                yield encode_command("SET", keys["s1"], value)
        started, offset, sent = pipeline_until_blocked(client.sock, sets_on_s1(), 256 * MIB)
        assert sent < 128 * MIB, f"the proxy read {sent / MIB:.0f} MiB for a stopped server"
        # Another client, on the other server, is not held up by the full one.
        with cluster.proxy.client(timeout=2) as bystander:
            assert bystander.call("SET", other, "free") == b"+OK\r\n"
            assert bystander.call("GET", other) == b"$4\r\nfree\r\n"
        # The stopped server dies: its requests fail, and the blocked client is read again.
        stopped.kill(signal.SIGKILL)
        client.send(started[-1][offset:])
        replies = client.read_replies(len(started))
        assert all(r == b"+OK\r\n" or r.startswith(b"-ERR server s1") for r in replies)
        assert client.call("SET", other, "after") == b"+OK\r\n"
        assert client.call("PING") == b"+PONG\r\n"
        client.close()


HALF_SET = b"*3\r\n$3\r\nSET\r\n$%d\r\nslow:%05d\r\n$100\r\nabc"


def test_slow_clients_holding_half_sent_requests_keep_only_their_bytes():
    n = 1000
    with Cluster(1) as cluster:
        pid = cluster.proxy.proc.pid
        socks = []
        try:
            for _ in range(n):
                socks.append(socket.create_connection(("127.0.0.1", cluster.proxy.port)))
            for s in socks[::50]:  # every one is accepted and served
                s.sendall(encode_command("PING"))
                assert s.recv(16) == b"+PONG\r\n"
            idle = settle_rss(pid, 1.0)
            for i, s in enumerate(socks):
                s.sendall(HALF_SET % (len(b"slow:%05d" % i), i))
            held = settle_rss(pid, 1.0)
            # More pieces of each request, each its own read: the held bytes grow by them only.
            for piece in range(4):
                for s in socks:
                    s.sendall(b"d" * 5)
                time.sleep(0.2)
            grown = settle_rss(pid, 1.0)
            per_client_held = (held - idle) / n
            per_client_grown = (grown - idle) / n
            # Before: a 16 KiB read buffer per cut request (17.6 KB each), doubling as the
            # pieces came in (49 KB). Redis keeps 5.7 KB.
            assert per_client_held < 4096, f"{per_client_held:.0f} bytes per half-sent request"
            assert per_client_grown < 4096, f"{per_client_grown:.0f} bytes per growing request"
            rest = b"d" * (100 - 3 - 20) + b"\r\n"
            for s in socks:
                s.sendall(rest)
            for s in socks:
                assert s.recv(16) == b"+OK\r\n"
        finally:
            for s in socks:
                s.close()
        with cluster.proxy.client() as c:
            assert c.call("GET", "slow:00007") == b"$100\r\nabc" + b"d" * 97 + b"\r\n"


def test_memory_comes_back_after_a_burst():
    """Many clients pipelining 10 KB SETs, then nothing: within seconds the proxy gives the
    memory back (idle buffers returned, the allocator trimmed)."""
    clients, per_client, value_bytes = 100, 50, 10 * 1024
    with Cluster(1, args=("--threads", "1")) as cluster:
        pid = cluster.proxy.proc.pid
        socks = [RawClient(cluster.proxy.port, timeout=30) for _ in range(clients)]
        try:
            for c in socks:
                assert c.call("PING") == b"+PONG\r\n"
            idle = settle_rss(pid, 1.0)
            value = b"b" * value_bytes
            batch = b"".join(encode_command("SET", f"burst:{i}", value)
                             for i in range(per_client))
            peak = 0
            for c in socks:
                c.send(batch)
                peak = max(peak, rss_bytes(pid))
            for c in socks:
                assert c.read_replies(per_client) == [b"+OK\r\n"] * per_client
            peak = max(peak, rss_bytes(pid))
            # The burst must have cost something, or the test shows nothing.
            assert peak > 2 * idle, f"peak {peak / MIB:.0f} MiB, idle {idle / MIB:.0f} MiB"
            try:
                wait_until(lambda: rss_bytes(pid) <= 2 * idle, timeout=12, interval=0.25,
                           what="RSS back within 2x idle")
            except TimeoutError:
                raise AssertionError(f"RSS {rss_bytes(pid) / MIB:.0f} MiB 12 s after the burst "
                                     f"(idle {idle / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB)")
        finally:
            for c in socks:
                c.close()
