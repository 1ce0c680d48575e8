#!/usr/bin/python3
"""Generate shardis's command table from a real redis-server 7.0.

Starts a throw-away redis-server on a free loopback port, reads COMMAND (the
same elements COMMAND INFO gives) and COMMAND DOCS over a plain socket, once in
RESP2 and once more after HELLO 3 (RESP3 types them: sets of flags, maps of key
specs and docs), and writes two checked-in C++ files:

  src/command/command_table_gen.cc  every command and subcommand: arity, flags,
                                     key specs, routing class, key rule
  src/command/command_raw_gen.cc    the server's exact reply bytes in both
                                     protocols, so the proxy can answer COMMAND/
                                     COMMAND INFO/COMMAND DOCS by concatenation

The few subcommands of later Redis releases that client libraries send on connect
(CLIENT SETINFO, CLIENT NO-TOUCH) are not in 7.0's answers: scripts/later_commands.py
holds their facts and this script adds them, unlisted (see CommandSpec::listed).

Routing classes and refusal reasons are project decisions: they live in the
tables below, never in the generated output. Run it after changing them:

  /usr/bin/python3 scripts/gen-commands.py [--redis-server /usr/bin/redis-server]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

from later_commands import addLater, laterDocsBytes, laterInfoBytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------
# Project decisions: how the proxy routes each command.
# ---------------------------------------------------------------------------

# Answered by the proxy itself.
LOCAL = {
    "ping", "echo", "quit", "select", "auth", "hello", "info", "time", "reset",
    "readonly", "readwrite",
    "client|getname", "client|setname", "client|id", "client|info", "client|list",
    "client|kill", "client|reply", "client|no-evict", "client|help",
    "client|setinfo", "client|no-touch",
    "command|count", "command|docs", "command|getkeys", "command|getkeysandflags",
    "command|help", "command|info", "command|list",
    "config|get", "config|help", "pubsub|help",
    "slowlog|get", "slowlog|len", "slowlog|reset", "slowlog|help",
}

# Sent to every server of the pool, replies merged.
ALL_SERVERS = {
    "dbsize", "keys", "flushdb", "flushall", "scan", "randomkey", "wait", "lastsave",
    "script|load", "script|exists", "script|flush", "script|kill", "function|kill",
    "function|load", "function|delete", "function|flush", "function|restore",
    "function|list", "function|dump", "function|stats",
}

# Keys grouped per server, one sub-command each, replies merged in key order.
SPLIT = {"mget", "mset", "del", "unlink", "exists", "touch"}

# The stateful layer, each family with handlers of its own: transactions and blocking
# commands (leased connections), pub/sub (the subscriber connections, and the counts
# corrected for them), client-side caching (a tracking client's own connections), and
# MONITOR (refused).
PINNED = {
    "multi", "exec", "discard", "watch", "unwatch",
    "blpop", "brpop", "blmove", "brpoplpush", "bzpopmin", "bzpopmax", "blmpop", "bzmpop",
    "subscribe", "psubscribe", "ssubscribe",
    "unsubscribe", "punsubscribe", "sunsubscribe",
    "publish", "spublish",
    "pubsub|channels", "pubsub|numsub", "pubsub|numpat",
    "pubsub|shardchannels", "pubsub|shardnumsub",
    "client|tracking", "client|trackinginfo", "client|getredir", "client|caching",
    "monitor",
}

# Refused, with the reason the client reads after "-ERR '<name>' is not
# supported by this proxy". A container listed here refuses all of its
# subcommands.
_ADMIN = "server administration belongs on each backend"
_REPLICATION = "replication is set up on each backend"
_PERSISTENCE = "persistence is managed on each backend"
_CLUSTER = "shardis is not a Redis Cluster"
_ONE_DB = "shardis serves one database per pool"
_HELP = "ask a backend server directly"
UNSUPPORTED = {
    "shutdown": _ADMIN, "debug": _ADMIN, "acl": _ADMIN, "module": _ADMIN,
    "latency": _ADMIN,
    "config|set": _ADMIN, "config|rewrite": _ADMIN, "config|resetstat": _ADMIN,
    "memory|doctor": _ADMIN, "memory|stats": _ADMIN, "memory|malloc-stats": _ADMIN,
    "memory|purge": _ADMIN, "memory|help": _HELP,
    "script|debug": _ADMIN,
    "script|help": _HELP, "function|help": _HELP, "object|help": _HELP, "xinfo|help": _HELP, "xgroup|help": _HELP,
    "lolwut": "it has no key to route by",
    "pfselftest": _ADMIN, "pfdebug": _ADMIN,
    "replicaof": _REPLICATION, "slaveof": _REPLICATION, "sync": _REPLICATION,
    "psync": _REPLICATION, "replconf": _REPLICATION, "role": _REPLICATION,
    "failover": _REPLICATION,
    "save": _PERSISTENCE, "bgsave": _PERSISTENCE, "bgrewriteaof": _PERSISTENCE,
    "cluster": _CLUSTER, "asking": _CLUSTER, "restore-asking": _CLUSTER,
    "migrate": "keys are placed by the proxy's hash ring",
    "move": _ONE_DB, "swapdb": _ONE_DB,
    "client|pause": "it would pause every client of a backend",
    "client|unpause": "it would resume every client of a backend",
    "client|unblock": "blocked clients are not visible through the proxy",
}

# How findKeys reads keys when the server's key specs alone do not say it
# exactly (mirrors the server's getkeys procedures) or when a bad numkeys must
# be refused with the wording the server itself would use.
KEY_RULES = {
    "eval": "kEvalNumkeys", "evalsha": "kEvalNumkeys", "eval_ro": "kEvalNumkeys",
    "evalsha_ro": "kEvalNumkeys",
    "fcall": "kFcallNumkeys", "fcall_ro": "kFcallNumkeys",
    "zunionstore": "kZsetNumkeys", "zinterstore": "kZsetNumkeys", "zdiffstore": "kZsetNumkeys",
    "zunion": "kZsetNumkeys", "zinter": "kZsetNumkeys", "zdiff": "kZsetNumkeys",
    "zintercard": "kZsetNumkeys",
    "sintercard": "kSintercardNumkeys",
    "lmpop": "kMpopNumkeys", "zmpop": "kMpopNumkeys", "blmpop": "kMpopNumkeys",
    "bzmpop": "kMpopNumkeys",
    "xread": "kStreams", "xreadgroup": "kStreams",
    "sort": "kSort", "sort_ro": "kSortRo",
    "migrate": "kMigrate",
}

FLAGS = [
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys", "protected",
    "module_getkeys", "module_no_cluster", "no_async_loading", "no_multi", "movablekeys",
    "allow_busy", "module_getchannels", "touches_arbitrary_keys",
]
KEY_FLAGS = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
             "incomplete", "variable_flags"]


def cxxFlagName(flag):
    return "k" + "".join(p.capitalize() for p in flag.split("_"))


def cxxKeyFlagName(flag):
    if flag in ("RO", "RW", "OW", "RM"):
        return "kKey" + flag[0] + flag[1].lower()
    return "kKey" + "".join(p.capitalize() for p in flag.split("_"))


# ---------------------------------------------------------------------------
# A RESP2/RESP3 reader that keeps the byte range of every element.
# ---------------------------------------------------------------------------

class Node:
    """kind is the type byte. A map's value is its keys and values in one flat list, as
    RESP2's flattened pairs are; an attribute ("|") is kept in `attribute`, its reply's range
    includes it."""

    def __init__(self, kind, value, start, end):
        self.kind, self.value, self.start, self.end = kind, value, start, end

    def text(self):
        return self.value.decode() if isinstance(self.value, bytes) else self.value


LINE_TYPES = "+-,#("     # simple string, error, double, boolean, big number: the line itself
BLOB_TYPES = "$=!"      # bulk string, verbatim string, blob error: a length, then the bytes
AGGREGATES = {"*": 1, "~": 1, ">": 1, "%": 2, "|": 2}  # elements per counted item


def parseResp(buf, pos):
    """Returns (Node, next position) or None when buf holds no complete reply."""
    line_end = buf.find(b"\r\n", pos)
    if line_end < 0:
        return None
    kind, head = chr(buf[pos]), buf[pos + 1:line_end]
    after = line_end + 2
    if kind in LINE_TYPES:
        return Node(kind, head, pos, after), after
    if kind == ":":
        return Node(kind, int(head), pos, after), after
    if kind == "_":
        return Node(kind, None, pos, after), after
    if kind in BLOB_TYPES:
        length = int(head)
        if length < 0:
            return Node(kind, None, pos, after), after
        if len(buf) < after + length + 2:
            return None
        return Node(kind, buf[after:after + length], pos, after + length + 2), after + length + 2
    if kind in AGGREGATES:
        items = []
        count = int(head)
        for _ in range(max(count, 0) * AGGREGATES[kind]):
            parsed = parseResp(buf, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        node = Node(kind, items if count >= 0 else None, pos, after)
        if kind != "|":
            return node, after
        parsed = parseResp(buf, after)  # the reply the attribute annotates
        if parsed is None:
            return None
        reply, after = parsed
        reply.attribute, reply.start = node, pos
        return reply, after
    raise ValueError("unexpected RESP type %r" % kind)


def aggregateHeader(kind, items):
    """The header of an aggregate of type `kind` holding `items` elements (a map counts its
    pairs: "%<n/2>", where RESP2's flattened pairs count each: "*<n>")."""
    return b"%s%d\r\n" % (kind.encode(), items // AGGREGATES[kind])


class RedisConnection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for arg in args:
            arg = arg.encode() if isinstance(arg, str) else arg
            out += b"$%d\r\n%s\r\n" % (len(arg), arg)
        self.sock.sendall(out)
        while True:
            parsed = parseResp(self.buf, 0) if self.buf else None
            if parsed is not None:
                node, end = parsed
                raw, self.buf = self.buf[:end], self.buf[end:]
                return node, raw
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("redis-server closed the connection")
            self.buf += chunk


def freePort():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def startServer(binary, workdir):
    port = freePort()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            conn = RedisConnection(port)
            conn.call("PING")
            return proc, conn
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


# ---------------------------------------------------------------------------
# Reading the server's answers into command records.
# ---------------------------------------------------------------------------

def pairs(node):
    items = node.value
    return {items[i].text(): items[i + 1] for i in range(0, len(items), 2)}


def readKeySpec(node):
    fields = pairs(node)
    begin, find = pairs(fields["begin_search"]), pairs(fields["find_keys"])
    spec = {"flags": [f.text() for f in fields["flags"].value],
            "begin": begin["type"].text(), "find": find["type"].text()}
    begin_args = pairs(begin["spec"]) if begin["spec"].value else {}
    find_args = pairs(find["spec"]) if find["spec"].value else {}
    spec["index"] = begin_args.get("index", begin_args.get("startfrom", Node(":", 0, 0, 0))).value
    spec["keyword"] = begin_args["keyword"].text() if "keyword" in begin_args else ""
    for name in ("lastkey", "keystep", "limit", "keynumidx", "firstkey"):
        spec[name] = find_args[name].value if name in find_args else 0
    return spec


def readInfo(node):
    items = node.value
    cmd = {
        "name": items[0].text(), "arity": items[1].value,
        "flags": [f.text() for f in items[2].value],
        "first": items[3].value, "last": items[4].value, "step": items[5].value,
        "key_specs": [readKeySpec(s) for s in items[8].value],
        "subcommands": sorted((readInfo(s) for s in items[9].value), key=lambda c: c["name"]),
    }
    for flag in cmd["flags"]:
        if flag not in FLAGS:
            sys.exit("unknown command flag %r on %s" % (flag, cmd["name"]))
    return cmd


def readInfoNodes(node, info_by_name):
    """Maps each name, subcommands included, to its element node in COMMAND's reply."""
    for element in node.value:
        info_by_name[element.value[0].text()] = element
        readInfoNodes(element.value[9], info_by_name)


def readDocs(node, docs_by_name):
    """Maps each name, subcommands included, to its (name, docs) nodes in COMMAND DOCS."""
    items = node.value
    for i in range(0, len(items), 2):
        name, docs = items[i], items[i + 1]
        docs_by_name[name.text()] = (name, docs)
        fields = pairs(docs)
        if "subcommands" in fields:
            readDocs(fields["subcommands"], docs_by_name)


class Capture:
    """One protocol's answers to COMMAND and COMMAND DOCS, and the blobs built from them:
    info_ranges[name] and docs_ranges[name] are (start, end, length before the subcommands
    array or 0) in info_blob and docs_blob."""

    def __init__(self, protocol, info_reply, info_raw, docs_reply, docs_raw):
        self.protocol = protocol
        self.info_raw, self.docs_raw = info_raw, docs_raw
        self.info_nodes, self.docs_nodes = {}, {}
        readInfoNodes(info_reply, self.info_nodes)
        readDocs(docs_reply, self.docs_nodes)
        self.info_blob, self.docs_blob = bytearray(), bytearray()
        self.info_ranges, self.docs_ranges = {}, {}


# The server lists subcommands in its hash table's order, which changes with every process
# (the hash seed is random). The blobs list them sorted by name instead, so that generating
# twice gives the same file; each element is still byte for byte one the server sends.

def appendInfo(cmd, cap):
    """Appends cmd's COMMAND INFO element to cap.info_blob and records its byte range."""
    node, raw, blob = cap.info_nodes[cmd["name"]], cap.info_raw, cap.info_blob
    start, head = len(blob), 0
    if not cmd["subcommands"]:
        blob += raw[node.start:node.end]
    else:
        subs = node.value[9]
        blob += raw[node.start:subs.start]
        head = len(blob) - start
        served = [sub for sub in cmd["subcommands"] if "later" not in sub]
        blob += aggregateHeader(subs.kind, len(served))
        for sub in served:
            appendInfo(sub, cap)
    cap.info_ranges[cmd["name"]] = (start, len(blob), head)


def appendLater(commands, cap):
    """The LATER subcommands' own elements go after everything else, inside no container's."""
    for cmd in commands:
        for sub in cmd["subcommands"]:
            if "later" not in sub:
                continue
            start = len(cap.info_blob)
            cap.info_blob += laterInfoBytes(sub["later"], FLAGS, cap.protocol)
            cap.info_ranges[sub["name"]] = (start, len(cap.info_blob), 0)
            start = len(cap.docs_blob)
            cap.docs_blob += laterDocsBytes(sub["later"], cap.protocol)
            cap.docs_ranges[sub["name"]] = (start, len(cap.docs_blob), 0)


def appendDocs(name, cap):
    """Appends name's name + docs pair of COMMAND DOCS to cap.docs_blob and records its byte
    range."""
    name_node, docs_node = cap.docs_nodes[name]
    raw, blob = cap.docs_raw, cap.docs_blob
    start, head = len(blob), 0
    subs = pairs(docs_node).get("subcommands")
    if subs is None:
        blob += raw[name_node.start:docs_node.end]
    else:
        blob += raw[name_node.start:subs.start]
        head = len(blob) - start
        blob += aggregateHeader(subs.kind, len(subs.value))
        for sub_name in sorted(subs.value[i].text() for i in range(0, len(subs.value), 2)):
            appendDocs(sub_name, cap)
        blob += raw[subs.end:docs_node.end]
    cap.docs_ranges[name] = (start, len(blob), head)


# ---------------------------------------------------------------------------
# Routing classes.
# ---------------------------------------------------------------------------

def hasKeys(cmd):
    return any("not_key" not in s["flags"] for s in cmd["key_specs"]) or cmd["name"] in KEY_RULES


def exactlyOneKey(cmd):
    specs = [s for s in cmd["key_specs"] if "not_key" not in s["flags"]]
    return (len(specs) == 1 and specs[0]["begin"] == "index" and specs[0]["find"] == "range"
            and specs[0]["lastkey"] == 0 and cmd["name"] not in KEY_RULES)


def unsupportedReason(name, parent):
    why = UNSUPPORTED.get(name) or (parent and UNSUPPORTED.get(parent))
    if why is None:
        return None
    return "'%s' is not supported by this proxy (%s)" % (name, why)


def routingOf(cmd, parent=None):
    name = cmd["name"]
    reason = unsupportedReason(name, parent)
    if reason is not None:
        return "kUnsupported", reason
    if cmd["subcommands"]:
        # A container's own class answers only an unknown subcommand: the
        # proxy replies with the server's "unknown subcommand" error itself.
        return "kLocal", ""
    for table, routing in ((LOCAL, "kLocal"), (ALL_SERVERS, "kAllServers"),
                           (SPLIT, "kSplit"), (PINNED, "kPinned")):
        if name in table:
            return routing, ""
    if not hasKeys(cmd):
        sys.exit("keyless command %r has no routing decision: add it to a table" % name)
    return ("kSingleKey" if exactlyOneKey(cmd) else "kSameServerKeys"), ""


def checkTables(all_names):
    for table in (LOCAL, ALL_SERVERS, SPLIT, PINNED, UNSUPPORTED, KEY_RULES):
        for name in table:
            if name not in all_names:
                sys.exit("routing tables name %r, which redis-server does not know" % name)
    seen = {}
    for table in (LOCAL, ALL_SERVERS, SPLIT, PINNED, UNSUPPORTED):
        for name in table:
            if name in seen:
                sys.exit("%r is in two routing tables" % name)
            seen[name] = True


def checkKeyRules(cmd):
    specs = cmd["key_specs"]
    needs_rule = any(s["find"] == "keynum" or s["begin"] == "unknown" or s["find"] == "unknown"
                     or ("incomplete" in s["flags"] and "not_key" not in s["flags"])
                     for s in specs)
    if needs_rule and cmd["name"] not in KEY_RULES:
        sys.exit("%r has key specs findKeys cannot follow alone: add a KEY_RULES entry" % cmd["name"])


# ---------------------------------------------------------------------------
# Writing C++.
# ---------------------------------------------------------------------------

HEADER = ("// Generated by scripts/gen-commands.py from redis-server %s. Do not edit: change the\n"
          "// script's tables and run it again.\n"
          "// The layout is the generator's, one entry per line: clang-format leaves it alone.\n"
          "// clang-format off\n")


def cxxString(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cxxBytes(data, width=96):
    """Adjacent string literals, one line each; octal escapes never run into a digit."""
    lines, line = [], ""
    for byte in data:
        ch = chr(byte)
        if ch == "\r":
            piece = "\\r"
        elif ch == "\n":
            piece = "\\n"
        elif ch in '"\\':
            piece = "\\" + ch
        elif ch == "?" or not (32 <= byte < 127):
            piece = "\\%03o" % byte  # '?' escaped so no trigraph can form
        else:
            piece = ch
        line += piece
        if len(line) >= width:
            lines.append('    "' + line + '"')
            line = ""
    if line:
        lines.append('    "' + line + '"')
    return "\n".join(lines)


def cxxIdent(name):
    return "".join(p.capitalize() for p in name.replace("|", "_").replace("-", "_").split("_"))


def emitKeySpecs(cmd, out):
    if not cmd["key_specs"]:
        return "{}"
    ident = "kKeySpecs" + cxxIdent(cmd["name"])
    out.append("constexpr KeySpec %s[] = {" % ident)
    for s in cmd["key_specs"]:
        flags = " | ".join(cxxKeyFlagName(f) for f in s["flags"]) or "0"
        begin = {"index": "kIndex", "keyword": "kKeyword", "unknown": "kUnknown"}[s["begin"]]
        find = {"range": "kRange", "keynum": "kKeynum", "unknown": "kUnknown"}[s["find"]]
        out.append("    {BeginSearch::%s, %d, %s, FindKeys::%s, %d, %d, %d, %d, %d, %s}," % (
            begin, s["index"], cxxString(s["keyword"]), find, s["lastkey"], s["keystep"],
            s["limit"], s["keynumidx"], s["firstkey"], flags))
    out.append("};")
    return ident


def emitRanges(name, caps):
    """The raw_* fields of one CommandSpec, for each capture (RESP2, then RESP3): "raw_info,
    raw_docs" and "raw_info_head, raw_docs_head" ({} for other than a container)."""
    views, heads = [], []
    for cap in caps:
        suffix = "" if cap.protocol == 2 else str(cap.protocol)
        info_start, info_end, info_head = cap.info_ranges[name]
        docs_start, docs_end, docs_head = cap.docs_ranges[name]
        views.append("infoBytes%s(%d, %d), docsBytes%s(%d, %d)" % (
            suffix, info_start, info_end - info_start, suffix, docs_start, docs_end - docs_start))
        heads.append("infoBytes%s(%d, %d), docsBytes%s(%d, %d)" % (
            suffix, info_start, info_head, suffix, docs_start, docs_head)
            if info_head else "{}, {}")
    return views, heads


def emitSpec(cmd, parent, caps, subs_ident):
    routing, reason = routingOf(cmd, parent)
    checkKeyRules(cmd)
    flags = " | ".join(cxxFlagName(f) for f in cmd["flags"]) or "0"
    views, heads = emitRanges(cmd["name"], caps)
    lines = ["    {%s, %d, %s," % (cxxString(cmd["name"]), cmd["arity"], flags),
             "     Routing::%s, %s," % (routing, cxxString(reason)),
             "     %s, %s," % (views[0], subs_ident),
             "     KeyRule::%s, %s, %s, %s," % (KEY_RULES.get(cmd["name"], "kKeySpecs"),
                                               cmd["key_specs_ident"], heads[0],
                                               "false" if "later" in cmd else "true"),
             "     %s, %s}," % (views[1], heads[1])]
    return "\n".join(lines)


def writeTable(commands, caps, version, path):
    out = [HEADER % version,
           "// Fields in CommandSpec order: name, arity, flags, routing, unsupported_reason,",
           "// raw_info, raw_docs, subcommands, key_rule, key_specs, raw_info_head, raw_docs_head,",
           "// listed, raw_info3, raw_docs3, raw_info3_head, raw_docs3_head.",
           "",
           '#include "command/command_raw_gen.h"',
           '#include "command/command_table.h"', "",
           "namespace shardis::command {", "namespace {", "",
           "// Views into the server's own reply bytes (command_raw_gen.cc), RESP2 then RESP3.",
           "constexpr std::string_view infoBytes(size_t offset, size_t length) {",
           "  return {kCommandInfoBytes + offset, length};", "}",
           "constexpr std::string_view docsBytes(size_t offset, size_t length) {",
           "  return {kCommandDocsBytes + offset, length};", "}",
           "constexpr std::string_view infoBytes3(size_t offset, size_t length) {",
           "  return {kCommandInfo3Bytes + offset, length};", "}",
           "constexpr std::string_view docsBytes3(size_t offset, size_t length) {",
           "  return {kCommandDocs3Bytes + offset, length};", "}", ""]
    tops = []
    for cmd in commands:
        for sub in cmd["subcommands"]:
            sub["key_specs_ident"] = emitKeySpecs(sub, out)
        cmd["key_specs_ident"] = emitKeySpecs(cmd, out)
        subs_ident = "{}"
        if cmd["subcommands"]:
            subs_ident = "kSubcommands" + cxxIdent(cmd["name"])
            out.append("constinit const CommandSpec %s[] = {" % subs_ident)
            for sub in cmd["subcommands"]:
                out.append(emitSpec(sub, cmd["name"], caps, "{}"))
            out.append("};")
        tops.append(emitSpec(cmd, None, caps, subs_ident))
    out += ["", "constinit const CommandSpec kCommands[] = {"] + tops + ["};", "",
            "}  // namespace", "",
            "std::span<const CommandSpec> allCommands() { return kCommands; }", "",
            "}  // namespace shardis::command", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


def writeRaw(caps, version, header_path, source_path):
    resp2, resp3 = caps
    with open(header_path, "w") as f:
        f.write(HEADER % version + "#pragma once\n\n#include <cstddef>\n\n"
                "namespace shardis::command {\n\n"
                "// Each command's element of COMMAND INFO, back to back in table order; a\n"
                "// subcommand's element lies inside its container's.\n"
                "extern const char kCommandInfoBytes[%d];\n"
                "// Each command's name + docs pair of COMMAND DOCS, the same way.\n"
                "extern const char kCommandDocsBytes[%d];\n"
                "// The same two as the server sends them to a RESP3 client (after HELLO 3).\n"
                "extern const char kCommandInfo3Bytes[%d];\n"
                "extern const char kCommandDocs3Bytes[%d];\n\n"
                "}  // namespace shardis::command\n" % (
                    len(resp2.info_blob) + 1, len(resp2.docs_blob) + 1,
                    len(resp3.info_blob) + 1, len(resp3.docs_blob) + 1))
    with open(source_path, "w") as f:
        f.write(HEADER % version)
        f.write('#include "command/command_raw_gen.h"\n\n'
                "// One literal per array keeps the bytes exact; it is longer than the 64 KiB\n"
                "// ISO C++ asks compilers to support, which g++ and clang accept.\n"
                '#pragma GCC diagnostic ignored "-Woverlength-strings"\n\n'
                "namespace shardis::command {\n\n")
        for name, blob in (("kCommandInfoBytes", resp2.info_blob),
                           ("kCommandDocsBytes", resp2.docs_blob),
                           ("kCommandInfo3Bytes", resp3.info_blob),
                           ("kCommandDocs3Bytes", resp3.docs_blob)):
            f.write("const char %s[%d] =\n%s;\n\n" % (name, len(blob) + 1, cxxBytes(blob)))
        f.write("}  // namespace shardis::command\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis-server", default="/usr/bin/redis-server")
    parser.add_argument("--out", default=os.path.join(ROOT, "src", "command"))
    args = parser.parse_args()
    replies = {}
    with tempfile.TemporaryDirectory() as workdir:
        proc, conn = startServer(args.redis_server, workdir)
        try:
            server_info, _ = conn.call("INFO", "server")
            for protocol in (2, 3):
                if protocol == 3:
                    hello, _ = conn.call("HELLO", "3")
                    if hello.kind != "%":
                        sys.exit("redis-server refused HELLO 3: %r" % hello.value)
                replies[protocol] = (conn.call("COMMAND"), conn.call("COMMAND", "DOCS"))
        finally:
            proc.kill()
            proc.wait()
    version = [l for l in server_info.value.decode().split("\r\n")
               if l.startswith("redis_version:")][0].split(":")[1]

    (info_reply, _), _ = replies[2]
    commands = sorted((readInfo(n) for n in info_reply.value), key=lambda c: c["name"])
    addLater(commands)
    all_names = {c["name"] for c in commands} | {s["name"] for c in commands
                                                 for s in c["subcommands"]}
    checkTables(all_names)

    caps = []
    for protocol in (2, 3):
        (info_reply, info_raw), (docs_reply, docs_raw) = replies[protocol]
        cap = Capture(protocol, info_reply, info_raw, docs_reply, docs_raw)
        for cmd in commands:
            appendInfo(cmd, cap)
        for cmd in commands:
            appendDocs(cmd["name"], cap)
        appendLater(commands, cap)
        caps.append(cap)

    writeRaw(caps, version, os.path.join(args.out, "command_raw_gen.h"),
             os.path.join(args.out, "command_raw_gen.cc"))
    writeTable(commands, caps, version, os.path.join(args.out, "command_table_gen.cc"))
    print("wrote %d commands and %d subcommands from redis-server %s" % (
        len(commands), len(all_names) - len(commands), version))


if __name__ == "__main__":
    main()
