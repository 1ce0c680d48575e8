"""The subcommands of later Redis releases that scripts/gen-commands.py adds to the table it
reads from redis-server 7.0, and their reply bytes in 7.0's format, RESP2 and RESP3."""

import sys

# Subcommands of later Redis releases that client libraries send whatever the server's
# version (redis-py and others send CLIENT SETINFO on connect). redis-server 7.0 does not know
# them, so their facts are written here as Redis 7.2 publishes them (src/commands/*.json of
# its 7.2 branch) and encoded in 7.0's reply format. They enter the table like any other
# command, but stay out of the listings (COMMAND, COMMAND COUNT/LIST/DOCS, the CLIENT
# element's subcommands), which remain redis-server 7.0's: see README "Answered by the proxy".
LATER = [
    {"container": "client", "name": "client|setinfo", "arity": 4,
     "flags": ["noscript", "loading", "stale", "sentinel"], "acl": ["slow", "connection"],
     "summary": "Sets information specific to the client or connection.",
     "since": "7.2.0", "group": "connection", "complexity": "O(1)",
     "arguments": [{"name": "attr", "type": "oneof", "arguments": [
         {"name": "libname", "type": "string", "token": "lib-name"},
         {"name": "libver", "type": "string", "token": "lib-ver"}]}]},
    {"container": "client", "name": "client|no-touch", "arity": 3,
     "flags": ["noscript", "loading", "stale"], "acl": ["slow", "connection"],
     "summary": "Controls whether commands sent by the client affect the LRU/LFU of accessed "
                "keys.",
     "since": "7.2.0", "group": "connection", "complexity": "O(1)",
     "arguments": [{"name": "enabled", "type": "oneof", "arguments": [
         {"name": "on", "type": "pure-token", "token": "ON"},
         {"name": "off", "type": "pure-token", "token": "OFF"}]}]},
]


def respBulk(text):
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def respMap(fields, protocol):
    """A map of (name, encoded value) pairs: "%<n>" in RESP3, RESP2's flat "*<2n>"."""
    header = b"%%%d\r\n" % len(fields) if protocol == 3 else b"*%d\r\n" % (2 * len(fields))
    return header + b"".join(respBulk(k) + v for k, v in fields)


def respSetHeader(count, protocol):
    return (b"~%d\r\n" if protocol == 3 else b"*%d\r\n") % count


def respArgument(arg, protocol):
    """One argument of COMMAND DOCS in 7.0's field order: name, type, token, arguments."""
    fields = [("name", respBulk(arg["name"])), ("type", respBulk(arg["type"]))]
    if "token" in arg:
        fields.append(("token", respBulk(arg["token"])))
    if "arguments" in arg:
        fields.append(("arguments", b"*%d\r\n" % len(arg["arguments"]) +
                       b"".join(respArgument(a, protocol) for a in arg["arguments"])))
    return respMap(fields, protocol)


def laterInfoBytes(extra, flag_order, protocol):
    """The COMMAND INFO element redis-server would send for `extra` (no keys, no tips) to a
    client of `protocol` (2 or 3); flags in the server's order, `flag_order`. In RESP3 the
    flags, ACL categories, tips and key specs are sets, and so is a command's empty list of
    subcommands (7.0's addReplyCommandSubCommands)."""
    flags = sorted(extra["flags"], key=flag_order.index)
    empty_set = respSetHeader(0, protocol)
    return (b"*10\r\n" + respBulk(extra["name"]) + b":%d\r\n" % extra["arity"] +
            respSetHeader(len(flags), protocol) + b"".join(b"+%s\r\n" % f.encode() for f in flags) +
            b":0\r\n:0\r\n:0\r\n" + respSetHeader(len(extra["acl"]), protocol) +
            b"".join(b"+@%s\r\n" % c.encode() for c in extra["acl"]) + empty_set * 3)


def laterDocsBytes(extra, protocol):
    """Its name + docs pair of COMMAND DOCS for a client of `protocol` (the docs a map)."""
    fields = [("summary", respBulk(extra["summary"])), ("since", respBulk(extra["since"])),
              ("group", respBulk(extra["group"])), ("complexity", respBulk(extra["complexity"])),
              ("arguments", b"*%d\r\n" % len(extra["arguments"]) +
               b"".join(respArgument(a, protocol) for a in extra["arguments"]))]
    return respBulk(extra["name"]) + respMap(fields, protocol)


def addLater(commands):
    """Puts the LATER subcommands into their containers, marked unlisted."""
    by_name = {c["name"]: c for c in commands}
    for extra in LATER:
        container = by_name[extra["container"]]
        if any(s["name"] == extra["name"] for s in container["subcommands"]):
            sys.exit("%r is now in redis-server's own table: drop it from LATER" % extra["name"])
        container["subcommands"].append({
            "name": extra["name"], "arity": extra["arity"], "flags": extra["flags"],
            "key_specs": [], "subcommands": [], "later": extra})
        container["subcommands"].sort(key=lambda c: c["name"])
