"""Bad input and resource limits: the proxy keeps serving every other client."""
import os
import random
import socket
import time

from harness import Cluster, RawClient, encode_command, wait_until


def hold_clients(cluster, n):
    """n connected clients that each got PONG. Retries (bounded) while an earlier connection,
    such as the harness's readiness probe, is still being retired by the proxy."""
    held = []

    def attempt():
        for c in held:
            c.close()
        held.clear()
        for _ in range(n):
            held.append(cluster.proxy.client())
        return all(c.call("PING") == b"+PONG\r\n" for c in held)

    wait_until(attempt, timeout=5, interval=0.1, what=f"{n} clients to be admitted")
    return held


def test_client_connections_limit_per_pool():
    with Cluster(1, pool_options={"client_connections": 3}) as cluster:
        held = hold_clients(cluster, 3)
        try:
            with cluster.proxy.client() as extra:
                assert extra.read_reply() == b"-ERR max number of clients reached\r\n"
                assert extra.closed_by_peer()
        finally:
            for c in held:
                c.close()
        time.sleep(0.2)
        with cluster.proxy.client() as c:  # a slot is free again
            assert c.call("PING") == b"+PONG\r\n"


def test_process_wide_max_clients():
    with Cluster(1, process_options={"max_clients": 2}) as cluster:
        held = hold_clients(cluster, 2)
        try:
            with cluster.proxy.client() as extra:
                assert extra.read_reply() == b"-ERR max number of clients reached\r\n"
        finally:
            for c in held:
                c.close()


def test_garbage_half_requests_and_idle_clients_hurt_no_one():
    with Cluster(3) as cluster:
        port = cluster.proxy.port
        idle = socket.create_connection(("127.0.0.1", port))
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
        rng = __import__("random").Random(7)
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", port)) as g:
                g.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
        with RawClient(port) as c:
            assert c.call("SET", "still", "serving") == b"+OK\r\n"
            assert c.call("GET", "still") == b"$7\r\nserving\r\n"
        idle.close()
        half.close()


def test_oversized_bulk_gets_the_codec_error():
    with Cluster(1) as cluster, cluster.proxy.client() as c:
        c.send(b"*2\r\n$3\r\nGET\r\n$999999999999\r\n")
        assert c.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert c.closed_by_peer()


def test_client_that_never_reads_is_bounded():
    limit = 1 << 20
    with Cluster(1, process_options={"client_output_buffer_limit": limit}) as cluster:
        with cluster.proxy.client() as c:
            assert c.call("SET", "big", "x" * 65536) == b"+OK\r\n"
        s = socket.create_connection(("127.0.0.1", cluster.proxy.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = encode_command("GET", "big") * 64
        closed = False
        # Bounded: at most 200 batches of 64 GETs (~800 MiB of replies if nothing stopped it).
        for _ in range(200):
            try:
                s.sendall(request)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.005)
        # A loaded machine may not have answered all of them yet: give it (bounded) time to
        # reach the limit, probing with small requests that add no real output.
        deadline = time.monotonic() + 10
        while not closed and time.monotonic() < deadline:
            try:
                s.sendall(encode_command("PING"))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            time.sleep(0.05)
        s.close()
        assert closed, "shardis kept queueing replies for a client that never reads"
        with cluster.proxy.client() as c:
            assert c.call("PING") == b"+PONG\r\n"


def test_ten_thousand_concurrent_clients():
    with Cluster(3, process_options={"max_clients": 20000}) as cluster:
        socks = []
        try:
            for _ in range(10000):
                socks.append(socket.create_connection(("127.0.0.1", cluster.proxy.port)))
            ping = encode_command("PING")
            for s in socks[::100]:
                s.sendall(ping)
            for s in socks[::100]:
                assert s.recv(64) == b"+PONG\r\n"
        finally:
            for s in socks:
                s.close()
        with cluster.proxy.client() as c:
            assert c.call("PING") == b"+PONG\r\n"


def test_requests_cut_across_reads_keep_their_state_between_other_clients():
    """One worker decodes every client's input with one decoder until a read ends mid-request;
    the cut request's state then moves into its session. Cut requests of several clients,
    interleaved with whole ones and with another client's protocol error, must all complete."""
    with Cluster(1, args=("--threads", "1")) as cluster:
        port = cluster.proxy.port
        pieces = {
            # cut inside a length line, inside a bulk, and right after an argument
            "a": [b"*3\r\n$3\r\nSET\r\n$1", b"\r\na\r\n$5\r\nal", b"pha\r\n"],
            "b": [b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n", b"$4\r\nbeta\r\n"],
            "c": [b"SET c \"ga", b"mma\"\r\n"],  # an inline request, cut inside its quotes
        }
        clients = {name: RawClient(port) for name in pieces}
        try:
            for name, parts in pieces.items():
                clients[name].send(parts[0])
                time.sleep(0.05)  # each piece is its own read
            with RawClient(port) as whole:
                assert whole.call("SET", "d", "delta") == b"+OK\r\n"
            with RawClient(port) as broken:
                broken.send(b"*1\r\n$x\r\n")
                assert broken.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n"
            for step in range(1, 3):
                for name, parts in pieces.items():
                    if step < len(parts):
                        clients[name].send(parts[step])
                        time.sleep(0.05)
            for name in pieces:
                assert clients[name].read_reply() == b"+OK\r\n", name
            with RawClient(port) as after:  # the worker's decoder starts clean
                assert after.call("MGET", "a", "b", "c", "d") == (
                    b"*4\r\n$5\r\nalpha\r\n$4\r\nbeta\r\n$5\r\ngamma\r\n$5\r\ndelta\r\n")
        finally:
            for c in clients.values():
                c.close()


def test_requests_cut_at_random_points_across_many_clients():
    """Every client's byte stream cut at random points and the pieces sent interleaved with
    the other clients': the reads of one worker end mid-request at every possible place,
    multibulk and inline, and each client still gets exactly its own replies in order."""
    rng = random.Random(2026)
    with Cluster(3, args=("--threads", "1")) as cluster:
        clients, streams, expected = [], [], []
        for c in range(8):
            sent, replies = [], []
            for j in range(60):
                key, value = f"cut:{c}:{j % 7}", f"v{c}-{j}-" + "x" * rng.randrange(0, 40)
                inline = rng.random() < 0.3
                sent.append(f"SET {key} {value}\r\n".encode() if inline
                            else encode_command("SET", key, value))
                sent.append(encode_command("GET", key))
                replies += [b"+OK\r\n", b"$%d\r\n%s\r\n" % (len(value), value.encode())]
            clients.append(RawClient(cluster.proxy.port))
            streams.append(b"".join(sent))
            expected.append(replies)
        try:
            offsets = [0] * len(clients)
            while any(o < len(s) for o, s in zip(offsets, streams)):
                for c, client in enumerate(clients):
                    if offsets[c] < len(streams[c]):
                        piece = rng.randrange(1, 48)
                        client.send(streams[c][offsets[c]:offsets[c] + piece])
                        offsets[c] += piece
            for c, client in enumerate(clients):
                assert client.read_replies(len(expected[c])) == expected[c], f"client {c}"
        finally:
            for client in clients:
                client.close()
