#!/usr/bin/env python3
"""Transactions per second through shardis against direct Redis (issue 14), for
`scripts/bench.sh --transactions` (standard library only).

Each transaction is MULTI, SET, SET, GET, EXEC on raw sockets. Every reply of a run is known
in advance (the GET reads a value written before the run), so a client checks the bytes it
receives against the expected stream instead of parsing them, and the Python clients stay
cheap next to the servers they measure. Each cell runs --processes client processes, one
connection each, sending --depth transactions per write, and is the median over --rounds
rounds (targets interleaved, direct then shardis). Workloads:

  one server    the three keys share a hash tag: the whole transaction runs on one server
  cross-server  the three keys live on three servers (picked with `shardis locate`)

Direct Redis runs the same transaction on one redis-server: the reference for both rows.
The stats port's per-server `server_connections_total` is read before and after each
shardis run: the connections opened while it ran, which must stay flat (0 or a few) however
many transactions run. All traffic is loopback.
"""
import argparse
import datetime
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_bench import HOST, free_port, stop_all, wait_for_ping  # noqa: E402

VALUE = b"v"


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def transaction(keys):
    """(request bytes, expected reply bytes) of one 3-command transaction on keys[0..2]."""
    request = (encode("MULTI") + encode("SET", keys[0], VALUE) + encode("SET", keys[1], VALUE)
               + encode("GET", keys[2]) + encode("EXEC"))
    reply = (b"+OK\r\n" + b"+QUEUED\r\n" * 3 + b"*3\r\n+OK\r\n+OK\r\n$%d\r\n%s\r\n"
             % (len(VALUE), VALUE))
    return request, reply


def client_run(port, keys, count, depth, start, results):
    """One connection: `count` transactions, `depth` per write; puts (seconds, error)."""
    request, reply = transaction(keys)
    try:
        with socket.create_connection((HOST, port), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            start.wait()
            began = time.monotonic()
            done = 0
            while done < count:
                n = min(depth, count - done)
                s.sendall(request * n)
                expect_reply(s, reply * n)
                done += n
            results.put((time.monotonic() - began, None))
    except Exception as exc:  # a failed cell is reported, not raised: the other cells go on
        results.put((0.0, f"{type(exc).__name__}: {exc}"))


def expect_reply(sock, expected):
    got = 0
    while got < len(expected):
        chunk = sock.recv(min(1 << 16, len(expected) - got))
        if not chunk:
            raise ConnectionError("closed by peer")
        if chunk != expected[got:got + len(chunk)]:
            raise ValueError(f"unexpected reply {chunk[:80]!r}")
        got += len(chunk)


def run_cell(port, keys_per_client, count, depth):
    """Transactions per second over every client, or (nan, error)."""
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=client_run, args=(port, keys, count, depth, start, results))
             for keys in keys_per_client]
    for p in procs:
        p.start()
    time.sleep(0.2)  # every client connected before the clock starts
    began = time.monotonic()
    start.set()
    outcomes = [results.get(timeout=300) for _ in procs]
    elapsed = time.monotonic() - began
    for p in procs:
        p.join(timeout=10)
    errors = [e for _, e in outcomes if e]
    if errors:
        return float("nan"), errors[0]
    return count * len(procs) / elapsed, None


class Stack:
    """Three redis-server shards and shardis in front of them."""

    def __init__(self, shardis, threads):
        self.dir = tempfile.mkdtemp(prefix="shardis-txbench-")
        self.procs = []
        self.shard_ports = [free_port() for _ in range(3)]
        for port in self.shard_ports:
            self.spawn(["redis-server", "--bind", HOST, "--port", str(port), "--save", "",
                        "--appendonly", "no", "--dir", self.dir], port)
        self.direct_port = self.shard_ports[0]
        self.port, self.stats_port = free_port(), free_port()
        self.conf = os.path.join(self.dir, "shardis.yml")
        servers = "".join(f"    - {HOST}:{p}:1 s{i + 1}\n" for i, p in enumerate(self.shard_ports))
        with open(self.conf, "w") as f:
            f.write(f"bench:\n  listen: {HOST}:{self.port}\n  hash: fnv1a_64\n"
                    f"  distribution: ketama\n  hash_tag: \"{{}}\"\n  timeout: 2000\n"
                    f"  servers:\n{servers}")
        self.shardis_bin = shardis
        self.shardis = self.spawn([shardis, "-c", self.conf, "-s", str(self.stats_port),
                                   "--threads", str(threads), "--log-level", "warn"], self.port)

    def spawn(self, cmd, port):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for_ping(port, proc)
        return proc

    def locate(self, keys):
        out = subprocess.run([self.shardis_bin, "locate", "-c", self.conf, *keys], check=True,
                             capture_output=True, text=True).stdout.splitlines()
        return {key: line.split("\t")[4] for key, line in zip(keys, out)}

    def connections_opened(self):
        """{server: server_connections_total} from the stats port, or None without it."""
        with socket.create_connection((HOST, self.stats_port), timeout=5) as s:
            doc = json.loads(b"".join(iter(lambda: s.recv(65536), b"")))
        pool = doc["bench"]
        servers = [f"s{i + 1}" for i in range(len(self.shard_ports))]
        if any("server_connections_total" not in pool[name] for name in servers):
            return None
        return {name: pool[name]["server_connections_total"] for name in servers}

    def stop(self):
        stop_all(self.procs, self.dir)


def workload_keys(stack, processes):
    """{workload: [keys of each client]}: per client, one hash tag, or three keys on three
    servers."""
    one = [[f"{{c{i}}}a", f"{{c{i}}}b", f"{{c{i}}}c"] for i in range(processes)]
    candidates = [f"{i}:tx" for i in range(64 * processes)]
    placed = stack.locate(candidates)
    by_server = {}
    for key in candidates:
        by_server.setdefault(placed[key], []).append(key)
    assert len(by_server) == 3, "the cross-server keys need three servers"
    cross = [[by_server[s].pop() for s in sorted(by_server)] for _ in range(processes)]
    return {"one server": one, "cross-server": cross}


def seed(port, keys_per_client):
    with socket.create_connection((HOST, port), timeout=5) as s:
        for keys in keys_per_client:
            s.sendall(encode("SET", keys[2], VALUE))
            expect_reply(s, b"+OK\r\n")


def fmt(value):
    return "failed" if value != value else f"{value:,.0f}"


def measure(stack, args, workload, keys, depth):
    direct, proxied, opened, error = [], [], {}, None
    for _ in range(args.rounds):
        rate, _err = run_cell(stack.direct_port, keys, args.transactions, depth)
        direct.append(rate)
        before = stack.connections_opened()
        rate, err = run_cell(stack.port, keys, args.transactions, depth)
        proxied.append(rate)
        error = error or err
        time.sleep(1.1)  # the stats publisher runs once a second
        after = stack.connections_opened()
        if before is not None and after is not None:
            for name in after:
                opened[name] = opened.get(name, 0) + after[name] - before[name]
    return (workload, depth, statistics.median(direct), statistics.median(proxied), opened,
            error)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shardis", required=True)
    parser.add_argument("--results", default="bench/results")
    parser.add_argument("--threads", type=int, default=1, help="shardis --threads")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--transactions", type=int, default=5000,
                        help="transactions per client process per cell")
    parser.add_argument("--depths", default="1 16", help="transactions per write")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 1,000 per client")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.transactions = 1, 1000

    stack = Stack(args.shardis, args.threads)
    rows = []
    try:
        for workload, keys in workload_keys(stack, args.processes).items():
            seed(stack.direct_port, keys)
            seed(stack.port, keys)
            for depth in (int(d) for d in args.depths.split()):
                rows.append(measure(stack, args, workload, keys, depth))
    finally:
        stack.stop()
    print_table(args, rows)


def print_table(args, rows):
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [f"# shardis transactions benchmark, {now:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
             f"shardis --threads {args.threads}; {args.processes} client processes x "
             f"{args.transactions} transactions of MULTI SET SET GET EXEC per cell, "
             f"{args.rounds} rounds (median).", "",
             "| workload | tx per write | direct Redis tx/s | shardis tx/s | ratio | "
             "connections opened during the shardis runs (s1/s2/s3) |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    errors = []
    for workload, depth, direct, proxied, opened, error in rows:
        ratio = "-" if proxied != proxied else f"{proxied / direct:.2f}"
        conns = "/".join(str(opened[n]) for n in sorted(opened)) if opened else "n/a"
        lines.append(f"| {workload} | {depth} | {fmt(direct)} | {fmt(proxied)} | {ratio} | "
                     f"{conns} |")
        if error:
            errors.append(f"- {workload}, {depth} per write: shardis failed: {error}")
    text = "\n".join(lines + ([""] + errors if errors else [])) + "\n"
    print(text)
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results,
                        f"{now:%Y-%m-%d}-{platform.node() or 'host'}-transactions.md")
    with open(path, "w") as f:
        f.write(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
