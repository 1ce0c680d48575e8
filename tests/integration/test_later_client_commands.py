"""CLIENT SETINFO and CLIENT NO-TOUCH, the Redis 7.2 subcommands client libraries send on
connect, are commands of the table like the others (issue 12, item 1): answered with Redis
7.2's replies and errors, described by COMMAND INFO/DOCS as Redis 7.2 describes them, and left
out of COMMAND's listings, which stay redis-server 7.0's."""

SPACES = b" cannot contain spaces, newlines or special characters.\r\n"


def test_setinfo_takes_the_two_attributes(proxy):
    assert proxy.call("CLIENT", "SETINFO", "lib-name", "redis-py") == b"+OK\r\n"
    assert proxy.call("CLIENT", "SETINFO", "LIB-VER", "5.0.1") == b"+OK\r\n"
    assert proxy.call("client", "setinfo", "Lib-Name", "") == b"+OK\r\n"


def test_setinfo_errors_are_redis_7_2s(proxy):
    assert proxy.call("CLIENT", "SETINFO", "lib-name", "has space") == b"-ERR lib-name" + SPACES
    assert proxy.call("CLIENT", "SETINFO", "Lib-Ver", "a\nb") == b"-ERR Lib-Ver" + SPACES
    assert proxy.call("CLIENT", "SETINFO", "lib-nom", "x") == (
        b"-ERR Unrecognized option 'lib-nom'\r\n")
    assert proxy.call("CLIENT", "SETINFO", "lib\nname", "x") == (
        b"-ERR Unrecognized option 'lib name'\r\n")
    arity = b"-ERR wrong number of arguments for 'client|setinfo' command\r\n"
    assert proxy.call("CLIENT", "SETINFO", "lib-name") == arity
    assert proxy.call("CLIENT", "SETINFO", "lib-name", "a", "b") == arity


def test_no_touch_takes_on_or_off(proxy):
    for value in ("ON", "off", "On"):
        assert proxy.call("CLIENT", "NO-TOUCH", value) == b"+OK\r\n", value
    assert proxy.call("CLIENT", "NO-TOUCH", "maybe") == b"-ERR syntax error\r\n"
    assert proxy.call("CLIENT", "NO-TOUCH") == (
        b"-ERR wrong number of arguments for 'client|no-touch' command\r\n")


def test_command_info_and_docs_describe_them_as_redis_7_2(proxy):
    assert proxy.call("COMMAND", "INFO", "client|setinfo", "CLIENT|NO-TOUCH") == (
        b"*2\r\n"
        b"*10\r\n$14\r\nclient|setinfo\r\n:4\r\n*4\r\n+noscript\r\n+loading\r\n+stale\r\n"
        b"+sentinel\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n"
        b"*10\r\n$15\r\nclient|no-touch\r\n:3\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n"
        b":0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n")
    docs = proxy.call("COMMAND", "DOCS", "client|setinfo")
    assert docs.startswith(b"*2\r\n$14\r\nclient|setinfo\r\n*10\r\n$7\r\nsummary\r\n$54\r\n"
                           b"Sets information specific to the client or connection.\r\n"
                           b"$5\r\nsince\r\n$5\r\n7.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n")
    assert b"$5\r\ntoken\r\n$8\r\nlib-name\r\n" in docs
    assert b"$5\r\ntoken\r\n$7\r\nlib-ver\r\n" in docs
    docs = proxy.call("COMMAND", "DOCS", "client|no-touch")
    assert b"Controls whether commands sent by the client affect the LRU/LFU" in docs
    assert b"$5\r\ntoken\r\n$3\r\nOFF\r\n" in docs


def names(reply):
    lines = reply.split(b"\r\n")
    return set(lines[2:-1:2])


def test_listings_stay_redis_7_0s(proxy, direct):
    listing = names(proxy.call("COMMAND", "LIST"))
    assert listing <= names(direct.call("COMMAND", "LIST"))
    assert b"client|setname" in listing and b"client|setinfo" not in listing
    everything = proxy.call("COMMAND")
    assert b"client|setname" in everything and b"client|setinfo" not in everything
    assert b"client|no-touch" not in proxy.call("COMMAND", "DOCS")
    assert b"client|no-touch" not in proxy.call("COMMAND", "INFO", "client")
