"""Signals an operator (or a bug) may send the running proxy: SIGUSR1 reloads the config, as
in twemproxy (test_reload.py has the details), SIGUSR2 is logged and ignored; a fatal signal
writes one note and a backtrace to the log, as twemproxy does, and the process still dies of
that signal."""
import os
import re
import signal

from harness import Cluster, wait_until

# backtrace_symbols_fd() writes one frame per line: "binary(function+0x1f) [0x55d0c1a2b3c4]".
FRAME = re.compile(r"^\S.*\[0x[0-9a-f]+\]$", re.MULTILINE)


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def logged_cluster(**kwargs):
    c = Cluster(1, **kwargs)
    c.log_path = os.path.join(c.dir, "shardis.log")
    c.proxy.args += ["-o", c.log_path]
    return c


def wait_for_line(path, text):
    wait_until(lambda: text in read(path), timeout=5.0, interval=0.05, what=f"{text!r} in {path}")


def wait_for_death(proxy):
    """The exit status of a proxy that is expected to die; afterwards the harness's stop()
    has nothing left to check."""
    proxy.proc.wait(timeout=20)
    rc = proxy.proc.returncode
    proxy.stderr.close()
    proxy.proc = None
    return rc


def test_sigusr1_reloads_and_sigusr2_is_logged_and_ignored():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        with c.proxy.client() as cl:
            assert cl.call("SET", "k", "v") == b"+OK\r\n"
            c.proxy.proc.send_signal(signal.SIGUSR1)
            wait_for_line(c.log_path, "config reloaded")
            # Still serving, on the same client connection.
            assert cl.call("GET", "k") == b"$1\r\nv\r\n"
            c.proxy.proc.send_signal(signal.SIGUSR2)
            wait_for_line(c.log_path, "received SIGUSR2; ignored")
            assert cl.call("GET", "k") == b"$1\r\nv\r\n"
            c.proxy.proc.send_signal(signal.SIGUSR1)
            wait_until(lambda: read(c.log_path).count("config reloaded") == 2,
                       timeout=5.0, what="a second reload")
            assert cl.call("GET", "k") == b"$1\r\nv\r\n"
            assert c.proxy.proc.poll() is None
        text = read(c.log_path)
        # One line per signal, no more; SIGUSR1 is no longer ignored.
        assert text.count("received SIGUSR2") == 1, text
        assert text.count("config reloaded") == 2, text
        assert "SIGUSR1; ignored" not in text, text
    # Cluster's exit stopped the proxy with SIGTERM and checked it exited 0.


def check_crash_note(text, signame):
    number = signal.Signals[signame].value
    note = re.search(rf"^shardis: fatal signal {number} \({signame}\) in thread \d+; backtrace:$",
                     text, re.MULTILINE)
    assert note, text
    after = text[note.end():]
    assert len(FRAME.findall(after)) >= 3, after
    assert text.count("fatal signal") == 1, text


def test_sigsegv_logs_a_note_and_a_backtrace_then_dies_of_it():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        c.proxy.proc.send_signal(signal.SIGSEGV)
        rc = wait_for_death(c.proxy)
        text = read(c.log_path)
        assert rc == -signal.SIGSEGV, (rc, text, c.proxy.log())
        check_crash_note(text, "SIGSEGV")


def test_sigabrt_logs_a_note_and_a_backtrace_then_dies_of_it():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        c.proxy.proc.send_signal(signal.SIGABRT)
        rc = wait_for_death(c.proxy)
        text = read(c.log_path)
        assert rc == -signal.SIGABRT, (rc, text, c.proxy.log())
        check_crash_note(text, "SIGABRT")


def test_crash_note_goes_to_stderr_without_a_log_file():
    with Cluster(1) as c:
        wait_until(lambda: "serving with" in c.proxy.log(), timeout=5.0, what="serving")
        c.proxy.proc.send_signal(signal.SIGSEGV)
        rc = wait_for_death(c.proxy)
        assert rc == -signal.SIGSEGV, (rc, c.proxy.log())
        check_crash_note(c.proxy.log(), "SIGSEGV")


def test_crash_note_follows_the_reopened_log_file():
    with logged_cluster() as c:
        wait_for_line(c.log_path, "serving with")
        rotated = c.log_path + ".1"
        os.rename(c.log_path, rotated)
        c.proxy.proc.send_signal(signal.SIGHUP)
        wait_for_line(c.log_path, "log file reopened")
        c.proxy.proc.send_signal(signal.SIGSEGV)
        rc = wait_for_death(c.proxy)
        assert rc == -signal.SIGSEGV, (rc, c.proxy.log())
        check_crash_note(read(c.log_path), "SIGSEGV")
        assert "fatal signal" not in read(rotated)
