"""Per-client modes through shardis compared byte for byte with one direct redis-server.

RESET brings a connection back to a fresh one's state, reply mode included: after CLIENT
REPLY OFF Redis answers RESET with +RESET and replies again from there on. shardis kept the
client silent and RESET answered nothing. (After CLIENT REPLY SKIP, RESET is the skipped
command: its own reply is dropped, as Redis does.)
"""


def run_both(proxy, direct, commands, replies):
    """Sends `commands` as one pipeline to each and reads `replies` replies back."""
    got = []
    for client in (proxy, direct):
        for command in commands:
            client.send_command(*command)
        got.append(client.read_replies(replies))
    return got


def test_reset_after_client_reply_off_answers_and_restores_replies(proxy, direct):
    commands = [("CLIENT", "REPLY", "OFF"), ("SET", "k", "1"), ("RESET",), ("GET", "k"),
                ("PING",)]
    through_proxy, from_redis = run_both(proxy, direct, commands, 3)
    assert from_redis == [b"+RESET\r\n", b"$1\r\n1\r\n", b"+PONG\r\n"]
    assert through_proxy == from_redis


def test_reset_after_client_reply_skip_is_skipped_and_replies_stay_on(proxy, direct):
    # SKIP covers the next command, RESET included: Redis drops RESET's own reply.
    commands = [("CLIENT", "REPLY", "SKIP"), ("RESET",), ("PING", "a"), ("PING", "b")]
    through_proxy, from_redis = run_both(proxy, direct, commands, 2)
    assert from_redis == [b"$1\r\na\r\n", b"$1\r\nb\r\n"]
    assert through_proxy == from_redis


def test_reset_forgets_the_name_and_keeps_replies_on(proxy, direct):
    commands = [("CLIENT", "SETNAME", "worker-1"), ("RESET",), ("CLIENT", "GETNAME"),
                ("CLIENT", "REPLY", "ON")]
    through_proxy, from_redis = run_both(proxy, direct, commands, 4)
    assert from_redis == [b"+OK\r\n", b"+RESET\r\n", b"$-1\r\n", b"+OK\r\n"]
    assert through_proxy == from_redis
