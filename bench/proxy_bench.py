#!/usr/bin/env python3
"""Drives the side-by-side benchmark for scripts/bench.sh (standard library only).

Targets run in the order A B C A B C ... (direct Redis, twemproxy, shardis) so that drift of the
machine hits each alike; each cell is the median over the rounds. CPU cost is read from
/proc/PID/stat (utime + stime) around each run of the proxy process. All traffic is loopback.
"""
import argparse
import csv
import datetime
import io
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NAN = float("nan")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for_ping(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")  # twemproxy has no inline commands
                if s.recv(16) == b"+PONG\r\n":
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"nothing answered PING on {port}")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def worker_cpu_seconds(pid):
    """CPU seconds of each shardis worker thread (named shardis-wN), from /proc/PID/task."""
    seconds = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        if name.startswith("shardis-w"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            seconds[name] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return seconds


def mget_args(n):
    return ["mget"] + ["key:__rand_int__"] * n


# name, redis-benchmark arguments, pipeline depth
WORKLOADS = [
    ("GET", ["-t", "get"], 1),
    ("SET", ["-t", "set"], 1),
    ("GET -P 16", ["-t", "get"], 16),
    ("SET -P 16", ["-t", "set"], 16),
    ("MSET 10 keys", ["-t", "mset"], 1),
    ("MGET 10 keys", mget_args(10), 1),
    ("MGET 10 keys -P 16", mget_args(10), 16),
    ("MGET 100 keys", mget_args(100), 1),
]

# The GET and SET rows again with redis-benchmark -3: every connection opens with HELLO 3 and
# reads RESP3 replies. Twemproxy has no RESP3, so it sits these out.
RESP3_WORKLOADS = [(f"{name} RESP3", ["-3", *args], pipeline)
                   for name, args, pipeline in WORKLOADS if name.split()[0] in ("GET", "SET")]
ALL_WORKLOADS = WORKLOADS + RESP3_WORKLOADS
NO_RESP3 = "n/a: no RESP3"


def hello3_refusal(port):
    """None when the target answers HELLO 3 with a map, else what it answered instead (a
    proxy without RESP3 says -NOPROTO): its RESP3 cells say so instead of failing."""
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        reply = s.recv(4096)
    if reply.startswith(b"%"):
        return None
    first = reply.split(b"\r\n", 1)[0].decode(errors="replace") or "connection closed"
    return f"refuses HELLO 3 ({first})"


def run_benchmark(port, args, pipeline, requests, clients):
    cmd = ["redis-benchmark", "-h", HOST, "-p", str(port), "-c", str(clients), "-n",
           str(requests), "-r", "100000", "-P", str(pipeline), "--csv"]
    # `args` is either "-t NAME" or a custom command; both go last.
    run = subprocess.run(cmd + args, capture_output=True, text=True, timeout=600)
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    if run.returncode != 0 or not rows:
        # redis-benchmark stops at the first error reply: the cell shows that it failed.
        reason = (run.stderr or run.stdout).strip().splitlines()
        print(f"  port {port} {' '.join(args[:3])}: failed: {reason[-1] if reason else '?'}")
        return NAN, NAN, NAN
    row = rows[-1]
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])



def stop_all(procs, directory):
    """SIGTERM to every process (last started first), SIGKILL after 10 s; removes `directory`."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(directory, ignore_errors=True)

class Stack:
    """Three redis shards, twemproxy and shardis, sharing one YAML pool definition."""

    def __init__(self, args, threads):
        self.dir = tempfile.mkdtemp(prefix="shardis-bench-")
        self.args = args
        self.threads = threads
        self.procs = []

    def spawn(self, cmd, port):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for_ping(port, proc)
        return proc

    def start(self):
        shard_ports = [free_port() for _ in range(3)]
        for port in shard_ports:
            self.spawn(["redis-server", "--bind", HOST, "--port", str(port), "--save", "",
                        "--appendonly", "no", "--dir", self.dir], port)
        self.direct_port = shard_ports[0]
        self.twemproxy_port, self.shardis_port = free_port(), free_port()
        servers = "".join(f"    - {HOST}:{p}:1 s{i + 1}\n" for i, p in enumerate(shard_ports))
        pool = ("  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n"
                "  timeout: 2000\n  server_connections: 1\n  servers:\n" + servers)
        twem_conf = os.path.join(self.dir, "nutcracker.yml")
        with open(twem_conf, "w") as f:
            f.write(f"bench:\n  listen: {HOST}:{self.twemproxy_port}\n" + pool)
        shardis_conf = os.path.join(self.dir, "shardis.yml")
        with open(shardis_conf, "w") as f:
            # Room for the memory run's idle clients (Redis's default maxclients is 10,000).
            f.write(f"shardis:\n  max_clients: {IDLE_CLIENTS + 100}\n"
                    f"bench:\n  listen: {HOST}:{self.shardis_port}\n" + pool)
        self.twemproxy = None
        if self.args.nutcracker:
            self.twemproxy = self.spawn(
                [self.args.nutcracker, "-c", twem_conf, "-s", str(free_port()),
                 "-o", os.path.join(self.dir, "nutcracker.log")], self.twemproxy_port)
        self.shardis = self.spawn(
            [self.args.shardis, "-c", shardis_conf, "-s", str(free_port()),
             "--threads", str(self.threads), "--log-level", "warn"], self.shardis_port)
        # The same binary with counting off, on a pool of its own, for the cost of the stats.
        self.shardis_nostats = None
        if self.args.stats_compare:
            self.nostats_port = free_port()
            nostats_conf = os.path.join(self.dir, "shardis-nostats.yml")
            with open(nostats_conf, "w") as f:
                f.write(f"bench:\n  listen: {HOST}:{self.nostats_port}\n" + pool)
            self.shardis_nostats = self.spawn(
                [self.args.shardis, "-c", nostats_conf, "--stats", "off",
                 "--threads", str(self.threads), "--log-level", "warn"], self.nostats_port)

    def targets(self):
        yield "redis", self.direct_port, None
        if self.twemproxy:
            yield "twemproxy", self.twemproxy_port, self.twemproxy
        yield "shardis", self.shardis_port, self.shardis
        if self.shardis_nostats:
            yield "shardis stats off", self.nostats_port, self.shardis_nostats

    def stop(self):
        stop_all(self.procs, self.dir)


IDLE_CLIENTS = 10000
VALUE_BYTES = 1_000_000  # the value the memory run's pipelined GETs read back
GETS_PER_BATCH, BATCHES = 50, 10  # 500 MB through the proxy, 50 MB in flight at a time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def read_exactly(sock, n):
    got = 0
    while got < n:
        chunk = sock.recv(min(1 << 20, n - got))
        if not chunk:
            raise ConnectionError("the proxy closed the connection")
        got += len(chunk)


def memory_of(port, proc):
    """RSS before clients, per idle client (IDLE_CLIENTS connected, every hundredth having
    sent one SET), at the end of 500 MB of pipelined GETs of a 1 MB value, and 10 s later."""
    base = rss_kib(proc.pid)
    idle = []
    try:
        for i in range(IDLE_CLIENTS):
            s = socket.create_connection((HOST, port))
            idle.append(s)
            if i % 100 == 0:
                s.sendall(b"*3\r\n$3\r\nSET\r\n$6\r\nidle%02d\r\n$1\r\nx\r\n" % (i // 100 % 100))
                read_exactly(s, 5)
        time.sleep(1)
        idle_kib = rss_kib(proc.pid)
        with socket.create_connection((HOST, port)) as c:
            c.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" %
                      (VALUE_BYTES, b"x" * VALUE_BYTES))
            read_exactly(c, 5)
            batch = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * GETS_PER_BATCH
            reply_bytes = len(b"$%d\r\n" % VALUE_BYTES) + VALUE_BYTES + 2
            for _ in range(BATCHES):
                c.sendall(batch)
                read_exactly(c, GETS_PER_BATCH * reply_bytes)
            loaded = rss_kib(proc.pid)
        time.sleep(10)
        after = rss_kib(proc.pid)
    finally:
        for s in idle:
            s.close()
    return base, (idle_kib - base) * 1024 / IDLE_CLIENTS, loaded, after, idle_kib


def memory_table(stack, threads):
    lines = [f"Memory, shardis --threads {threads}: {IDLE_CLIENTS:,} idle clients, then "
             f"{GETS_PER_BATCH * BATCHES * VALUE_BYTES // 10**6} MB of pipelined GETs of a "
             "1 MB value; RSS from /proc/PID/status", "",
             "| proxy | RSS before clients | bytes per idle client | RSS at end of load "
             "| RSS 10 s later | later / idle RSS |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, port, proc in stack.targets():
        if proc is None or name not in ("twemproxy", "shardis"):
            continue
        base, per_client, loaded, after, idle = memory_of(port, proc)
        lines.append(f"| {name} | {base / 1024:.1f} MB | {per_client:,.0f} | "
                     f"{loaded / 1024:.1f} MB | {after / 1024:.1f} MB | {after / idle:.2f} |")
    return "\n".join(lines)


def resp3_skips(stack):
    """{target: why its RESP3 cells stay empty} for the targets that cannot run them."""
    skips = {}
    for target, port, _ in stack.targets():
        reason = NO_RESP3 if target == "twemproxy" else hello3_refusal(port)
        if reason:
            skips[target] = reason
    return skips


def measure(stack, args, skips):
    results = {}  # (workload, target) -> list of (rps, p50, p99, cpu_us_per_request)
    for name, bench_args, pipeline in ALL_WORKLOADS:
        requests = args.requests // (10 if "100 keys" in name else 1)
        for _ in range(args.rounds):
            for target, port, proc in stack.targets():
                if (name, bench_args, pipeline) in RESP3_WORKLOADS and target in skips:
                    continue
                before = cpu_seconds(proc.pid) if proc else 0.0
                rps, p50, p99 = run_benchmark(port, bench_args, pipeline, requests, args.clients)
                cpu = (cpu_seconds(proc.pid) - before) if proc else float("nan")
                results.setdefault((name, target), []).append(
                    (rps, p50, p99, cpu * 1e6 / requests))
    return results


def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def table(results, targets, threads, skips):
    lines = [f"shardis --threads {threads} ({'cores' if threads == 0 else threads}); "
             "medians; CPU = proxy CPU seconds per million requests",
             "",
             "| workload | target | requests/s | p50 ms | p99 ms | CPU s/M req | "
             "shardis/twemproxy req/s | shardis/twemproxy CPU |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, _, _ in ALL_WORKLOADS:
        cells = {t: [median(col) for col in zip(*results.get((name, t), [(NAN,) * 4]))]
                 for t in targets}
        resp3 = name.endswith(" RESP3")
        for t in targets:
            rps, p50, p99, cpu = cells[t]
            ratio = cpu_ratio = ""
            if resp3 and t in skips:
                lines.append(f"| {name} | {t} | {skips[t]} | | | | | |")
                continue
            if t == "shardis" and resp3 and "twemproxy" in cells:
                ratio = cpu_ratio = "n/a"  # twemproxy has no RESP3 row to divide by
            elif t == "shardis" and "twemproxy" in cells:
                ratio = f"{rps / cells['twemproxy'][0]:.2f}"
                cpu_ratio = f"{cpu / cells['twemproxy'][3]:.2f}"
            if rps != rps:
                lines.append(f"| {name} | {t} | failed | | | | | |")
                continue
            cpu_text = "" if cpu != cpu else f"{cpu:.1f}"
            lines.append(f"| {name} | {t} | {rps:,.0f} | {p50:.3f} | {p99:.3f} | {cpu_text} | "
                         f"{ratio} | {cpu_ratio} |")
    return "\n".join(lines)


def rate(rps):
    return "failed" if rps != rps else f"{rps:,.0f}"


def resp3_table(results, skips):
    """RESP3 against RESP2 for direct Redis and shardis, and shardis/redis in each protocol:
    what the proxy's RESP3 path costs beyond what RESP3 costs Redis itself."""
    lines = ["RESP3 (redis-benchmark -3) beside RESP2; medians; requests/s",
             "",
             "| workload | redis RESP2 | redis RESP3 | shardis RESP2 | shardis RESP3 | "
             "shardis/redis RESP2 | shardis/redis RESP3 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, _, _ in RESP3_WORKLOADS:
        resp2 = name.removesuffix(" RESP3")
        rps = {(t, proto): median([r[0] for r in results.get((n, t), [])])
               for t in ("redis", "shardis") for proto, n in (("2", resp2), ("3", name))}
        cells = []
        for t in ("redis", "shardis"):
            cells += [rate(rps[(t, "2")]), skips.get(t) or rate(rps[(t, "3")])]
        for proto in "23":
            ratio = rps[("shardis", proto)] / rps[("redis", proto)]
            cells.append("n/a" if ratio != ratio else f"{ratio:.2f}")
        lines.append(f"| {resp2} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stats_table(results, skips):
    """What counting costs: shardis against itself with --stats off."""
    lines = ["Cost of the stats: shardis (stats on) against shardis --stats off; medians",
             "",
             "| workload | stats on req/s | stats off req/s | throughput cost | "
             "CPU on s/M req | CPU off s/M req |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, _, _ in ALL_WORKLOADS:
        on = [median(col) for col in zip(*results.get((name, "shardis"), [(NAN,) * 4]))]
        off = [median(col) for col in
               zip(*results.get((name, "shardis stats off"), [(NAN,) * 4]))]
        skipped = name.endswith(" RESP3") and skips.get("shardis")
        if skipped or on[0] != on[0] or off[0] != off[0]:
            lines.append(f"| {name} | {skipped or 'failed'} | | | | |")
            continue
        cost = (off[0] - on[0]) / off[0] * 100
        lines.append(f"| {name} | {on[0]:,.0f} | {off[0]:,.0f} | {cost:+.1f}% | "
                     f"{on[3]:.1f} | {off[3]:.1f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shardis", required=True)
    parser.add_argument("--nutcracker", default="")
    parser.add_argument("--results", default="bench/results")
    parser.add_argument("--threads", default="1 0", help="shardis thread settings to run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="1 round of 20,000 requests")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the idle-client and after-load memory run")
    parser.add_argument("--stats-compare", action="store_true",
                        help="also run shardis --stats off and print the cost of counting")
    args = parser.parse_args()
    # The memory run holds IDLE_CLIENTS sockets; the proxies inherit the raised limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE_CLIENTS + 1000 and not args.no_memory:
        parser.error(f"the memory run needs {IDLE_CLIENTS + 1000} file descriptors "
                     f"(ulimit -Hn is {hard}); pass --no-memory")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.quick:
        args.rounds, args.requests = 1, 20000

    now = datetime.datetime.now(datetime.timezone.utc)
    header = (f"# shardis benchmark, {now:%Y-%m-%d %H:%M} UTC\n\n"
              f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
              f"{platform.platform()}; redis-benchmark -c {args.clients} -r 100000, "
              f"{args.requests} requests per run (MGET 100: a tenth), {args.rounds} rounds, "
              "targets interleaved A B C.\n")
    sections = [header]
    for threads in (int(t) for t in args.threads.split()):
        stack = Stack(args, threads)
        try:
            stack.start()
            targets = [t for t, _, _ in stack.targets()]
            # Memory first, on fresh processes: what an idle client costs, not what it reuses.
            memory = None if args.no_memory else memory_table(stack, threads)
            skips = resp3_skips(stack)
            cpu_before = worker_cpu_seconds(stack.shardis.pid)
            results = measure(stack, args, skips)
            # How the work split over the workers: each uses a core of its own when there is one.
            workers = {name: seconds - cpu_before.get(name, 0.0)
                       for name, seconds in worker_cpu_seconds(stack.shardis.pid).items()}
        finally:
            stack.stop()
        section = table(results, targets, threads, skips)
        section += "\n\n" + resp3_table(results, skips)
        section += "\n\nshardis CPU seconds per worker thread over the run: " + ", ".join(
            f"{name} {seconds:.1f}" for name, seconds in sorted(workers.items()))
        if memory:
            section += "\n\n" + memory
        if args.stats_compare:
            section += "\n\n" + stats_table(results, skips)
        print(section + "\n", flush=True)
        sections.append(section + "\n")
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, f"{now:%Y-%m-%d}-{platform.node() or 'host'}.md")
    with open(path, "w") as f:
        f.write("\n".join(sections))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
