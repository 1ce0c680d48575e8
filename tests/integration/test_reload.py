"""Config reload (issue 18, "Reload"): SIGHUP (after it reopens the log), SIGUSR1 and
`POST /reload` on the admin port reread the file given with -c.

A valid file is applied to every worker without closing a client connection: the new servers
and ring place keys from then on, a changed `listen` moves the listener (clients of the old one
stay), changed pool options apply to new requests, and one `config reloaded` line sums it up.
An invalid file changes nothing: one `reload failed` line with the loader's FILE:LINE:COLUMN
message, and the old config keeps serving. The stats JSON counts both (`config_reloads`,
`config_reload_failures`, top level), as does /metrics (`shardis_config_reloads_total`,
`shardis_config_reload_failures_total`). `POST /reload` answers once the reload is published
(200 `OK`) or refused (400 with the loader's message), so the tests that use it check the new
state at once; after a signal they wait for it (bounded).

Every test starts three redis-servers (s1..s3) and one shardis whose file names some of them.
"""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

from harness import (HOST, SHARDIS_BIN, Cluster, RawClient, free_port, wait_until,
                     write_file_atomically)
from test_signals import read
from test_stats import read_all as stats_read_all

OK = b"+OK\r\n"
REDIS_BENCHMARK = "redis-benchmark"


def bulk(text):
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


# --- the admin port and the stats port ---------------------------------------------------

def read_all(port, request=b""):
    # The stats test's reader, with more time: reloads run on a busy machine here.
    return stats_read_all(port, request, timeout=10)


def http(port, method, path):
    """(status, body) of one HTTP/1.0 request without a body."""
    raw = read_all(port, f"{method} {path} HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                   .encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode(errors="replace")


def post_reload(c):
    return http(c.admin_port, "POST", "/reload")


def reload_counts(c):
    """(config_reloads, config_reload_failures) of the stats port's current snapshot."""
    doc = json.loads(read_all(c.proxy.stats_port))
    return doc["config_reloads"], doc["config_reload_failures"]


def metric_total(c, name):
    """The sum of every sample of `name` in /metrics (None when there is none)."""
    status, text = http(c.admin_port, "GET", "/metrics")
    assert status == 200, text
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if re.match(rf"{name}(\{{| )", line)]
    return sum(values) if values else None


def wait_for_counts(c, reloads, failures):
    """Stats are published once a second: wait (bounded) for the snapshot that has them, in
    the JSON and in Prometheus."""
    wait_until(lambda: reload_counts(c) == (reloads, failures), timeout=10.0, interval=0.1,
               what=f"config_reloads={reloads}, config_reload_failures={failures}")
    wait_until(lambda: (metric_total(c, "shardis_config_reloads_total"),
                        metric_total(c, "shardis_config_reload_failures_total"))
               == (reloads, failures), timeout=5.0, interval=0.1,
               what=f"the same counts in /metrics")


# --- the log --------------------------------------------------------------------------------

def lines_with(c, text):
    return [line for line in read(c.log_path).splitlines() if text in line]


def wait_for_lines(c, text, count):
    wait_until(lambda: len(lines_with(c, text)) >= count, timeout=10.0, interval=0.05,
               what=f"{count} line(s) with {text!r} in the log")
    found = lines_with(c, text)
    assert len(found) == count, found
    return found


def names_server(line, name):
    return re.search(rf"\b{re.escape(name)}\b", line) is not None


def loader_error(path):
    """The loader's message for an invalid file, as `shardis -t` prints it, from FILE on."""
    run = subprocess.run([SHARDIS_BIN, "-t", "-c", path], capture_output=True, text=True)
    assert run.returncode != 0, run
    output = run.stdout + run.stderr
    match = re.search(rf"{re.escape(path)}:\d+:\d+:[^\n]*", output)
    assert match, output
    return match.group(0)


# --- clusters and placement -----------------------------------------------------------------

class ReloadCluster(Cluster):
    """s1..s3 running, the first `in_config` of them in shardis's file; an admin port, and the
    log in a file (SIGHUP reopens it). Entered once the proxy serves and the admin port
    answers."""

    def __init__(self, in_config, pool_options=None, args=()):
        self.admin_port = free_port()
        super().__init__(3, pool_options=pool_options, args=args,
                         process_options={"admin": f"{HOST}:{self.admin_port}"})
        self.log_path = os.path.join(self.dir, "shardis.log")
        self.proxy.args += ["-o", self.log_path]
        self.proxy.servers = self.proxy.servers[:in_config]

    def __enter__(self):
        super().__enter__()
        try:
            wait_until(lambda: lines_with(self, "serving with") and self._admin_answers(),
                       timeout=10.0, interval=0.05, what="the admin port")
        except BaseException:
            self.cleanup()
            raise
        return self

    def _admin_answers(self):
        try:
            return http(self.admin_port, "GET", "/healthz")[0] in (200, 503)
        except (OSError, IndexError, ValueError):
            return False


def servers(c, *names):
    return [(name, c.by_name[name]) for name in names]


def placements(c, new_servers, prefix):
    """400 names starting with `prefix`, with the server `shardis locate` gives each under the
    file in place and under the same file with `new_servers`: (names, old, new)."""
    candidates = [f"{prefix}{i}" for i in range(400)]
    new_path = os.path.join(c.dir, "candidate.yml")
    write_file_atomically(new_path, c.proxy.config_text(servers=new_servers))
    return (candidates, c.proxy.locate(*candidates),
            c.proxy.locate(*candidates, config_path=new_path))


def keys_that_move(c, new_servers, count=12):
    """Keys placed differently by the file in place and by the same file with `new_servers`."""
    candidates, old, new = placements(c, new_servers, "place:")
    moved = [k for k in candidates if old[k] != new[k]][:count]
    assert len(moved) == count, (old, new)
    return moved


def placement_holds(c, keys, port=None, config_path=None):
    """Each key SET through shardis, each on a connection of its own (so that every worker
    gets asked), is on the server that `shardis locate` names for the file now in place (or
    the one at config_path)."""
    placed = c.proxy.locate(*keys, config_path=config_path)
    for key in keys:
        value = f"{key}@{time.monotonic_ns()}"
        with RawClient(port or c.proxy.port) as cl:
            if cl.call("SET", key, value) != OK:
                return False
        with c.by_name[placed[key]].client() as direct:
            if direct.call("GET", key) != bulk(value):
                return False
    return True


def wait_for_placement(c, keys):
    wait_until(lambda: placement_holds(c, keys), timeout=5.0, interval=0.1,
               what="the new placement")


def refuses_connections(port):
    try:
        socket.create_connection((HOST, port), timeout=1.0).close()
        return False
    except ConnectionRefusedError:
        return True


def answers_on(port):
    with RawClient(port) as cl:
        return cl.call("PING") == b"+PONG\r\n"


def request_time(port, *command):
    """(reply, seconds) of one request on a fresh connection."""
    with RawClient(port, timeout=15.0) as cl:
        started = time.monotonic()
        reply = cl.call(*command)
        return reply, time.monotonic() - started


def timeout_check(c, name, key, port=None, config_path=None):
    """(reply, seconds) of a GET of `key` through shardis while server `name` is stopped;
    the server is continued before returning, and serves again (placed as the file at
    config_path says)."""
    server = c.by_name[name]
    server.kill(signal.SIGSTOP)
    try:
        return request_time(port or c.proxy.port, "GET", key)
    finally:
        server.kill(signal.SIGCONT)
        wait_until(lambda: placement_holds(c, [key], port, config_path), timeout=10.0, interval=0.1,
                   what=f"{name} to serve again after SIGCONT")


def save_config(c):
    """A copy of the file in place, for `shardis locate` once it has been broken."""
    path = os.path.join(c.dir, "in-place.yml")
    write_file_atomically(path, read(c.proxy.config_path))
    return path


def key_on(c, name):
    candidates = [f"on:{i}" for i in range(200)]
    placed = c.proxy.locate(*candidates)
    return next(k for k in candidates if placed[k] == name)


# --- triggers -------------------------------------------------------------------------------

def test_sighup_reopens_the_log_then_reloads_an_added_server():
    with ReloadCluster(2) as c:
        moved = keys_that_move(c, servers(c, "s1", "s2", "s3"))
        with c.proxy.client() as held:
            assert held.call("PING") == b"+PONG\r\n"
            # logrotate renames the file, then sends SIGHUP.
            rotated = c.log_path + ".1"
            os.rename(c.log_path, rotated)
            c.proxy.rewrite_config(servers=servers(c, "s1", "s2", "s3"))
            c.proxy.proc.send_signal(signal.SIGHUP)
            wait_for_lines(c, "log file reopened", 1)
            # The reload comes after the reopen: its line is in the new file.
            [line] = wait_for_lines(c, "config reloaded", 1)
            assert "added" in line and names_server(line, "s3"), line
            assert not lines_with(c, "reload failed")
            wait_for_placement(c, moved)
            # The connection made before the reload is still served.
            assert held.call("SET", "held", "2") == OK
            assert held.call("GET", "held") == bulk("2")
        assert "config reloaded" not in read(rotated)
        wait_for_counts(c, 1, 0)
        assert c.proxy.proc.poll() is None


def test_sigusr1_reloads_a_removed_server():
    with ReloadCluster(3) as c:
        moved = keys_that_move(c, servers(c, "s1", "s3"))
        with c.proxy.client() as held:
            assert held.call("PING") == b"+PONG\r\n"
            c.proxy.rewrite_config(servers=servers(c, "s1", "s3"))
            c.proxy.proc.send_signal(signal.SIGUSR1)
            [line] = wait_for_lines(c, "config reloaded", 1)
            assert "removed" in line and names_server(line, "s2"), line
            assert not lines_with(c, "SIGUSR1; ignored")
            wait_for_placement(c, moved)
            # The connection made before the reload is still served.
            assert held.call("SET", "held", "2") == OK
            assert held.call("GET", "held") == bulk("2")
        wait_for_counts(c, 1, 0)


def test_post_reload_answers_ok_once_every_worker_has_the_new_config():
    with ReloadCluster(2, args=("--threads", "2")) as c:
        moved = keys_that_move(c, servers(c, "s1", "s2", "s3"), count=16)
        c.proxy.rewrite_config(servers=servers(c, "s1", "s2", "s3"))
        assert post_reload(c) == (200, "OK\n")
        # Published before the answer: no wait. A fresh connection per key, so that the keys
        # are asked of both workers.
        assert placement_holds(c, moved)
        [line] = wait_for_lines(c, "config reloaded", 1)
        assert "added" in line and names_server(line, "s3"), line
        wait_for_counts(c, 1, 0)


def test_reload_endpoint_takes_only_post_and_other_paths_are_unchanged():
    with ReloadCluster(2) as c:
        for method in ("GET", "PUT", "DELETE"):
            status, body = http(c.admin_port, method, "/reload")
            assert status == 405, (method, status, body)
        status, body = http(c.admin_port, "GET", "/stats")
        assert status == 200 and "total_connections" in json.loads(body), body
        status, body = http(c.admin_port, "GET", "/metrics")
        assert status == 200 and "shardis_config_reloads_total" in body, body
        assert post_reload(c) == (200, "OK\n")
        # Only the POST reloaded.
        wait_for_counts(c, 1, 0)
        wait_for_lines(c, "config reloaded", 1)


def test_identical_file_reloads_and_names_nothing():
    with ReloadCluster(2) as c:
        assert post_reload(c) == (200, "OK\n")
        c.proxy.proc.send_signal(signal.SIGUSR1)
        lines = wait_for_lines(c, "config reloaded", 2)
        # The summary names only servers that were added, removed or changed.
        for line in lines:
            assert not names_server(line, "s1") and not names_server(line, "s2"), line
        wait_for_counts(c, 2, 0)


# --- invalid files --------------------------------------------------------------------------

def test_invalid_yaml_on_sighup_changes_nothing():
    with ReloadCluster(2, pool_options={"timeout": 400}) as c:
        old_port, new_port = c.proxy.port, free_port()
        moved = keys_that_move(c, servers(c, "s1", "s2", "s3"))
        s1_key = key_on(c, "s1")
        old = save_config(c)
        with c.proxy.client() as held:
            assert held.call("SET", "held", "1") == OK
            # A file that would add s3, move the listener and change the timeout, had its YAML
            # not been broken at the end.
            good = c.proxy.config_text(servers=servers(c, "s1", "s2", "s3"),
                                       pool_options={"timeout": 5000},
                                       listen=f"{HOST}:{new_port}")
            write_file_atomically(c.proxy.config_path, good + "  hash: [fnv1a_64\n")
            message = loader_error(c.proxy.config_path)
            c.proxy.proc.send_signal(signal.SIGHUP)
            [line] = wait_for_lines(c, "reload failed", 1)
            assert message in line, (message, line)
            wait_for_counts(c, 0, 1)
            assert not lines_with(c, "config reloaded")
            # The old config serves: the same connection, the old port, the old placement and
            # the old timeout.
            assert held.call("GET", "held") == bulk("1")
            assert answers_on(old_port) and refuses_connections(new_port)
            assert placement_holds(c, moved, config_path=old)
            reply, seconds = timeout_check(c, "s1", s1_key, config_path=old)
            assert reply == b"-ERR timeout waiting for server s1\r\n", reply
            assert seconds < 3.0, seconds
        assert c.proxy.proc.poll() is None


def test_bad_values_get_400_with_the_loaders_message_and_change_nothing():
    with ReloadCluster(2, pool_options={"timeout": 400}) as c:
        old_port, new_port = c.proxy.port, free_port()
        moved = keys_that_move(c, servers(c, "s1", "s2", "s3"))
        s1_key = key_on(c, "s1")
        old = save_config(c)
        bad_files = [
            # The bad value is the timeout itself.
            {"timeout": -5},
            # A good timeout next to a bad hash: the timeout must not apply either.
            {"timeout": 5000, "hash": "nope"},
        ]
        for n, options in enumerate(bad_files, 1):
            text = c.proxy.config_text(servers=servers(c, "s1", "s2", "s3"),
                                       pool_options=options, listen=f"{HOST}:{new_port}")
            write_file_atomically(c.proxy.config_path, text)
            message = loader_error(c.proxy.config_path)
            status, body = post_reload(c)
            assert status == 400 and message in body, (status, body, message)
            lines = wait_for_lines(c, "reload failed", n)
            assert message in lines[-1], (message, lines[-1])
        wait_for_counts(c, 0, 2)
        assert not lines_with(c, "config reloaded")
        assert answers_on(old_port) and refuses_connections(new_port)
        assert placement_holds(c, moved, config_path=old)
        reply, seconds = timeout_check(c, "s1", s1_key, config_path=old)
        assert reply == b"-ERR timeout waiting for server s1\r\n", reply
        assert seconds < 3.0, seconds


# --- SCAN cursors across a reload -----------------------------------------------------------

def fill(c, count):
    keys = {f"scan:{i}" for i in range(count)}
    with c.proxy.client() as cl:
        for key in keys:
            assert cl.call("SET", key, "x") == OK
    return keys


def scan_page(cl, cursor):
    """(next cursor, keys) of one SCAN ... COUNT 10."""
    reply = cl.call("SCAN", cursor, "COUNT", 10)
    assert reply.startswith(b"*2\r\n"), reply
    _, _, rest = reply[4:].partition(b"\r\n")
    cursor_text, rest = rest.split(b"\r\n", 1)
    keys = set()
    header, _, rest = rest.partition(b"\r\n")
    for _ in range(int(header[1:])):
        length, _, rest = rest.partition(b"\r\n")
        keys.add(rest[:int(length[1:])].decode())
        rest = rest[int(length[1:]) + 2:]
    return cursor_text.decode(), keys


def scan_rest(cl, cursor, seen):
    """Continues a walk to its end (bounded); the keys it saw are added to `seen`."""
    for _ in range(1000):
        cursor, keys = scan_page(cl, cursor)
        seen |= keys
        if cursor == "0":
            return seen
    raise AssertionError("SCAN did not end within 1000 pages")


def test_scan_cursor_from_an_older_server_list_is_invalid():
    with ReloadCluster(2) as c:
        keys = fill(c, 200)
        with c.proxy.client() as cl:
            cursor, _ = scan_page(cl, "0")
            # Mid-walk on s1, a cursor that names a server the new list still has: only the
            # change of list can make it invalid.
            assert cursor != "0"
            c.proxy.rewrite_config(servers=servers(c, "s1", "s2", "s3"))
            assert post_reload(c) == (200, "OK\n")
            assert cl.call("SCAN", cursor, "COUNT", 10) == b"-ERR invalid cursor\r\n"
            # A walk started after the reload covers every key (still where they were put).
            assert scan_rest(cl, "0", set()) == keys


def test_scan_cursor_survives_a_reload_of_the_timeout_only():
    with ReloadCluster(2, pool_options={"timeout": 1000}) as c:
        keys = fill(c, 200)
        with c.proxy.client() as cl:
            cursor, seen = scan_page(cl, "0")
            assert cursor != "0"
            c.proxy.rewrite_config(pool_options={"timeout": 2000})
            assert post_reload(c) == (200, "OK\n")
            assert scan_rest(cl, cursor, seen) == keys
        [line] = wait_for_lines(c, "config reloaded", 1)
        assert not names_server(line, "s1") and not names_server(line, "s2"), line


# --- under load -----------------------------------------------------------------------------

class Checker(threading.Thread):
    """One client connection, made before any reload, that SETs then GETs each key in turn
    until stopped (bounded in rounds and time). A key in `stable` (placed alike by every file
    of the test) must always read back what was just written; any other key only needs a
    reply. A closed connection ends the thread with `error` set."""

    def __init__(self, port, keys, stable):
        super().__init__(daemon=True)
        self.client = RawClient(port, timeout=15.0)
        self.keys, self.stable = keys, stable
        self.halt = threading.Event()
        self.rounds = 0
        self.failures = []
        self.error = None

    def run(self):
        deadline = time.monotonic() + 120
        try:
            for n in range(100000):
                if self.halt.is_set() or time.monotonic() > deadline:
                    break
                for key in self.keys:
                    value = f"{n}"
                    replies = (self.client.call("SET", key, value), self.client.call("GET", key))
                    if key in self.stable and replies != (OK, bulk(value)):
                        self.failures.append((key, value, replies))
                self.rounds += 1
        except Exception as e:  # noqa: BLE001 -- reported by the test
            self.error = e
        finally:
            self.client.close()

    def finish(self):
        self.halt.set()
        self.join(timeout=30)
        assert not self.is_alive(), "checker did not stop"

    def wait_rounds(self, more):
        mark = self.rounds
        wait_until(lambda: self.rounds >= mark + more or not self.is_alive(), timeout=15.0,
                   interval=0.02, what="checker rounds")
        assert self.error is None, self.error


def start_benchmark(port, tests, requests):
    return subprocess.Popen(
        [REDIS_BENCHMARK, "-h", HOST, "-p", str(port), "-c", "8", "-n", str(requests),
         "-t", tests, "-r", "1000", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def connected_clients(port):
    with RawClient(port) as cl:
        reply = cl.call("INFO", "clients")
    return int(re.search(rb"connected_clients:(\d+)", reply).group(1))


def wait_benchmark_connected(bench, port, others):
    """Until the benchmark's 8 clients are connected (or it already finished)."""
    wait_until(lambda: bench.poll() is not None or connected_clients(port) >= 8 + others + 1,
               timeout=10.0, interval=0.02, what="redis-benchmark connected")


def finish_benchmark(bench):
    """redis-benchmark exits 1 on an error reply or a closed connection."""
    try:
        out, _ = bench.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        bench.kill()
        out, _ = bench.communicate()
        raise AssertionError(f"redis-benchmark did not finish: {out}")
    assert bench.returncode == 0 and "Error" not in out, out


def test_reload_under_load_closes_no_client_and_moves_only_moved_keys():
    c = ReloadCluster(2, pool_options={"distribution": "ketama", "hash": "md5"})
    with c:
        p = c.proxy
        old_port, new_port = p.port, free_port()
        # The files of the test, in order: add s3, remove s1, set a timeout, move the listener.
        # md5 spreads keys that differ in their last digits over the ring, where the default
        # fnv1a_64 puts chk:0..chk:59 on one or two arcs.
        ring = {"distribution": "ketama", "hash": "md5"}
        timed = {**ring, "timeout": 2000}
        phases = [
            dict(servers=servers(c, "s1", "s2"), pool_options=ring, listen=old_port),
            dict(servers=servers(c, "s1", "s2", "s3"), pool_options=ring, listen=old_port),
            dict(servers=servers(c, "s2", "s3"), pool_options=ring, listen=old_port),
            dict(servers=servers(c, "s2", "s3"), pool_options=timed, listen=old_port),
            dict(servers=servers(c, "s2", "s3"), pool_options=timed, listen=new_port),
        ]
        keys = [f"chk:{i}" for i in range(60)]
        placements = []
        for n, phase in enumerate(phases):
            path = os.path.join(c.dir, f"phase{n}.yml")
            write_file_atomically(path, p.config_text(servers=phase["servers"],
                                                      pool_options=phase["pool_options"],
                                                      listen=f"{HOST}:{phase['listen']}"))
            placements.append(p.locate(*keys, config_path=path))
        stable = {k for k in keys if len({placed[k] for placed in placements}) == 1}
        assert len(stable) >= 5, placements
        moved = [k for k in keys if placements[0][k] != placements[-1][k]]

        checker = Checker(old_port, keys, stable)
        checker.start()
        benches = []
        try:
            checker.wait_rounds(1)
            # (a) add s3, (b) remove s1, (c) set a timeout, under redis-benchmark.
            bench = start_benchmark(old_port, "set,get", 12000)
            benches.append(bench)
            wait_benchmark_connected(bench, old_port, others=1)
            for phase in phases[1:4]:
                p.rewrite_config(servers=phase["servers"], pool_options=phase["pool_options"])
                assert post_reload(c) == (200, "OK\n")
                checker.wait_rounds(1)
            finish_benchmark(bench)

            # (c) the new timeout applies: a GET for a stopped s3 fails at 2 s (it would wait
            # for ever under the first file). The checker's stable keys are all on s2.
            s3_key = key_on(c, "s3")
            reply, seconds = timeout_check(c, "s3", s3_key)
            assert reply == b"-ERR timeout waiting for server s3\r\n", reply
            assert 1.5 <= seconds < 6.0, seconds

            # (d) move the listener while 8 clients of the old one write.
            bench = start_benchmark(old_port, "set", 12000)
            benches.append(bench)
            wait_benchmark_connected(bench, old_port, others=1)
            p.rewrite_config(port=new_port)
            assert post_reload(c) == (200, "OK\n")
            assert answers_on(new_port)  # bound before the answer
            wait_until(lambda: refuses_connections(old_port), timeout=5.0, interval=0.05,
                       what="the old listener closed")
            checker.wait_rounds(2)  # the checker's connection, on the old port, is served
            finish_benchmark(bench)
            bench = start_benchmark(new_port, "set,get", 6000)
            benches.append(bench)
            finish_benchmark(bench)
            checker.wait_rounds(1)
        finally:
            c.by_name["s3"].kill(signal.SIGCONT)
            for bench in benches:
                if bench.poll() is None:
                    bench.kill()
                    bench.wait()
            checker.finish()
        assert checker.error is None, checker.error
        assert checker.failures == [], checker.failures[:5]

        # Afterwards the last file's placement holds, on the new port.
        assert placement_holds(c, moved + sorted(stable)[:5])
        lines = lines_with(c, "config reloaded")
        assert len(lines) == 4, lines
        assert "added" in lines[0] and names_server(lines[0], "s3"), lines[0]
        assert "removed" in lines[1] and names_server(lines[1], "s1"), lines[1]
        wait_for_counts(c, 4, 0)
