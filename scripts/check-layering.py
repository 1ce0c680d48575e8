#!/usr/bin/python3
"""Checks the module layering of src/ (docs/ARCHITECTURE.md, DESIGN.md's module table).

Every file under src/<folder>/ may include headers of its own folder and of the folders the
table below allows, nothing else; and no file may reach into another module's `detail`
namespace (that is the module's private part, even where the include itself is allowed).

  scripts/check-layering.py            check; exit 1 naming file:line of each violation
  scripts/check-layering.py --print    print the table as Markdown (for the docs)
  scripts/check-layering.py --root DIR check the tree at DIR instead of this repo

Only `#include "folder/..."` lines count: system and third-party headers (<uv.h>,
<yaml-cpp/...>) are a matter for the CMake targets, not for this script.
"""

import argparse
import pathlib
import re
import sys

# The layering, lowest first: each module and the modules it may include. A module never
# lists itself; app/ may include everything. Why each allowance beyond DESIGN.md's table
# exists is said next to it.
ALLOWED = {
    "resp": [],
    "command": ["resp"],
    "hash": [],
    "config": ["hash"],  # a pool's hash and distribution are hash/'s enums
    "net": [],
    "backend": ["net", "resp"],
    "stats": [
        "net",
        # Counters are indexed by the command table's ids, and the stats output names the
        # commands (command_index.cc).
        "command",
        # The slow log renders its entries as RESP replies (SLOWLOG GET).
        "resp",
        # Counters are laid out from the config's pools and servers, and the stats/admin
        # ports are config settings: plain structs only (never config::detail, checked below).
        "config",
    ],
    "proxy": ["resp", "command", "hash", "config", "net", "backend", "stats"],
    "app": ["resp", "command", "hash", "config", "net", "backend", "stats", "proxy"],
}

# What each module owns, for --print (DESIGN.md's wording).
OWNS = {
    "resp": "RESP2/RESP3 decoders (requests, replies), encoder, limits",
    "command": "the command table: arity, flags, key positions, routing class",
    "hash": "twemproxy's hash functions, hash tags, rings (ketama, modula, random, redis_shard)",
    "config": "YAML loading and validation into plain structs; the only place that may throw",
    "net": "RAII around libuv handles, listen addresses and sockets, streams, write batching",
    "backend": "ServerConnection, ServerPool, reconnect/backoff",
    "stats": "counters, latency histograms, slow log, stats JSON, Prometheus, admin listener",
    "proxy": "ClientSession, Router, rings and ejection, Fanout/Merger, local commands, workers",
    "app": "main, command-line flags, signals, worker threads",
}

# TEMPORARY allowances: (file, module) pairs tolerated until the branch that removes them is
# merged; each entry goes once its branch lands. None today: the check holds everywhere.
TEMPORARY = []

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')
DETAIL = re.compile(r"\b([a-z_]+)::detail::")


def violations(root, used):
    """Yields (path, line number, message) for every forbidden include or detail use, and
    adds to `used` each TEMPORARY entry that excused one."""
    temporary = set(TEMPORARY)
    src = root / "src"
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc", ".cpp", ".hpp") or not path.is_file():
            continue
        module = path.relative_to(src).parts[0]
        if module not in ALLOWED:
            yield path, 0, f"folder src/{module}/ is not in the layering table"
            continue
        rel = str(path.relative_to(root))
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            match = INCLUDE.match(line)
            if match:
                target = match.group(1)
                if target == module or target in ALLOWED[module]:
                    pass
                elif (rel, target) in temporary:
                    used.add((rel, target))
                else:
                    yield path, number, f"src/{module}/ may not include {target}/: {line.strip()}"
            for target in DETAIL.findall(line.split("//", 1)[0]):
                if target == module or target not in ALLOWED:
                    continue
                if (rel, target + "::detail") in temporary:
                    used.add((rel, target + "::detail"))
                else:
                    yield path, number, f"src/{module}/ uses {target}::detail (private to {target}/)"


def print_table():
    print("| folder | owns | may include |")
    print("| --- | --- | --- |")
    for module, allowed in ALLOWED.items():
        deps = ", ".join(f"`{d}/`" for d in allowed) or "no other module"
        print(f"| `{module}/` | {OWNS[module]} | {deps} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the table as Markdown")
    parser.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    if args.print:
        print_table()
        return 0
    root = pathlib.Path(args.root)
    if not (root / "src").is_dir():
        print(f"check-layering: no src/ under {root}", file=sys.stderr)
        return 2
    found = 0
    used = set()
    for path, number, message in violations(root, used):
        print(f"{path.relative_to(root)}:{number}: {message}")
        found += 1
    for rel, target in TEMPORARY:
        if (rel, target) not in used:
            print(f"check-layering: note: temporary allowance ({rel}, {target}) is no longer "
                  "needed; delete it from TEMPORARY", file=sys.stderr)
    if found:
        print(f"check-layering: {found} violation(s); see the table with --print",
              file=sys.stderr)
        return 1
    print("check-layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
