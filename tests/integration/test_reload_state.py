"""What spans the servers across a reload (issue 18). Pub/sub: a channel whose server changes
is subscribed on its new server and left on the old one, and patterns are subscribed on added
servers, so that subscribers keep getting what is published after the reload, exactly once.
Commands sent to every server (WAIT, CLIENT TRACKING) reach the servers of the new file, not
one the reload removed. A transaction queued across a change of placement is refused at EXEC
rather than run on servers that no longer hold its keys."""
import signal
import threading
import time

from harness import RawClient, wait_until
from pubsub_support import drain, message, parse, pmessage, quiet, subscribe
from test_reload import (OK, ReloadCluster, http, keys_that_move, placements, post_reload,
                         servers)


def channels_that_move(c, new_servers, count):
    """Channel names whose server changes between the file in place and `new_servers`, as many
    that keep theirs, and where each lives under `new_servers`."""
    candidates, old, new = placements(c, new_servers, "news:")
    moved = [k for k in candidates if old[k] != new[k]][:count]
    stayed = [k for k in candidates if old[k] == new[k]][:count]
    assert len(moved) == count and len(stayed) == count, (old, new)
    return moved, stayed, new


def test_subscribers_follow_their_channels_across_a_reload():
    with ReloadCluster(2) as c:
        new_servers = servers(c, "s1", "s2", "s3")
        moved, stayed, placed = channels_that_move(c, new_servers, 3)
        names = moved + stayed
        with RawClient(c.proxy.port) as sub, RawClient(c.proxy.port) as psub:
            assert len(subscribe(sub, "SUBSCRIBE", *names)) == len(names)
            assert len(subscribe(psub, "PSUBSCRIBE", "news:*")) == 1
            c.proxy.rewrite_config(servers=new_servers)
            # Answered once every worker switched, which it does only once s3 holds the
            # moved subscriptions and the pattern: a PUBLISH right after is delivered.
            assert post_reload(c) == (200, "OK\n")
            with RawClient(c.proxy.port) as pub:
                for name in names:
                    # One subscriber on this worker and one pattern: each hears it once.
                    assert pub.call("PUBLISH", name, "after") == b":2\r\n", name
            # Each once; channels on different servers are not ordered between them (README,
            # pub/sub "Order"), so neither are their messages here.
            got, pgot = drain([sub, psub], 2 * len(names))
            assert sorted(got) == sorted(message(name, "after") for name in names), got
            assert sorted(pgot) == sorted(pmessage("news:*", name, "after") for name in names), pgot
        # A moved channel now lives on s3 only: the old server holds no subscription of it.
        for name in moved:
            assert placed[name] == "s3", (name, placed[name])
        with c.by_name["s1"].client() as s1, c.by_name["s2"].client() as s2:
            held = s1.call("PUBSUB", "CHANNELS") + s2.call("PUBSUB", "CHANNELS")
        for name in moved:
            assert name.encode() not in held, (name, held)
        assert http(c.admin_port, "GET", "/healthz")[0] == 200
        with RawClient(c.proxy.port) as cl:
            assert cl.call("SET", "k", "v") == OK


def subscribed_to_moving(c, sub, count):
    """Subscribes `sub` to `count` channels whose server changes when s3 joins s1 and s2:
    (the two-server list, the three-server list, the channels)."""
    two, three = servers(c, "s1", "s2"), servers(c, "s1", "s2", "s3")
    moved, _, _ = channels_that_move(c, three, count)
    assert len(subscribe(sub, "SUBSCRIBE", *moved)) == len(moved)
    return two, three, moved


class Publisher(threading.Thread):
    """PUBLISHes "seq" on each channel in turn until stopped (at most `limit` messages),
    keeping what it sent and every answer that was not :1 (one subscriber)."""

    def __init__(self, port, channels, tag, limit=6000):
        super().__init__(daemon=True)
        self.port, self.channels, self.tag, self.limit = port, channels, tag, limit
        self.sent, self.wrong = [], []
        self.halt = threading.Event()

    def run(self):
        with RawClient(self.port) as pub:
            n = 0
            while not self.halt.is_set() and n < self.limit:
                channel = self.channels[n % len(self.channels)]
                payload = f"{self.tag}{n}"
                answer = pub.call("PUBLISH", channel, payload)
                self.sent.append((channel.encode(), payload.encode()))
                if answer != b":1\r\n":
                    self.wrong.append((channel, payload, answer))
                n += 1


def test_no_message_is_lost_while_channels_move():
    # Publishers on two more connections (the proxy spreads them over its two workers) keep
    # publishing on channels that move while reloads add s3 and take it away again. Every
    # message reaches the subscriber, once: the new home holds each worker's subscription
    # before any worker publishes there, and the old one keeps them until none does.
    with ReloadCluster(2) as c:
        with RawClient(c.proxy.port) as sub:
            two, three, moved = subscribed_to_moving(c, sub, 12)
            publishers = [Publisher(c.proxy.port, moved, tag) for tag in ("a", "b")]
            for publisher in publishers:
                publisher.start()
            try:
                for n in range(6):
                    # Messages flow on every connection before each reload.
                    marks = [len(p.sent) + 40 for p in publishers]
                    wait_until(lambda: all(len(p.sent) >= mark or not p.is_alive()
                                           for p, mark in zip(publishers, marks)),
                               what="the publishers to publish")
                    c.proxy.rewrite_config(servers=three if n % 2 == 0 else two)
                    assert post_reload(c) == (200, "OK\n")
            finally:
                for publisher in publishers:
                    publisher.halt.set()
                    publisher.join(timeout=20)
            sent = [each for publisher in publishers for each in publisher.sent]
            got = [parse(frame) for frame in drain([sub], len(sent))[0]]
        assert [p.wrong for p in publishers] == [[], []]
        assert sorted(got) == sorted([b"message", channel, payload] for channel, payload in sent)


def test_a_server_removed_and_added_back_at_once_keeps_its_subscriptions():
    # s3 is frozen while a reload removes it, so its answers to the UNSUBSCRIBEs the proxy
    # sends it come only after the next reload has brought it back and subscribed there
    # again. Its retirement, which waited for those answers, must then not drop it.
    with ReloadCluster(2) as c:
        with RawClient(c.proxy.port) as sub:
            two, three, moved = subscribed_to_moving(c, sub, 3)
            c.proxy.rewrite_config(servers=three)
            assert post_reload(c) == (200, "OK\n")
            s3 = c.by_name["s3"].proc
            s3.send_signal(signal.SIGSTOP)
            thaw = threading.Timer(0.5, s3.send_signal, (signal.SIGCONT,))
            try:
                c.proxy.rewrite_config(servers=two)
                assert post_reload(c) == (200, "OK\n")
                thaw.start()
                c.proxy.rewrite_config(servers=three)
                assert post_reload(c) == (200, "OK\n")
            finally:
                thaw.join()
                s3.send_signal(signal.SIGCONT)
            time.sleep(0.2)  # past the answers that ended s3's retirement wait
            with RawClient(c.proxy.port) as pub:
                for name in moved:
                    assert pub.call("PUBLISH", name, "back") == b":1\r\n", name
            got = quiet(sub, 0.5)
            assert got == b"".join(message(name, "back") for name in moved), got


def test_commands_on_every_server_skip_a_removed_dead_server():
    with ReloadCluster(3) as c:
        c.by_name["s3"].kill()
        c.proxy.rewrite_config(servers=servers(c, "s1", "s2"))
        assert post_reload(c) == (200, "OK\n")
        with RawClient(c.proxy.port) as cl:
            # No replica anywhere: 0, where the dead s3 would have failed the WAIT.
            assert cl.call("WAIT", "0", "100") == b":0\r\n"
            assert cl.call("DBSIZE") == b":0\r\n"
            assert cl.call("HELLO", "3").startswith(b"%")
            assert cl.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
            assert cl.call("CLIENT", "TRACKINGINFO").startswith(b"%")


EXEC_MOVED = (b"-EXECABORT Transaction discarded because the pool's servers changed while it "
              b"was queued (a reload or a failover); nothing ran\r\n")


def test_exec_after_a_reload_that_moves_keys_runs_nothing():
    # SET was routed to the key's server before the reload; run after it, it would write
    # where nobody reads the key any more.
    with ReloadCluster(2) as c:
        three = servers(c, "s1", "s2", "s3")
        [key] = keys_that_move(c, three, count=1)
        with c.proxy.client() as cl, c.proxy.client() as lone:
            assert cl.call("MULTI") == OK
            assert cl.call("SET", key, "queued") == b"+QUEUED\r\n"
            assert lone.call("MULTI") == OK
            assert lone.call("PING") == b"+QUEUED\r\n"
            c.proxy.rewrite_config(servers=three)
            assert post_reload(c) == (200, "OK\n")
            assert cl.call("EXEC") == EXEC_MOVED
            # The transaction is over, as after any EXECABORT; nothing reached a server.
            assert cl.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
            assert cl.call("GET", key) == b"$-1\r\n"
            # Only local commands: nothing can be misplaced, so it runs.
            assert lone.call("EXEC") == b"*1\r\n+PONG\r\n"
        for name in ("s1", "s2", "s3"):
            with c.by_name[name].client() as direct:
                assert direct.call("EXISTS", key) == b":0\r\n", name


def test_a_watch_made_before_a_reload_that_moves_keys_guards_nothing_after_it():
    # The watch stays on the key's old server while MULTI routes by the new placement: the
    # old server would check a watch on a key it no longer holds, and another client's write
    # at the key's new home would be overwritten.
    with ReloadCluster(2) as c:
        three = servers(c, "s1", "s2", "s3")
        [key] = keys_that_move(c, three, count=1)
        with c.proxy.client() as cl, c.proxy.client() as other:
            assert cl.call("WATCH", key) == OK
            c.proxy.rewrite_config(servers=three)
            assert post_reload(c) == (200, "OK\n")
            assert other.call("SET", key, "theirs") == OK
            assert cl.call("MULTI") == OK
            assert cl.call("SET", key, "mine") == b"+QUEUED\r\n"
            assert cl.call("EXEC") == EXEC_MOVED
            assert cl.call("GET", key) == b"$6\r\ntheirs\r\n"
            # The watch went with the transaction: the next one runs by the new placement.
            assert cl.call("WATCH", key) == OK
            assert cl.call("MULTI") == OK
            assert cl.call("SET", key, "mine") == b"+QUEUED\r\n"
            assert cl.call("EXEC") == b"*1\r\n+OK\r\n"


def test_exec_after_a_reload_of_options_only_runs():
    with ReloadCluster(2) as c:
        with c.proxy.client() as cl:
            assert cl.call("MULTI") == OK
            assert cl.call("SET", "k", "v") == b"+QUEUED\r\n"
            c.proxy.rewrite_config(pool_options=dict(c.proxy.pool_options, timeout=4321))
            assert post_reload(c) == (200, "OK\n")
            assert cl.call("EXEC") == b"*1\r\n+OK\r\n"
            assert cl.call("GET", "k") == b"$1\r\nv\r\n"
