#!/usr/bin/env python3
"""Counts the system calls and mallocs each proxy makes per request, which is where an
unpipelined request's CPU goes (most of it is the kernel's loopback TCP path behind each
read and write). Needs root and `perf` (Debian's linux-perf) for tracepoints and a uprobe on
libc's malloc. All traffic is loopback.

    sudo bench/syscalls_per_request.py --shardis build/release/bin/shardis \
        [--nutcracker /usr/sbin/nutcracker] [--requests 50000]
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_bench import HOST, free_port, mget_args, wait_for_ping  # noqa: E402

SYSCALLS = ["read", "write", "writev", "epoll_wait", "epoll_ctl"]
WORKLOADS = [("GET", ["-t", "get"], 1), ("SET", ["-t", "set"], 1),
             ("GET -P 16", ["-t", "get"], 16), ("MGET 10 keys", mget_args(10), 1)]
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


def ensure_malloc_probe():
    listed = subprocess.run(["perf", "probe", "-l"], capture_output=True, text=True).stdout
    if "probe_libc:malloc" not in listed:
        subprocess.run(["perf", "probe", "-q", "-x", LIBC, "-a", "malloc"], check=True)


def count(pid, port, bench_args, pipeline, requests):
    events = ["probe_libc:malloc"] + [f"syscalls:sys_enter_{s}" for s in SYSCALLS]
    with tempfile.NamedTemporaryFile(mode="r", suffix=".csv") as out:
        stat = subprocess.Popen(["perf", "stat", "-x,", "-e", ",".join(events), "-p", str(pid),
                                 "-o", out.name])
        time.sleep(0.3)
        subprocess.run(["redis-benchmark", "-h", HOST, "-p", str(port), "-c", "50", "-n",
                        str(requests), "-r", "100000", "-P", str(pipeline), "-q"] + bench_args,
                       capture_output=True, check=True, timeout=600)
        stat.send_signal(2)
        stat.wait()
        counts = {}
        for line in out:
            fields = line.split(",")
            if len(fields) > 3 and fields[0].isdigit():
                name = fields[2].split(":")[1].replace("sys_enter_", "")
                counts[name] = int(fields[0]) / requests
    return counts


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu(proxy_pid, shard_pids, port, requests):
    """CPU µs per unpipelined GET of the proxy, the shards and redis-benchmark: on a box whose
    cores they share, throughput follows their sum."""
    proxy, shards = cpu_seconds(proxy_pid), sum(cpu_seconds(p) for p in shard_pids)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["redis-benchmark", "-h", HOST, "-p", str(port), "-c", "50", "-n",
                    str(requests), "-r", "100000", "-t", "get", "-q"],
                   capture_output=True, check=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    bench = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    proxy = cpu_seconds(proxy_pid) - proxy
    shards = sum(cpu_seconds(p) for p in shard_pids) - shards
    return [seconds * 1e6 / requests for seconds in (proxy, shards, bench)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shardis", required=True)
    parser.add_argument("--nutcracker", default="")
    parser.add_argument("--requests", type=int, default=50000)
    args = parser.parse_args()
    ensure_malloc_probe()
    work = tempfile.mkdtemp(prefix="shardis-syscalls-")
    procs = []
    try:
        shards = [free_port() for _ in range(3)]
        for port in shards:
            procs.append(subprocess.Popen(
                ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--dir", work],
                stdout=subprocess.DEVNULL))
            wait_for_ping(port, procs[-1])
        shard_pids = [proc.pid for proc in procs]
        pool = ("  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  servers:\n" +
                "".join(f"    - {HOST}:{p}:1 s{i}\n" for i, p in enumerate(shards)))
        proxies = [("shardis", [args.shardis, "--threads", "1", "--log-level", "warn"])]
        if args.nutcracker:
            proxies.insert(0, ("twemproxy", [args.nutcracker, "-v", "0"]))
        print("| workload | proxy | malloc | " + " | ".join(SYSCALLS) + " | syscalls |")
        print("| --- | --- |" + " ---: |" * (len(SYSCALLS) + 2))
        whole = []
        for name, cmd in proxies:
            port = free_port()
            conf = os.path.join(work, f"{name}.yml")
            with open(conf, "w") as f:
                f.write(f"bench:\n  listen: {HOST}:{port}\n" + pool)
            proc = subprocess.Popen(cmd + ["-c", conf, "-s", str(free_port())])
            procs.append(proc)
            wait_for_ping(port, proc)
            for workload, bench_args, pipeline in WORKLOADS:
                c = count(proc.pid, port, bench_args, pipeline, args.requests)
                cells = " | ".join(f"{c.get(s, 0):.2f}" for s in ["malloc"] + SYSCALLS)
                total = sum(c.get(s, 0) for s in SYSCALLS)
                print(f"| {workload} | {name} | {cells} | {total:.2f} |", flush=True)
            whole.append((name, machine_cpu(proc.pid, shard_pids, port, 4 * args.requests)))
        print("\n| unpipelined GET through | proxy µs | shards µs | redis-benchmark µs | all µs |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, (proxy, shards, bench) in whole:
            print(f"| {name} | {proxy:.1f} | {shards:.1f} | {bench:.1f} | "
                  f"{proxy + shards + bench:.1f} |")
    finally:
        for proc in reversed(procs):  # the proxies before their servers
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
