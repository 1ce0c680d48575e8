#!/usr/bin/env python3
"""Pub/sub fan-out through shardis against direct Redis (issue 16), for
`scripts/bench.sh --pubsub` (standard library only).

--subscribers raw-socket subscribers (spread over --processes client processes, each driving
its sockets with one selector) SUBSCRIBE, and one publisher then PUBLISHes --messages x C
messages (--depth per write, waiting for the replies of each write) round-robin over C
channels: each message reaches subscribers / C subscribers, and every subscriber gets
--messages messages in every row. The clock runs from the publisher's first
write to the moment the last subscriber has every byte it should have: every message frame
of a run is known in advance, so a subscriber checks the bytes it receives against the
expected stream (order and content) instead of parsing them, and stays cheap next to the
servers it measures. Each cell is the median over --rounds rounds (targets interleaved, direct
then shardis). Workloads:

  1 channel     every subscriber on one channel: one PUBLISH, --subscribers deliveries
  C channels    subscriber i on channel i % C; the channels spread over the three servers

Direct Redis runs the same workload on one redis-server: the reference for every row. Each
PUBLISH reply is checked against the count one redis-server gives (subscribers / C). twemproxy
has no pub/sub (nutcracker 0.5 closes the connection on SUBSCRIBE or PUBLISH), so it has no
column. All traffic is loopback.
"""
import argparse
import datetime
import multiprocessing
import os
import platform
import selectors
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_bench import HOST, NAN, cpu_seconds  # noqa: E402
from transactions_bench import Stack, encode, expect_reply, fmt  # noqa: E402

DEADLINE = 120.0  # seconds a round may take, from the first publish to the last byte


def channel_names(stack, count):
    """`count` channel names, taken in turn from each server's share (by `shardis locate`)
    so that several channels spread over the three servers evenly."""
    if count == 1:
        return ["news"]
    candidates = [f"{i}:news" for i in range(32 * count)]
    placed = stack.locate(candidates)
    by_server = {}
    for name in candidates:
        by_server.setdefault(placed[name], []).append(name)
    turns = [by_server[s] for s in sorted(by_server)]
    return [turns[i % len(turns)][i // len(turns)] for i in range(count)]


def payload(k, size):
    return (b"%010d" % k).ljust(size, b"x")


def frame(channel, data):
    c = channel.encode()
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(c), c, len(data), data)


def expected_stream(channels, index, messages, size):
    """The bytes a subscriber of channels[index] receives: messages k = index mod C, in order."""
    return b"".join(frame(channels[index], payload(k, size))
                    for k in range(index, messages, len(channels)))


def subscriber_run(port, channels, indexes, messages, size, ready, start, abort, results):
    """One process: a socket per index (subscribed to channels[index % C]); puts
    (finish time, error) once every socket has its whole stream."""
    sockets, announced = [], False
    try:
        streams = {}
        for i in indexes:
            c = i % len(channels)
            if c not in streams:
                streams[c] = memoryview(expected_stream(channels, c, messages, size))
            s = socket.create_connection((HOST, port), timeout=10)
            sockets.append(s)
            name = channels[c].encode()
            s.sendall(encode("SUBSCRIBE", name))
            expect_reply(s, b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(name), name))
            s.setblocking(False)
        ready.put(None)
        announced = True
        finished = receive(sockets, [streams[i % len(channels)] for i in indexes], start,
                           abort)
        results.put((finished, None))
    except Exception as exc:  # a failed cell is reported, not raised: the other cells go on
        if not announced:
            ready.put(f"{type(exc).__name__}: {exc}")
        results.put((0.0, f"{type(exc).__name__}: {exc}"))
    finally:
        for s in sockets:
            s.close()


def receive(sockets, streams, start, abort):
    """Reads every socket until it has its expected stream; the monotonic time it ended."""
    selector = selectors.DefaultSelector()
    got = {}
    for s, stream in zip(sockets, streams):
        if len(stream):
            selector.register(s, selectors.EVENT_READ, stream)
            got[s] = 0
    start.wait(timeout=60)
    deadline = time.monotonic() + DEADLINE
    finished = time.monotonic()
    while got:
        if abort.is_set():
            raise RuntimeError("the publisher gave up")
        if time.monotonic() > deadline:
            short = sum(len(k.data) - got[k.fileobj] for k in selector.get_map().values())
            raise TimeoutError(f"{len(got)} subscribers still miss {short} bytes")
        for key, _ in selector.select(timeout=1.0):
            s, stream = key.fileobj, key.data
            chunk = s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed by peer")
            at = got[s]
            if stream[at:at + len(chunk)] != chunk:
                raise ValueError(f"unexpected bytes at {at}: {bytes(chunk[:60])!r}")
            got[s] = at + len(chunk)
            if got[s] == len(stream):
                selector.unregister(s)
                del got[s]
                finished = time.monotonic()
    selector.close()
    return finished


def wait_subscribed(port, channels, per_channel, timeout=10.0):
    """Until PUBSUB NUMSUB counts every subscriber (the server's subscription is in place);
    returns a note when it never does."""
    deadline = time.monotonic() + timeout
    want = b"*%d\r\n" % (2 * len(channels)) + b"".join(
        b"$%d\r\n%s\r\n:%d\r\n" % (len(c), c.encode(), per_channel) for c in channels)
    with socket.create_connection((HOST, port), timeout=5) as s:
        while True:
            s.sendall(encode("PUBSUB", "NUMSUB", *channels))
            reply = read_lines(s, 1 + 3 * len(channels))
            if reply == want:
                return None
            if time.monotonic() > deadline:
                return f"PUBSUB NUMSUB answered {reply[:120]!r}, not {want[:120]!r}"
            time.sleep(0.05)


def publish(port, channels, messages, size, depth, per_channel):
    """Publishes every message, `depth` per write; a note on the first unexpected reply.
    Stops at the first error reply (a refused PUBLISH): (note, True)."""
    note = None
    want = b":%d\r\n" % per_channel
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for first in range(0, messages, depth):
            ks = range(first, min(first + depth, messages))
            s.sendall(b"".join(encode("PUBLISH", channels[k % len(channels)], payload(k, size))
                               for k in ks))
            replies = read_lines(s, len(ks))
            if note is None and replies != want * len(ks):
                note = f"PUBLISH answered {replies[:40]!r}, one redis-server {want!r}"
            if replies.startswith(b"-"):
                return note, True
    return note, False


def read_lines(sock, count):
    """`count` lines of replies, or less when the first is an error (a refused command)."""
    data = b""
    while data.count(b"\r\n") < (1 if data.startswith(b"-") else count):
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("publisher closed by peer")
        data += chunk
    return data


def run_cell(port, pids, args, channels):
    """(deliveries per second, published per second, CPU seconds of `pids` per million
    deliveries, note), or nans and the error."""
    ctx = multiprocessing.get_context("fork")
    ready, start, abort, results = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    indexes = [list(range(p, args.subscribers, args.processes)) for p in range(args.processes)]
    messages = args.messages * len(channels)  # each subscriber gets --messages in every row
    procs = [ctx.Process(target=subscriber_run,
                         args=(port, channels, ix, messages, args.payload, ready, start,
                               abort, results)) for ix in indexes]
    for p in procs:
        p.start()
    try:
        per_channel = args.subscribers // len(channels)
        refused = [e for e in (ready.get(timeout=60) for _ in procs) if e]
        note = None if refused else wait_subscribed(port, channels, per_channel)
        cpu = sum(cpu_seconds(pid) for pid in pids)
        start.set()
        began = time.monotonic()
        if refused:
            abort.set()
        else:
            published_note, failed = publish(port, channels, messages, args.payload,
                                             args.depth, per_channel)
            note = published_note or note
            if failed:
                abort.set()
        published = time.monotonic() - began
        outcomes = [results.get(timeout=DEADLINE + 30) for _ in procs]
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    errors = refused + ([note] if abort.is_set() and note else []) + \
        [e for _, e in outcomes if e]
    if errors:
        return NAN, NAN, NAN, errors[0]
    deliveries = messages * per_channel
    elapsed = max(t for t, _ in outcomes) - began
    return deliveries / elapsed, messages / published, cpu * 1e6 / deliveries, note


def measure(stack, args, count):
    """One row: the medians over the rounds of each target's run_cell figures."""
    channels = channel_names(stack, count)
    redis_pids = [proc.pid for proc in stack.procs if proc is not stack.shardis]
    targets = {"direct": (stack.direct_port, [stack.procs[0].pid]),
               "shardis": (stack.port, [stack.shardis.pid, *redis_pids])}
    runs, notes = {name: [] for name in targets}, []
    for _ in range(args.rounds):
        for name, (port, pids) in targets.items():
            *figures, note = run_cell(port, pids, args, channels)
            runs[name].append(figures)
            notes += [f"{name}: {note}"] if note else []
    medians = {name: [statistics.median(f[i] for f in figures) for i in range(3)]
               for name, figures in runs.items()}
    servers = len(set(stack.locate(channels).values()))
    return count, servers, medians, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shardis", required=True)
    parser.add_argument("--results", default="bench/results")
    parser.add_argument("--threads", type=int, default=1, help="shardis --threads")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4, help="subscriber processes")
    parser.add_argument("--messages", type=int, default=4000, help="published per cell")
    parser.add_argument("--payload", type=int, default=64, help="bytes per message")
    parser.add_argument("--depth", type=int, default=100,
                        help="PUBLISHes per write (the publisher waits for their replies)")
    parser.add_argument("--channels", default="1 10", help="channel counts, one row each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 400 messages")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.messages = 1, 400
    counts = [int(c) for c in args.channels.split()]
    for c in counts:
        if c < 1 or args.subscribers % c:
            parser.error(f"--subscribers {args.subscribers} is not a multiple of {c} channels")
    if args.payload < 10:
        parser.error("--payload holds a 10-digit sequence number: 10 bytes at least")

    stack = Stack(args.shardis, args.threads)
    rows = []
    try:
        for count in counts:
            rows.append(measure(stack, args, count))
    finally:
        stack.stop()
    print_table(args, rows)


def print_table(args, rows):
    now = datetime.datetime.now(datetime.timezone.utc)
    lines = [f"# shardis pub/sub benchmark, {now:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
             f"shardis --threads {args.threads} over three redis-servers; {args.subscribers} "
             f"raw-socket subscribers in {args.processes} Python processes on the same cores; "
             f"one publisher, {args.messages:,} messages of {args.payload} bytes per channel "
             f"per cell (each subscriber gets {args.messages:,}), "
             f"{args.depth} PUBLISHes per write; {args.rounds} rounds (median).", "",
             "Deliveries per second: messages received by all subscribers together, from the "
             "first publish to the last byte received. Published per second: PUBLISH replies "
             "received by the publisher. CPU: seconds of the servers' processes per million "
             "deliveries (direct: the redis-server; shardis: shardis and its three "
             "redis-servers). twemproxy has no pub/sub (it closes the connection on SUBSCRIBE "
             "or PUBLISH): not measured.",
             "",
             "| channels (servers) | subscribers per channel | direct Redis deliveries/s | "
             "shardis deliveries/s | ratio | direct Redis published/s | shardis published/s "
             "| direct Redis CPU s per 1M | shardis CPU s per 1M |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    notes = []
    for count, servers, medians, row_notes in rows:
        (d_deliv, d_pub, d_cpu), (p_deliv, p_pub, p_cpu) = medians["direct"], medians["shardis"]
        lines.append(f"| {count} ({servers}) | {args.subscribers // count:,} | {fmt(d_deliv)} | "
                     f"{fmt(p_deliv)} | {ratio(p_deliv, d_deliv)} | {fmt(d_pub)} | "
                     f"{fmt(p_pub)} | {cpu(d_cpu)} | {cpu(p_cpu)} |")
        notes += [f"- {count} channel(s), {n}" for n in dict.fromkeys(row_notes)]
    text = "\n".join(lines + ([""] + notes if notes else [])) + "\n"
    print(text)
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, f"{now:%Y-%m-%d}-{platform.node() or 'host'}-pubsub.md")
    with open(path, "w") as f:
        f.write(text)
    print(f"written to {path}")


def cpu(seconds):
    return "-" if seconds != seconds else f"{seconds:.2f}"


def ratio(proxied, direct):
    return "-" if proxied != proxied or direct != direct else f"{proxied / direct:.2f}"


if __name__ == "__main__":
    main()
