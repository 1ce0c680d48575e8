"""No loss, no duplicate (issue 15): producers push numbered elements onto lists on three
servers while consumers BLPOP key lists; at the end every element pushed was received exactly
once or is still in a list. A second run kills one backend with SIGKILL in the middle and
restarts it: no element handed to a client is duplicated, and only elements of the killed
server's lists may be missing (what Redis itself loses: these servers persist nothing).

Consumers either wait on lists of one server each (`one server`, a hash tag per group) or on
lists spanning all three (`three servers`, the issue's cross-server algorithm). Sizes:
SHARDIS_LOSS_ELEMENTS (default 20,000) and SHARDIS_LOSS_CONSUMERS (default 20); the figures
are printed (run pytest with -s to see them).
"""
import os
import signal
import threading
import time

import pytest

from harness import Cluster, RawClient, encode_command, wait_until
from test_transactions import spread_keys

ELEMENTS = int(os.environ.get("SHARDIS_LOSS_ELEMENTS", "20000"))
CONSUMERS = int(os.environ.get("SHARDIS_LOSS_CONSUMERS", "20"))
PRODUCERS = 3
BATCH = 50
NIL = b"*-1\r\n"


def bulk_strings(reply):
    """The bulk strings of a flat array reply."""
    lines = reply.split(b"\r\n")
    return [lines[i + 1] for i in range(1, len(lines) - 1, 2) if lines[i].startswith(b"$")]


def list_groups(cluster, span):
    """Lists of the run, and the key list each consumer waits on (rotated, so that every
    list is first for some consumer)."""
    if span == "three servers":
        lists = spread_keys(cluster, "loss", 6)
        return lists, [lists[i % 6:] + lists[:i % 6] for i in range(CONSUMERS)]
    groups = [[f"{{loss{g}}}{c}" for c in "ab"] for g in range(3)]
    return [k for g in groups for k in g], [groups[i % 3][::(-1) ** i] for i in
                                            range(CONSUMERS)]


class Run:
    def __init__(self, cluster, span):
        self.cluster = cluster
        self.lists, self.waits = list_groups(cluster, span)
        self.acknowledged = set()
        self.received = []
        self.errors = 0
        self.last_error = None
        self.lock = threading.Lock()
        self.produced = threading.Event()
        self.halfway = threading.Event()

    def produce(self, first):
        numbers = list(range(first, ELEMENTS, PRODUCERS))
        client = RawClient(self.cluster.proxy.port, timeout=30)
        for start in range(0, len(numbers), BATCH):
            batch = numbers[start:start + BATCH]
            client.send(b"".join(encode_command("RPUSH", self.lists[n % len(self.lists)], n)
                                 for n in batch))
            replies = client.read_replies(len(batch))
            with self.lock:
                self.acknowledged.update(n for n, r in zip(batch, replies) if r[:1] == b":")
                self.errors += sum(r[:1] == b"-" for r in replies)
                if len(self.acknowledged) >= ELEMENTS // 3:
                    self.halfway.set()
        client.close()

    def consume(self, keys):
        client = RawClient(self.cluster.proxy.port, timeout=30)
        mine = []
        deadline = time.monotonic() + 120
        failing_since = None  # errors for 10 s in a row end the consumer (a refusal, not a restart)
        while time.monotonic() < deadline:
            try:
                reply = client.call("BLPOP", *keys, "0.5")
            except OSError:
                client.close()
                time.sleep(0.05)
                client = RawClient(self.cluster.proxy.port, timeout=30)
                continue
            if reply == NIL:
                failing_since = None
                if self.produced.is_set():
                    break
            elif reply.startswith(b"*2\r\n"):
                failing_since = None
                mine.append(int(bulk_strings(reply)[1]))
            else:
                with self.lock:
                    self.errors += 1
                    self.last_error = reply
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > 10:
                    break
                time.sleep(0.05)
        client.close()
        with self.lock:
            self.received.extend(mine)

    def left(self):
        with self.cluster.proxy.client() as c:
            return [int(v) for k in self.lists for v in bulk_strings(c.call("LRANGE", k, 0, -1))]

    def go(self, in_the_middle=None):
        start = time.monotonic()
        consumers = [threading.Thread(target=self.consume, args=(keys,)) for keys in self.waits]
        producers = [threading.Thread(target=self.produce, args=(i,)) for i in range(PRODUCERS)]
        for t in consumers + producers:
            t.start()
        if in_the_middle:
            assert self.halfway.wait(timeout=60)
            in_the_middle()
        for t in producers:
            t.join(timeout=120)
        self.produced.set()
        for t in consumers:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in consumers + producers), "a thread is stuck"
        return time.monotonic() - start


def report(span, run, left, elapsed, extra=""):
    duplicates = len(run.received) - len(set(run.received))
    print(f"\n[blocking loss, {span}{extra}] pushed {ELEMENTS} (acknowledged "
          f"{len(run.acknowledged)}), received {len(run.received)}, left {len(left)}, "
          f"duplicates {duplicates}, errors {run.errors} (last {run.last_error!r}), "
          f"{CONSUMERS} consumers, {elapsed:.1f} s")
    return duplicates


@pytest.mark.parametrize("span", ["one server", "three servers"])
def test_every_element_received_once_or_left(span):
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as cluster:
        run = Run(cluster, span)
        elapsed = run.go()
        left = run.left()
        assert report(span, run, left, elapsed) == 0
        assert not set(run.received) & set(left)
        assert sorted(run.received + left) == sorted(run.acknowledged)
        assert len(run.acknowledged) == ELEMENTS and run.errors == 0


@pytest.mark.parametrize("span", ["one server", "three servers"])
def test_backend_killed_and_restarted_duplicates_nothing(span):
    with Cluster(3, pool_options={"hash_tag": "{}", "timeout": 2000}) as cluster:
        run = Run(cluster, span)
        victim_name = cluster.proxy.locate(run.lists[0])[run.lists[0]]
        victim = cluster.by_name[victim_name]
        on_victim = {k for k, n in cluster.proxy.locate(*run.lists).items() if n == victim_name}

        def kill_and_restart():
            victim.kill(signal.SIGKILL)
            time.sleep(0.3)
            victim.start()
            with cluster.proxy.client() as c:  # the proxy serves the server again
                wait_until(lambda: c.call("LLEN", run.lists[0])[:1] == b":", timeout=10.0,
                           interval=0.1, what=f"{victim_name} served again")

        elapsed = run.go(in_the_middle=kill_and_restart)
        left = run.left()
        assert report(span, run, left, elapsed, f", {victim_name} killed") == 0
        assert not set(run.received) & set(left)
        assert run.received, "no consumer received anything"
        pushed_somewhere = set(range(ELEMENTS))
        assert set(run.received) <= pushed_somewhere
        missing = run.acknowledged - set(run.received) - set(left)
        lost_elsewhere = [n for n in missing if run.lists[n % len(run.lists)] not in on_victim]
        assert not lost_elsewhere, f"{len(lost_elsewhere)} lost from servers not killed"
        print(f"[blocking loss, {span}] lost with {victim_name}: {len(missing)}")
