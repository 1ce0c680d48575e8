"""The log an operator reads: one line per event that matters (listen, a server down, up,
ejected, returned), none per request at the default level; SIGHUP reopens the file for
logrotate; SIGTTIN/SIGTTOU make it more or less verbose, as twemproxy does."""
import os
import re
import signal
import time

from harness import Cluster, wait_until


def logged_cluster(n=2, **kwargs):
    c = Cluster(n, **kwargs)
    c.log_path = os.path.join(c.dir, "shardis.log")
    c.proxy.args += ["-o", c.log_path]
    return c


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for_line(path, text, what=None):
    wait_until(lambda: text in read(path), timeout=5.0, interval=0.05,
               what=what or f"{text!r} in {path}")


def wait_for_down(path, name):
    """The one warning for a server going down. Its cause depends on how far the dying
    server got (refused, reset, closed with the proxy's PING in flight)."""
    pattern = re.compile(rf"\[warning\] .* server {name}: .* \(down; retrying\)")
    wait_until(lambda: pattern.search(read(path)), timeout=5.0, interval=0.05,
               what=f"server {name} logged down")


def key_on(cluster, name):
    candidates = [f"key:{i}" for i in range(300)]
    placed = cluster.proxy.locate(*candidates)
    return next(key for key in candidates if placed[key] == name)


def test_listen_and_no_line_per_request():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        text = read(c.log_path)
        assert f"listening on 127.0.0.1:{c.proxy.port} (2 server(s))" in text
        before = len(read(c.log_path).splitlines())
        with c.proxy.client() as cl:
            for i in range(200):
                assert cl.call("SET", f"k{i}", "v") == b"+OK\r\n"
                cl.call("NOSUCHCOMMAND")
        time.sleep(0.3)
        assert len(read(c.log_path).splitlines()) == before, read(c.log_path)


def test_server_down_and_up_are_one_line_each():
    with logged_cluster() as c:
        key = key_on(c, "s1")
        with c.proxy.client() as cl:
            assert cl.call("SET", key, "v") == b"+OK\r\n"
            c.by_name["s1"].kill()
            wait_for_down(c.log_path, "s1")
            # The background redials while it stays down add nothing at the default level.
            time.sleep(1.5)
            assert read(c.log_path).count("server s1:") == 1, read(c.log_path)
            c.by_name["s1"].start()
            wait_for_line(c.log_path, "server s1: up (connected after a failure)")
            wait_until(lambda: cl.call("GET", key) == b"$-1\r\n", timeout=5.0,
                       what="s1 answering through the proxy")


def test_ejection_and_return_name_their_cause():
    options = {"auto_eject_hosts": True, "server_failure_limit": 1,
               "server_retry_timeout": 1000}
    with logged_cluster(pool_options=options) as c:
        key = key_on(c, "s2")
        with c.proxy.client() as cl:
            assert cl.call("SET", key, "v") == b"+OK\r\n"
            c.by_name["s2"].kill()
            wait_for_line(c.log_path, "server s2 ejected for 1000 ms after 1 failure(s) in a "
                                      "row; last: server s2: ")
            c.by_name["s2"].start()
            wait_for_line(c.log_path, "server s2 returned to the ring (server_retry_timeout "
                                      "passed and it answers)")


def test_sighup_reopens_the_log_file():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        rotated = c.log_path + ".1"
        os.rename(c.log_path, rotated)
        c.proxy.proc.send_signal(signal.SIGHUP)
        wait_for_line(c.log_path, "received SIGHUP; log file reopened",
                      "a new log file at the old path")
        assert "serving with" in read(rotated)
        assert "serving with" not in read(c.log_path)
        # Events after the rotation land in the new file only.
        key = key_on(c, "s1")
        with c.proxy.client() as cl:
            assert cl.call("SET", key, "v") == b"+OK\r\n"
        c.by_name["s1"].kill()
        wait_for_down(c.log_path, "s1")
        assert "down; retrying" not in read(rotated)
        c.by_name["s1"].start()


def test_sigttin_and_sigttou_step_the_level():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        proc = c.proxy.proc
        proc.send_signal(signal.SIGTTOU)
        wait_for_line(c.log_path, "received SIGTTOU; log level is now warning")
        # At warning, the info line that SIGHUP writes is not there.
        proc.send_signal(signal.SIGHUP)
        proc.send_signal(signal.SIGTTIN)
        wait_for_line(c.log_path, "received SIGTTIN; log level is now info")
        assert "log file reopened" not in read(c.log_path)
        proc.send_signal(signal.SIGHUP)
        wait_for_line(c.log_path, "log file reopened")
        # One more step shows debug lines: a dead server's quiet redials.
        proc.send_signal(signal.SIGTTIN)
        wait_for_line(c.log_path, "log level is now debug")
        key = key_on(c, "s2")
        with c.proxy.client() as cl:
            assert cl.call("SET", key, "v") == b"+OK\r\n"
        c.by_name["s2"].kill()
        wait_for_line(c.log_path, "(still down)")
        c.by_name["s2"].start()
