"""Pub/sub as the proxy's own counters and CLIENT LIST show it (issue 16's stats): INFO's
Redis fields and the proxy's, the stats JSON, /metrics, and CLIENT LIST's sub/psub/ssub and
flags=P, compared with one direct redis-server where Redis has the field. One worker thread,
so that CLIENT LIST shows every client's live values."""
import time

import pytest

from harness import HOST, Cluster, RawClient, free_port, wait_until
from test_stats import http_get, parse_metrics, stats_json


def info_fields(client, section):
    raw = client.call("INFO", section)
    text = raw.split(b"\r\n", 1)[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


@pytest.fixture(scope="module")
def cluster():
    admin = free_port()
    with Cluster(3, process_options={"admin": f"{HOST}:{admin}"},
                 args=("--threads", "1")) as c:
        c.admin_port = admin
        yield c


def subscribe(port, *commands):
    """A connection that ran each (P|S)SUBSCRIBE and read its confirmations."""
    client = RawClient(port)
    for command in commands:
        client.send_command(*command)
        for _ in command[1:]:
            client.read_reply()
    return client


def test_info_and_client_list_match_a_direct_server(cluster, direct_server):
    for port in (cluster.proxy.port, direct_server.port):
        a = subscribe(port, ("SUBSCRIBE", "news", "sport"), ("PSUBSCRIBE", "n*"))
        b = subscribe(port, ("SUBSCRIBE", "news"), ("SSUBSCRIBE", "shard"))
        with RawClient(port) as c:
            stats = info_fields(c, "stats")
            assert (stats["pubsub_channels"], stats["pubsub_patterns"],
                    stats["pubsubshard_channels"]) == ("2", "1", "1"), port
            listing = c.call("CLIENT", "LIST").decode()
        lines = [dict(f.split("=", 1) for f in line.split(" "))
                 for line in listing.split("\r\n", 1)[1].strip().splitlines()]
        shown = sorted((l["flags"], l["sub"], l["psub"], l["ssub"]) for l in lines)
        assert shown == [("N", "0", "0", "0"), ("P", "1", "0", "1"), ("P", "2", "1", "0")], port
        a.close()
        b.close()


def test_counters_in_info_json_and_metrics(cluster):
    sub = subscribe(cluster.proxy.port, ("SUBSCRIBE", "news"), ("PSUBSCRIBE", "*"))
    with cluster.proxy.client() as publisher:
        for _ in range(3):
            assert publisher.call("PUBLISH", "news", "hi") == b":2\r\n"
    for _ in range(6):
        sub.read_reply()

    def pool():
        return stats_json(cluster.proxy.stats_port)["pool"]
    wait_until(lambda: pool()["pubsub_messages_delivered"] >= 6, what="a stats snapshot")
    doc = pool()
    assert doc["pubsub_clients"] == 1
    assert doc["pubsub_messages_in"] >= 6  # each message once, and once more for the pattern
    server = cluster.proxy.locate("news")["news"]
    assert doc[server]["pubsub_channels"] == 1
    assert [doc[name]["pubsub_patterns"] for name in cluster.names] == [1, 1, 1]
    metrics = parse_metrics(http_get(cluster.admin_port, "/metrics")[1])
    assert metrics[("shardis_pubsub_clients", (("pool", "pool"),))] == 1
    assert metrics[("shardis_server_pubsub_patterns",
                    (("pool", "pool"), ("server", "s1")))] == 1
    with cluster.proxy.client() as c:
        assert int(info_fields(c, "stats")["pubsub_messages_delivered"]) >= 6
    sub.close()
    wait_until(lambda: pool()["pubsub_clients"] == 0, what="the subscriber's leaving counted")
    assert [pool()[name]["pubsub_patterns"] for name in cluster.names] == [0, 0, 0]


def list_ids(client, *type_filter):
    listing = client.call("CLIENT", "LIST", *type_filter).decode()
    return sorted(int(line.split(" ", 1)[0][3:])
                  for line in listing.split("\r\n", 1)[1].strip().splitlines())


def test_client_list_and_kill_by_type_pubsub_on_any_worker(direct_server):
    """Redis's pubsub class is the subscribed clients: CLIENT LIST TYPE and CLIENT KILL TYPE
    find them whichever worker serves them (two workers here), and TYPE normal leaves them
    out, as on one direct server."""
    with Cluster(3, args=("--threads", "2")) as c:
        for port in (c.proxy.port, direct_server.port):
            subscribers = [subscribe(port, ("SUBSCRIBE", f"type:{i}")) for i in range(4)]
            plain = [RawClient(port) for _ in range(3)]
            with RawClient(port) as admin:
                plain_ids = [int(p.call("CLIENT", "ID")[1:-2]) for p in plain]
                admin_id = int(admin.call("CLIENT", "ID")[1:-2])
                everyone = list_ids(admin)
                pubsub = list_ids(admin, "TYPE", "pubsub")
                normal = list_ids(admin, "TYPE", "normal")
                assert len(pubsub) == 4, port
                assert normal == sorted(plain_ids + [admin_id]), port
                assert sorted(pubsub + normal) == everyone, port
                assert admin.call("CLIENT", "KILL", "TYPE", "pubsub") == b":4\r\n", port
                for s in subscribers:
                    s.sock.settimeout(5)
                    assert s.sock.recv(1) == b"", port  # closed
                wait_until(lambda: list_ids(admin, "TYPE", "pubsub") == [], what="gone")
            for p in plain:
                assert p.call("PING") == b"+PONG\r\n"
                p.close()
