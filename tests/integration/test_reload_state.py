"""What spans the servers across a reload (issue 18). Pub/sub: a channel whose server changes
is subscribed on its new server and left on the old one, and patterns are subscribed on added
servers, so that subscribers keep getting what is published after the reload, exactly once.
Commands sent to every server (WAIT, CLIENT TRACKING) reach the servers of the new file, not
one the reload removed."""
from harness import RawClient, wait_until
from pubsub_support import message, pmessage, quiet, subscribe
from test_reload import (OK, ReloadCluster, http, post_reload, servers, write_file_atomically)


def channels_that_move(c, new_servers, count):
    """Channel names whose server changes between the file in place and `new_servers`."""
    import os

    candidates = [f"news:{i}" for i in range(400)]
    new_path = os.path.join(c.dir, "pubsub-candidate.yml")
    write_file_atomically(new_path, c.proxy.config_text(servers=new_servers))
    old = c.proxy.locate(*candidates)
    new = c.proxy.locate(*candidates, config_path=new_path)
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
            assert post_reload(c) == (200, "OK\n")
            # The move's SUBSCRIBE and PSUBSCRIBE reach s3 just after the reload; what is
            # published before s3 has read them is not delivered (README, Reload).
            with c.by_name["s3"].client() as s3:
                wait_until(lambda: s3.call("PUBSUB", "NUMPAT") != b":0\r\n" and all(
                    f"${len(n)}\r\n{n}\r\n".encode() in s3.call("PUBSUB", "CHANNELS")
                    for n in moved), timeout=5, what="s3 to hold the moved subscriptions")
            with RawClient(c.proxy.port) as pub:
                for name in names:
                    # One subscriber on this worker and one pattern: each hears it once.
                    assert pub.call("PUBLISH", name, "after") == b":2\r\n", name
            got = quiet(sub, 0.5) + b""
            want = b"".join(message(name, "after") for name in names)
            assert got == want, (got, want)
            pgot = quiet(psub, 0.5)
            pwant = b"".join(pmessage("news:*", name, "after") for name in names)
            assert pgot == pwant, (pgot, pwant)
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
