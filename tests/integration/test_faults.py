"""A dead or slow server hurts only the keys that live on it (issue 4's fault tests)."""
import signal
import socket
import threading
import time

from harness import Cluster, RawClient, encode_command, wait_until


def keys_by_server(cluster, count=300):
    keys = [f"fault:{i}" for i in range(count)]
    placement = cluster.proxy.locate(*keys)
    grouped = {name: [] for name in cluster.names}
    for k in keys:
        grouped[placement[k]].append(k)
    return grouped


def test_kill_one_backend_only_its_keys_fail_then_recover():
    with Cluster(3, pool_options={"timeout": 1000}) as cluster:
        grouped = keys_by_server(cluster)
        victim = "s2"
        with cluster.proxy.client() as c:
            for keys in grouped.values():
                for k in keys:
                    assert c.call("SET", k, "v") == b"+OK\r\n"

            port = cluster.by_name[victim].port
            cluster.by_name[victim].kill()
            for name, keys in grouped.items():
                for k in keys[:20]:
                    reply = c.call("GET", k)
                    if name == victim:
                        assert reply.startswith(b"-ERR server s2:"), reply
                    else:
                        assert reply == b"$1\r\nv\r\n", (name, k, reply)

            # Restart it on the same port: its keys answer again within a second.
            cluster.by_name[victim].port = port
            cluster.by_name[victim].start()
            restarted = time.monotonic()
            wait_until(lambda: c.call("SET", grouped[victim][0], "w") == b"+OK\r\n",
                       timeout=5, interval=0.05, what="the restarted server to serve again")
            assert time.monotonic() - restarted < 1.5
            assert c.call("GET", grouped["s1"][0]) == b"$1\r\nv\r\n"


def test_kill_under_pipelined_load_answers_every_request():
    with Cluster(3, pool_options={"timeout": 1000}) as cluster:
        grouped = keys_by_server(cluster)
        stop = threading.Event()
        errors = []

        def load():
            # Bounded: at most 200 rounds of 100 pipelined SETs, or until told to stop.
            try:
                with cluster.proxy.client(timeout=10) as c:
                    for _ in range(200):
                        if stop.is_set():
                            break
                        batch = [k for keys in grouped.values() for k in keys[:33]]
                        c.send(b"".join(encode_command("SET", k, "1") for k in batch))
                        for k, reply in zip(batch, c.read_replies(len(batch))):
                            ok = reply == b"+OK\r\n" or reply.startswith(b"-ERR server s3")
                            if not ok:
                                errors.append((k, reply))
            except Exception as e:  # a lost reply or a closed connection
                errors.append(repr(e))

        worker = threading.Thread(target=load)
        worker.start()
        time.sleep(0.3)
        cluster.by_name["s3"].kill()
        time.sleep(0.5)
        stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive()
        assert errors == []
        with cluster.proxy.client() as c:
            assert c.call("GET", grouped["s1"][0]) == b"$1\r\n1\r\n"


def test_stopped_backend_times_out_others_unaffected():
    with Cluster(3, pool_options={"timeout": 300}) as cluster:
        grouped = keys_by_server(cluster)
        cluster.by_name["s1"].kill(signal.SIGSTOP)
        try:
            with cluster.proxy.client() as c:
                started = time.monotonic()
                reply = c.call("GET", grouped["s1"][0])
                elapsed = time.monotonic() - started
                assert reply == b"-ERR timeout waiting for server s1\r\n"
                assert 0.25 <= elapsed < 2.0, elapsed
                assert c.call("GET", grouped["s2"][0]) == b"$-1\r\n"
        finally:
            cluster.by_name["s1"].kill(signal.SIGCONT)
        # After it wakes, its late replies must not reach anyone: a fresh request gets its own.
        with cluster.proxy.client() as c:
            wait_until(lambda: c.call("SET", grouped["s1"][1], "x") == b"+OK\r\n", timeout=5,
                       what="s1 to serve again after SIGCONT")
            assert c.call("GET", grouped["s1"][1]) == b"$1\r\nx\r\n"


def test_client_vanishing_mid_pipeline_leaks_nothing():
    with Cluster(3) as cluster:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", cluster.proxy.port))
            s.sendall(b"".join(encode_command("SET", f"gone:{i}", "x" * 100) for i in range(500)))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()  # RST with replies still on their way
        with cluster.proxy.client() as c:
            assert c.call("PING") == b"+PONG\r\n"
            assert c.call("SET", "after", "1") == b"+OK\r\n"
        # Cluster.__exit__ stops shardis with SIGTERM and fails on a leak report or a bad exit.


def test_unreachable_server_answers_connection_refused():
    with Cluster(2) as cluster:
        grouped = keys_by_server(cluster, 50)
        cluster.by_name["s2"].kill()
        with cluster.proxy.client() as c:
            reply = c.call("GET", grouped["s2"][0])
            assert reply.startswith(b"-ERR server s2: "), reply
            assert c.call("GET", grouped["s1"][0]) == b"$-1\r\n"


def test_nothing_is_read_after_a_protocol_error():
    """After bytes that are not RESP the client gets the replies it is owed, the error, and is
    closed, as Redis does; what it sends in the meantime is not read into the proxy's memory
    (while an earlier request waits on a stopped server, that could be without bound)."""
    with Cluster(1, pool_options={"timeout": 3000}, args=("--threads", "1")) as cluster:
        with cluster.proxy.client() as c, cluster.proxy.client() as observer:
            assert c.call("CLIENT", "SETNAME", "victim") == b"+OK\r\n"
            cluster.by_name["s1"].kill(signal.SIGSTOP)
            try:
                c.send(encode_command("GET", "k") + b"*1\r\n$x\r\n")
                time.sleep(0.2)
                c.sock.setblocking(False)
                flood = b"x" * 65536
                for _ in range(64):  # up to 4 MB, as much as the socket buffers take
                    try:
                        c.sock.send(flood)
                    except BlockingIOError:
                        break
                time.sleep(0.3)
                listing = observer.call("CLIENT", "LIST").decode()
                line = next(l for l in listing.splitlines() if "name=victim" in l)
                qbuf = int(line.split(" qbuf=")[1].split()[0])
                assert qbuf <= 65536, line
            finally:
                cluster.by_name["s1"].kill(signal.SIGCONT)
            c.sock.setblocking(True)
            assert c.read_reply() == b"$-1\r\n"
            assert c.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n"
            assert c.closed_by_peer()
