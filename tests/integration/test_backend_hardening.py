"""The backend under stress (issue 11): replies larger than any client request may be.

Every test runs one worker (`--threads 1`) and one connection per server (the default), so
that the requests of different clients to one server share a connection.
"""
import json
import socket

from harness import HOST, Cluster, RawClient, wait_until

ONE_WORKER = ("--threads", "1")


def stats_json(port):
    with socket.create_connection((HOST, port), timeout=5) as s:
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                return json.loads(b"".join(chunks))
            chunks.append(data)


def wait_for_stats(proxy, predicate, what):
    """The first stats document for which predicate holds (published once a second)."""
    found = {}

    def fresh():
        found["doc"] = stats_json(proxy.stats_port)
        return predicate(found["doc"]["pool"])

    wait_until(fresh, timeout=5.0, interval=0.1, what=what)
    return found["doc"]["pool"]


def read_flat_array(sock):
    """The raw bytes of one array-of-bulks reply, parsed by offsets (a 1 M element reply in
    about a second; RawClient re-joins its buffer per chunk, which is quadratic)."""
    buf = bytearray()
    pos = 0

    def line_end(start):
        while True:
            end = buf.find(b"\r\n", start)
            if end >= 0:
                return end
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed in the middle of a reply")
            buf.extend(chunk)

    end = line_end(0)
    assert buf[:1] == b"*", bytes(buf[:200])
    count = int(buf[1:end])
    pos = end + 2
    for _ in range(count):
        end = line_end(pos)
        length = int(buf[pos + 1:end])
        pos = end + 2 + length + 2
        while len(buf) < pos:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed in the middle of a reply")
            buf.extend(chunk)
    assert len(buf) == pos, "bytes after the reply"
    return bytes(buf)


FILL_LIST = """
local batch = {}
for i = 1, tonumber(ARGV[1]) do
  batch[#batch + 1] = i
  if #batch == 5000 then redis.call('RPUSH', KEYS[1], unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('RPUSH', KEYS[1], unpack(batch)) end
return redis.call('LLEN', KEYS[1])
"""

FILL_HASH = """
local batch = {}
for i = 1, tonumber(ARGV[1]) do
  batch[#batch + 1] = 'f' .. i
  batch[#batch + 1] = i
  if #batch == 5000 then redis.call('HSET', KEYS[1], unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('HSET', KEYS[1], unpack(batch)) end
return redis.call('HLEN', KEYS[1])
"""


def test_replies_longer_than_client_limits_pass_and_keep_the_connection():
    """LRANGE of a 1.1 M list and HGETALL of a 600 k hash (1.2 M elements) are more than
    limits.max_array_len allows a client to send, but a server may reply with them; the
    other client's request on the same connection is answered, and nothing is ejected."""
    options = {"auto_eject_hosts": True, "server_failure_limit": 1,
               "server_retry_timeout": 30000, "timeout": 20000}
    with Cluster(1, pool_options=options, args=ONE_WORKER) as cluster:
        # Generous socket timeouts: filling and reading a million elements takes seconds on a
        # loaded machine (the assertions do not depend on how many).
        with RawClient(cluster.redis[0].port, timeout=60) as direct:
            assert direct.call("EVAL", FILL_LIST, 1, "big:list", 1_100_000) == b":1100000\r\n"
            assert direct.call("EVAL", FILL_HASH, 1, "big:hash", 600_000) == b":600000\r\n"
            assert direct.call("SET", "small", "v") == b"+OK\r\n"
            expected = {}
            for command in (("LRANGE", "big:list", 0, -1), ("HGETALL", "big:hash")):
                direct.send_command(*command)
                expected[command[0]] = read_flat_array(direct.sock)
        assert expected["LRANGE"].startswith(b"*1100000\r\n$1\r\n1\r\n")
        assert expected["HGETALL"].startswith(b"*1200000\r\n")
        with cluster.proxy.client(timeout=60) as big, cluster.proxy.client(timeout=60) as other:
            for command in (("LRANGE", "big:list", 0, -1), ("HGETALL", "big:hash")):
                big.send_command(*command)
                other.send_command("GET", "small")
                assert read_flat_array(big.sock) == expected[command[0]], command[0]
                assert other.read_reply() == b"$1\r\nv\r\n"
            assert big.call("GET", "small") == b"$1\r\nv\r\n"
        pool = wait_for_stats(cluster.proxy, lambda p: p["s1"]["responses"] >= 5,
                              "the five replies counted")
        assert pool["server_ejects"] == 0
        assert pool["s1"]["server_err"] == 0 and pool["s1"]["server_eof"] == 0
