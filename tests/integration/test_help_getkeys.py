"""CLIENT HELP, CONFIG HELP, COMMAND HELP and COMMAND GETKEYSANDFLAGS (issue 12, item 1): COMMAND
lists them as answered, so they answer as one redis-server 7.0 does, checked against the
`direct` fixture byte for byte."""
import pytest


def status_lines(reply):
    """The lines of a help reply: an array of status strings."""
    lines = reply.split(b"\r\n")
    assert lines[0] == b"*%d" % (len(lines) - 2), reply
    assert all(line.startswith(b"+") for line in lines[1:-1]), reply
    return lines[1:-1]


def is_subsequence(part, whole):
    rest = iter(whole)
    return all(line in rest for line in part)


@pytest.mark.parametrize("container, answered, refused", [
    ("CLIENT", [b"+GETNAME", b"+ID", b"+INFO", b"+SETNAME <name>", b"+NO-EVICT (ON|OFF)",
                b"+CACHING (YES|NO)", b"+GETREDIR", b"+TRACKINGINFO"],
     [b"+PAUSE <timeout> [WRITE|ALL]", b"+UNPAUSE"]),
    ("CONFIG", [b"+GET <pattern>"], [b"+SET <directive> <value>", b"+REWRITE", b"+RESETSTAT"]),
    ("COMMAND", [b"+COUNT", b"+GETKEYSANDFLAGS <full-command>", b"+(no subcommand)"], []),
])
def test_help_is_redis_text_for_what_shardis_answers(proxy, direct, container, answered,
                                                     refused):
    ours = status_lines(proxy.call(container, "HELP"))
    theirs = status_lines(direct.call(container, "HELP"))
    # Redis's own lines, in its order: the usage line first, HELP's own entry last.
    assert is_subsequence(ours, theirs), ours
    assert ours[0] == theirs[0] and ours[-2:] == theirs[-2:]
    for line in answered:
        assert line in ours, line
    for line in refused:
        assert line in theirs and line not in ours, line
    assert proxy.call(container, "help") == proxy.call(container, "HELP")


def test_help_with_arguments_is_the_servers_error(proxy, direct):
    for command in [("CLIENT", "HELP", "x"), ("COMMAND", "HELP", "x"), ("CONFIG", "HELP", "x")]:
        assert proxy.call(*command) == direct.call(*command), command


# Lines for every kind of key spec and every getkeys fallback Redis 7.0 has: keynum specs and
# their atoi-read fallback, keyword searches, variable flags (SET, BITFIELD), the incomplete
# and unknown specs (MIGRATE, SORT), specs that fail into the fallback (XREAD, GEORADIUS).
GETKEYS_LINES = [
    "GET k", "SET k v", "SET k v GET", "SET k v NX get", "GETEX k PERSIST", "GETDEL k",
    "MGET a b c", "MSET a 1 b 2", "MSET a 1 b", "DEL a b", "EXISTS a a", "TOUCH a",
    "RENAME a b", "COPY a b REPLACE", "LMOVE a b LEFT RIGHT", "BLMOVE a b LEFT RIGHT 0",
    "RPOPLPUSH a b", "SMOVE a b m", "SINTERSTORE d a b", "BITOP AND d a b", "PFMERGE d",
    "PFMERGE d a b", "PFCOUNT a b", "LCS a b", "BLPOP a b 0", "BZPOPMIN a 0",
    "BITFIELD k GET u8 0", "BITFIELD k SET u8 0 1", "BITFIELD k GET u8 0 INCRBY u8 0 1",
    "BITFIELD k OVERFLOW SAT GET u8 0", "BITFIELD k GET u8", "BITFIELD_RO k GET u8 0",
    "EVAL x 0", "EVAL x 1 a", "EVAL x 2 a b c", "EVAL x 1abc a", "EVAL x abc", "EVAL x 5 a",
    "EVAL x -1 a", "EVALSHA x 1 a", "EVAL_RO x 1 a", "FCALL f 1 a", "FCALL_RO f 2 a b",
    "FCALL f 3 a",
    "ZUNIONSTORE d 2 a b", "ZUNIONSTORE d 1abc a", "ZUNIONSTORE d abc a", "ZINTERSTORE d 3 a b",
    "ZDIFFSTORE d 1 a", "ZUNION 2 a b", "ZINTER 1abc a", "ZDIFF 0 a", "ZINTERCARD 2 a b",
    "SINTERCARD 1 a", "SINTERCARD 2abc a b", "LMPOP 1 a LEFT", "LMPOP 2 a b RIGHT",
    "LMPOP 1x a LEFT", "ZMPOP 1 a MIN", "BLMPOP 0 1 a LEFT", "BLMPOP 0 1x a LEFT",
    "BZMPOP 0 2 a b MAX",
    "XREAD STREAMS a 0", "XREAD COUNT 1 STREAMS a b 0 0", "XREAD STREAMS a b 0",
    "XREAD STREAMS a", "XREAD STREAMS", "XREAD COUNT 2 a", "XREADGROUP GROUP g c STREAMS a >",
    "XREADGROUP GROUP g c NOACK STREAMS a b > >",
    "SORT k", "SORT k STORE d", "SORT k BY w GET # LIMIT 0 1 STORE d", "SORT k STORE a STORE b",
    "SORT k STORE", "SORT_RO k BY w", "SORT k LIMIT store x",
    "GEORADIUS k 15 37 200 km", "GEORADIUS k 15 37 200 km STORE d",
    "GEORADIUS k 15 37 200 km STOREDIST d", "GEORADIUS k 15 37 200 km STORE",
    "GEORADIUS k 15 37 200 km STORE a STOREDIST b", "GEORADIUSBYMEMBER k m 1 km STORE d",
    "GEORADIUSBYMEMBER k m 1 km STORE", "GEOSEARCHSTORE d k FROMMEMBER m BYRADIUS 1 km",
    "MIGRATE h 1 k 0 10", "MIGRATE h 1 \"\" 0 10 KEYS a b", "MIGRATE h 1 k 0 10 KEYS a",
    "MIGRATE h 1 \"\" 0 10 AUTH2 u keys KEYS a", "MIGRATE h 1 \"\" 0 10 COPY REPLACE KEYS a",
    "OBJECT ENCODING k", "MEMORY USAGE k", "XINFO STREAM s", "XGROUP CREATE s g $",
    "XADD s * f v", "XAUTOCLAIM s g c 0 0", "RESTORE k 0 x", "HSET h f v", "ZADD z 1 m",
    "WATCH a b", "SUBSCRIBE a", "SPUBLISH ch m",
    # Errors: no keys, bad arity, unknown command or subcommand, a name with '|'.
    "PING", "PING a b c", "DBSIZE x", "GET", "GET a b", "SET k", "NOSUCH", "NOSUCH a",
    "CLIENT NOSUCH", "CLIENT", "CLIENT SETNAME x", "OBJECT", "OBJECT NOSUCH k",
    "client|setname x", "CONFIG GET x",
]


def words(line):
    return [w if w != '""' else "" for w in line.split()]


@pytest.mark.parametrize("line", GETKEYS_LINES)
def test_getkeysandflags_matches_redis(proxy, direct, line):
    command = ("COMMAND", "GETKEYSANDFLAGS", *words(line))
    assert proxy.call(*command) == direct.call(*command), line


def test_getkeysandflags_arity_and_case(proxy, direct):
    for command in [("COMMAND", "GETKEYSANDFLAGS"), ("COMMAND", "GETKEYSANDFLAGS", "GET"),
                    ("command", "getkeysandflags", "lmove", "a", "b", "left", "right")]:
        assert proxy.call(*command) == direct.call(*command), command
