"""Pools are separate tenants (hardening issue, item 11): a client of one pool sees and kills
only that pool's clients, reads only that pool's slow log, and finds neither another pool's
name nor its servers in INFO. The process-wide view stays on the admin port.

Two pools, `alpha` (servers a1, a2) and `beta` (server b1), each on its own port, with
several workers so that the clients of both pools are spread over threads.
"""
import re
import shutil
import tempfile

import pytest

from harness import HOST, RawClient, RedisServer, Shardis, free_port, wait_until, yaml_value
from test_stats import http_get, parse_reply


class TwoPools(Shardis):
    """shardis serving pools alpha and beta, each with its own servers and port."""

    def __init__(self, workdir, alpha, beta, process_options):
        super().__init__(workdir, alpha, process_options=process_options,
                         args=("--threads", "2"))
        self.beta_servers = beta
        self.beta_port = free_port()

    def config_text(self):
        lines = ["shardis:"]
        lines += [f"  {k}: {yaml_value(v)}" for k, v in self.process_options.items()]
        for name, port, servers in (("alpha", self.port, self.servers),
                                    ("beta", self.beta_port, self.beta_servers)):
            lines += [f"{name}:", f"  listen: {HOST}:{port}", "  servers:"]
            lines += [f"    - {HOST}:{server.port}:1 {label}" for label, server in servers]
        return "\n".join(lines) + "\n"

    def beta_client(self):
        return RawClient(self.beta_port)


@pytest.fixture(scope="module")
def pools():
    workdir = tempfile.mkdtemp(prefix="shardis-iso-")
    redis = [RedisServer(workdir) for _ in range(3)]
    admin = free_port()
    proxy = TwoPools(workdir, [("a1", redis[0]), ("a2", redis[1])], [("b1", redis[2])],
                     {"slowlog_log_slower_than": 0, "slowlog_max_len": 128, "hotkeys": True,
                      "admin": f"{HOST}:{admin}"})
    proxy.admin_port = admin
    proxy.beta_redis = redis[2]
    try:
        for r in redis:
            r.start()
        proxy.start()
        wait_until(lambda: _answers(proxy.beta_client), what="pool beta")
        yield proxy
        proxy.stop()
    finally:
        if proxy.proc is not None and proxy.proc.poll() is None:
            proxy.proc.kill()
            proxy.proc.wait()
        for r in redis:
            r.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _answers(connect):
    try:
        with connect() as c:
            return c.call("PING") == b"+PONG\r\n"
    except OSError:
        return False


def bulk_text(reply):
    assert reply.startswith(b"$"), reply
    return reply.split(b"\r\n", 1)[1][:-2].decode()


def client_ids(listing):
    return {int(m) for m in re.findall(r"(?:^|\n)id=(\d+) ", listing)}


def own_id(client):
    return int(client.call("CLIENT", "ID")[1:-2])


def test_client_list_shows_only_the_pools_clients(pools):
    alphas = [pools.client() for _ in range(4)]
    betas = [pools.beta_client() for _ in range(4)]
    try:
        alpha_ids = {own_id(c) for c in alphas}
        beta_ids = {own_id(c) for c in betas}
        listed = client_ids(bulk_text(alphas[0].call("CLIENT", "LIST")))
        assert alpha_ids <= listed
        assert not (beta_ids & listed), "pool alpha lists beta's clients"
        listed = client_ids(bulk_text(betas[0].call("CLIENT", "LIST")))
        assert beta_ids <= listed
        assert not (alpha_ids & listed), "pool beta lists alpha's clients"
    finally:
        for c in alphas + betas:
            c.close()


def test_hello_setname_reaches_every_workers_client_list(pools):
    """A name given by HELLO (whose reply waits for the servers) is what CLIENT LIST shows,
    whichever worker thread serves the client and whichever runs the listing."""
    clients = [pools.client() for _ in range(4)]
    try:
        for i, c in enumerate(clients):
            assert c.call("HELLO", "2", "SETNAME", f"hello-{i}").startswith(b"*14\r\n")
        for c in clients:
            listing = bulk_text(c.call("CLIENT", "LIST"))
            for i in range(len(clients)):
                assert f" name=hello-{i} " in listing, listing
    finally:
        for c in clients:
            c.close()


def test_client_kill_cannot_reach_another_pool(pools):
    with pools.client() as alpha, pools.beta_client() as beta:
        beta_id = own_id(beta)
        beta_line = next(line for line in bulk_text(beta.call("CLIENT", "INFO")).split("\n")
                         if line.startswith(f"id={beta_id} "))
        beta_addr = re.search(r" addr=(\S+) ", beta_line).group(1)
        assert alpha.call("CLIENT", "KILL", "ID", beta_id) == b":0\r\n"
        assert alpha.call("CLIENT", "KILL", "ADDR", beta_addr) == b":0\r\n"
        assert alpha.call("CLIENT", "KILL", beta_addr) == b"-ERR No such client\r\n"
        # Filters that match every client still stop at the pool's edge.
        alpha.call("CLIENT", "KILL", "SKIPME", "yes")
        assert beta.call("PING") == b"+PONG\r\n"
        # A pool's own clients can still be killed.
        with pools.client() as victim:
            assert alpha.call("CLIENT", "KILL", "ID", own_id(victim)) == b":1\r\n"
            assert victim.closed_by_peer()


def slowlog_commands(client):
    entries, _ = parse_reply(client.call("SLOWLOG", "GET", "-1"))
    return [entry[3] for entry in entries]


def test_slowlog_is_per_pool(pools):
    with pools.client() as alpha, pools.beta_client() as beta:
        assert alpha.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert beta.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert beta.call("ECHO", "beta-secret-value") == b"$17\r\nbeta-secret-value\r\n"
        assert alpha.call("ECHO", "alpha-value") == b"$11\r\nalpha-value\r\n"
        seen_by_alpha = slowlog_commands(alpha)
        assert [b"ECHO", b"alpha-value"] in seen_by_alpha
        assert not any(b"beta-secret-value" in argv for argv in seen_by_alpha)
        seen_by_beta = slowlog_commands(beta)
        assert [b"ECHO", b"beta-secret-value"] in seen_by_beta
        assert not any(b"alpha-value" in argv for argv in seen_by_beta)
        # RESET empties the pool's own log only.
        assert alpha.call("SLOWLOG", "RESET") == b"+OK\r\n"
        assert [b"ECHO", b"beta-secret-value"] in slowlog_commands(beta)


def test_info_names_only_the_pools_own_servers(pools):
    with pools.client() as alpha, pools.beta_client() as beta:
        for i in range(50):
            beta.call("SET", f"beta-hot-key-{i % 3}", "v")
            alpha.call("SET", f"alpha-hot-key-{i % 3}", "v")
        # Once the admin port shows both pools' hot keys, so does any snapshot INFO reads.
        wait_until(lambda: all(k in http_get(pools.admin_port, "/metrics")[1]
                               for k in ("alpha-hot-key", "beta-hot-key")),
                   timeout=5.0, interval=0.1, what="both pools' hot keys on the admin port")
        beta_server = f"{HOST}:{pools.beta_redis.port}"
        for section in ("everything", "shardis", "hotkeys", "default"):
            text = bulk_text(alpha.call("INFO", section))
            assert "beta" not in text, f"INFO {section} on alpha mentions beta:\n{text}"
            assert beta_server not in text
            assert "b1" not in re.findall(r"name=(\w+)", text)
        text = bulk_text(alpha.call("INFO", "shardis"))
        assert "client_pool:alpha" in text and "name=a1" in text and "name=a2" in text
        assert "alpha-hot-key" in bulk_text(alpha.call("INFO", "hotkeys"))
        text = bulk_text(beta.call("INFO", "everything"))
        assert "alpha" not in text and "a1" not in re.findall(r"name=(\w+)", text)
        assert "client_pool:beta" in text


def test_info_clients_counts_the_pools_clients(pools):
    alphas = [pools.client() for _ in range(3)]
    try:
        with pools.beta_client() as beta:
            def beta_clients():
                text = bulk_text(beta.call("INFO", "clients"))
                return int(re.search(r"connected_clients:(\d+)", text).group(1))
            # beta has this one client (earlier tests' clients may take a moment to leave).
            wait_until(lambda: beta_clients() == 1, timeout=5.0, interval=0.05,
                       what="connected_clients:1 on pool beta")
    finally:
        for c in alphas:
            c.close()


def test_admin_port_keeps_the_process_wide_view(pools):
    status, body = http_get(pools.admin_port, "/metrics")
    assert status == 200
    assert 'pool="alpha"' in body and 'pool="beta"' in body
    status, body = http_get(pools.admin_port, "/stats")
    assert status == 200 and '"alpha"' in body and '"beta"' in body
