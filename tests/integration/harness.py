"""Real parts for the integration tests: redis-server processes on free loopback ports, the
shardis binary in front of them, and a raw RESP client that returns replies byte for byte.

Everything here talks to 127.0.0.1 only, and every wait is bounded.
"""
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SHARDIS_BIN = os.environ.get("SHARDIS_BIN", "build/asan/bin/shardis")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
HOST = "127.0.0.1"


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Ports are drawn below the kernel's ephemeral range: a port the kernel picks for bind(0) is
# free again once the probe closes, and any outgoing connection (this test's or a parallel
# test's, to Redis or to shardis) may take it as its local port before the server binds it.
# Below the range only a listener can take it, and the probe sees listeners.
_PORT_LOW = 10000
_PORT_HIGH = _ephemeral_low() - 1
_handed_out = set()
_random = random.SystemRandom()


def _reservations():
    """One file shared by every test process of this user, where a process holds a lock on
    byte N while port N is its own. Test files run in parallel, and a port one of them was
    handed but has not bound yet (a setup hands out every port first, then starts its
    servers one by one), or freed for a moment (a server killed, to be restarted on the same
    port; an address kept closed on purpose), looks free to the others: the lock says it is
    not. POSIX record locks go with the process, so a test that dies leaves nothing behind."""
    path = os.path.join(tempfile.gettempdir(), f"shardis-test-ports-{os.getuid()}")
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


_reserved = _reservations()


def _reserve(port):
    try:
        fcntl.lockf(_reserved, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port)
    except OSError:
        return False  # another test process holds it
    return True


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def free_port():
    """A TCP port nothing listens on right now, never handed out before in this process and
    held by no other test process (see _reservations)."""
    if _PORT_HIGH - _PORT_LOW < 1000:
        with socket.socket() as s:  # an unusual ephemeral range: the kernel's pick
            s.bind((HOST, 0))
            return s.getsockname()[1]
    for _ in range(1000):
        port = _random.randint(_PORT_LOW, _PORT_HIGH)
        if port in _handed_out or not _reserve(port):
            continue
        _handed_out.add(port)  # this process keeps its lock until it exits
        if _bindable(port):
            return port
    raise RuntimeError(f"no free port in {_PORT_LOW}-{_PORT_HIGH}")


def rss_bytes(pid):
    """The resident set of process `pid`, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) * 1024


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def answers_ping(port):
    try:
        with RawClient(port, timeout=0.5) as c:
            return c.call(b"PING") == b"+PONG\r\n"
    except OSError:
        return False


class RawClient:
    """A blocking RESP client that hands back each reply's exact bytes."""

    def __init__(self, port=None, timeout=5.0, sock=None):
        if sock is None:
            sock = socket.create_connection((HOST, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode_command(*args))

    def call(self, *args):
        self.send_command(*args)
        return self.read_reply()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed by peer")
        self.buf += chunk

    def _line(self, start):
        while True:
            end = self.buf.find(b"\r\n", start)
            if end >= 0:
                return end + 2
            self._fill()

    def _reply_end(self, start):
        """Offset just past the complete reply that begins at `start` (reads as needed)."""
        line_end = self._line(start)
        kind = self.buf[start:start + 1]
        header = self.buf[start + 1:line_end - 2]
        if kind in b"$!=":
            n = int(header)
            if n < 0:
                return line_end
            while len(self.buf) < line_end + n + 2:
                self._fill()
            return line_end + n + 2
        if kind in b"*~>%|":
            n = int(header)
            pos = line_end
            count = n * 2 if kind in b"%|" else n
            for _ in range(max(count, 0)):
                pos = self._reply_end(pos)
            if kind == b"|":
                pos = self._reply_end(pos)
            return pos
        return line_end

    def read_reply(self):
        end = self._reply_end(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def read_replies(self, n):
        return [self.read_reply() for _ in range(n)]

    def closed_by_peer(self, timeout=5.0):
        """True when the peer closes the connection (after any bytes still buffered)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def bulk_elements(reply, kinds=b"*"):
    """The elements of a flat array (or, in `kinds`, RESP3 set) of bulk strings, in order."""
    header, _, rest = reply.partition(b"\r\n")
    assert header[:1] and header[:1] in kinds, reply
    elements = []
    for _ in range(int(header[1:])):
        length, _, rest = rest.partition(b"\r\n")
        n = int(length[1:])
        elements.append(rest[:n])
        rest = rest[n + 2:]
    return elements


def encode_command(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class RedisServer:
    """One redis-server process on a free loopback port, in its own directory."""

    def __init__(self, workdir, port=None, extra=()):
        self.port = port or free_port()
        self.workdir = workdir
        self.extra = list(extra)
        self.proc = None

    def start(self):
        logfile = os.path.join(self.workdir, f"redis-{self.port}.log")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", HOST, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.workdir, "--logfile", logfile,
             *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self._ready(), what=f"redis-server on port {self.port}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server on port {self.port} exited")
        try:
            with RawClient(self.port, timeout=0.5) as c:
                reply = c.call(b"PING")
                return reply == b"+PONG\r\n" or reply.startswith(b"-NOAUTH")
        except OSError:
            return False

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=10)

    def client(self):
        return RawClient(self.port)


class Shardis:
    """The real shardis binary with a generated YAML config."""

    def __init__(self, workdir, servers, pool_options=None, process_options=None,
                 args=(), port=None, stats_port=None, listen=None, sentinel=None):
        self.workdir = workdir
        self.port = port or free_port()
        # Where clients connect: HOST:port unless a test asks for a unix socket or [::1].
        self.listen = (listen or f"{HOST}:{{port}}").replace("{port}", str(self.port))
        self.stats_port = stats_port or free_port()
        # list of (name, RedisServer); with a `sentinel` section ({"hosts": [[host, port]],
        # ...}), (name, None) for a name alone or (name, {settings}) for a mapping.
        self.servers = servers
        self.sentinel = sentinel
        self.pool_options = dict(pool_options or {})
        self.process_options = dict(process_options or {})
        self.args = list(args)
        self.proc = None
        self.config_path = os.path.join(workdir, f"shardis-{self.port}.yml")
        self.stderr_path = os.path.join(workdir, f"shardis-{self.port}.stderr")

    def config_text(self, servers=None, pool_options=None, listen=None):
        """The YAML file for this proxy; an argument given replaces that part (see
        rewrite_config)."""
        servers = self.servers if servers is None else servers
        pool_options = self.pool_options if pool_options is None else pool_options
        listen = self.listen if listen is None else listen
        lines = []
        if self.process_options:
            lines.append("shardis:")
            for k, v in self.process_options.items():
                lines.append(f"  {k}: {yaml_value(v)}")
        lines.append("pool:")
        lines.append(f"  listen: {yaml_value(listen)}")
        for k, v in pool_options.items():
            lines.append(f"  {k}: {yaml_value(v)}")
        if self.sentinel:
            lines.append("  sentinel:")
            for k, v in self.sentinel.items():
                lines.append(f"    {k}: {json.dumps(v) if isinstance(v, list) else yaml_value(v)}")
        lines.append("  servers:")
        for name, server in servers:
            if server is None:
                lines.append(f"    - {name}")
            elif isinstance(server, dict):
                lines.append(f"    - {json.dumps({'name': name, **server})}")
            else:
                lines.append(f"    - {HOST}:{server.port}:1 {name}")
        return "\n".join(lines) + "\n"

    def rewrite_config(self, servers=None, pool_options=None, port=None):
        """Rewrites the file at config_path from the same template, for a reload: `servers`
        (a list of (name, RedisServer)) and `pool_options` replace the current ones, `port`
        moves a TCP listen to that loopback port (connect() and client() follow it). The new
        file replaces the old one in one rename, so a reload never reads half a file."""
        if servers is not None:
            self.servers = list(servers)
        if pool_options is not None:
            self.pool_options = dict(pool_options)
        if port is not None:
            self.port = port
            self.listen = f"{HOST}:{port}"
        write_file_atomically(self.config_path, self.config_text())

    def start(self):
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [SHARDIS_BIN, "-c", self.config_path, "-s", str(self.stats_port), *self.args],
            stdout=self.stderr, stderr=self.stderr)
        wait_until(self._ready, what=f"shardis on port {self.port}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"shardis exited with {self.proc.returncode}: {self.log()}")
        try:
            self.connect(timeout=0.5).close()
            return True
        except OSError:
            return False

    def connect(self, timeout=5.0):
        """A plain socket to wherever the pool listens (TCP, [::1] or a unix socket)."""
        if self.listen.startswith("/"):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(timeout)
            s.connect(self.listen.split()[0])
            return s
        if self.listen.startswith("[::1]"):
            return socket.create_connection(("::1", self.port), timeout=timeout)
        return socket.create_connection((HOST, self.port), timeout=timeout)

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then the exit code; fails on a crash, a leak or a sanitizer report."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("shardis did not exit within 20 s of SIGTERM")
        self.stderr.close()
        rc, self.proc = self.proc.returncode, None
        log = self.log()
        for marker in ("AddressSanitizer", "LeakSanitizer", "ThreadSanitizer", "runtime error:"):
            assert marker not in log, f"sanitizer report from shardis:\n{log}"
        assert rc == 0, f"shardis exited with {rc}:\n{log}"
        return rc

    def client(self, timeout=5.0):
        return RawClient(self.port, timeout=timeout)

    def locate(self, *keys, config_path=None):
        """{key: server name} from `shardis locate` on this config (or the file at
        config_path)."""
        out = subprocess.run([SHARDIS_BIN, "locate", "-c", config_path or self.config_path,
                              *keys],
                             check=True, capture_output=True, text=True).stdout
        # One line per key, in argument order: pool, key, routing bytes, hash, server, address.
        # Keys are matched by position because locate escapes bytes that are not printable.
        lines = out.splitlines()
        assert len(lines) == len(keys), out
        return {key: line.split("\t")[4] for key, line in zip(keys, lines)}


def write_file_atomically(path, text):
    """Writes `text` to a temporary file beside `path`, then renames it over `path`."""
    temporary = path + ".new"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


def yaml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


class Cluster:
    """N redis servers named s1..sN and one shardis in front of them."""

    def __init__(self, n=3, pool_options=None, process_options=None, args=(), redis_extra=(),
                 listen=None):
        self.dir = tempfile.mkdtemp(prefix="shardis-it-")
        self.redis = [RedisServer(self.dir, extra=redis_extra) for _ in range(n)]
        self.names = [f"s{i + 1}" for i in range(n)]
        self.by_name = dict(zip(self.names, self.redis))
        if listen is not None:
            listen = listen.replace("{dir}", self.dir)
        self.proxy = Shardis(self.dir, list(zip(self.names, self.redis)),
                             pool_options, process_options, args, listen=listen)

    def __enter__(self):
        try:
            for r in self.redis:
                r.start()
            self.proxy.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                self.proxy.stop()
        finally:
            self.cleanup()

    def cleanup(self):
        if self.proxy.proc is not None and self.proxy.proc.poll() is None:
            self.proxy.proc.kill()
            self.proxy.proc.wait()
        for r in self.redis:
            r.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def flushall(self):
        for r in self.redis:
            with r.client() as c:
                c.call("FLUSHALL")
