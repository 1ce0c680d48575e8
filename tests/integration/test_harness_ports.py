"""The harness's free ports are unique across the test files CTest runs in parallel.

A port a test file was handed stays free until its server starts, and a test that kills a
server to restart it on the same port, or keeps an address closed on purpose, leaves it free
for a while; another test file must not take it then (CI saw a redis-server of test_sentinel
exit at start, its port taken by a test running beside it).
"""
import os
import subprocess
import sys
import textwrap

import harness

HOLDER = textwrap.dedent("""
    import sys
    import harness
    print(harness.free_port(), flush=True)
    sys.stdin.read()  # holds the port, nothing listening on it, until the test closes stdin
""")


def start_holder():
    """A second test process that holds one free port; returns it and the port."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(harness.__file__))
    return holder, int(holder.stdout.readline())


class _Draws:
    """Stands in for the harness's random source: draws the given ports first, in order."""

    def __init__(self, ports):
        self.ports = list(ports)
        self.rest = harness._random

    def randint(self, low, high):
        if not self.ports:
            return self.rest.randint(low, high)
        port = self.ports.pop(0)
        assert low <= port <= high
        return port


def test_a_port_another_test_process_holds_is_not_handed_out(monkeypatch):
    holder, held = start_holder()
    try:
        monkeypatch.setattr(harness, "_random", _Draws([held]))
        assert harness.free_port() != held
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_port_is_free_again_once_its_holder_exits(monkeypatch):
    holder, held = start_holder()
    holder.stdin.close()
    holder.wait(timeout=10)
    monkeypatch.setattr(harness, "_random", _Draws([held]))
    assert harness.free_port() == held
