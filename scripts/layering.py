#!/usr/bin/env python3
"""layering.py - check the module layering of docs/ARCHITECTURE.md.

Two kinds of edge are read from the code:
  * includes: every `#include "..."` in a module's .c/.h files;
  * calls: the global symbols each object file of build/obj uses (nm -u)
    and the file that defines them (nm --defined-only).
An edge from module A to module B must be allowed by ALLOWED below (the
documented layering: a module uses only what is beneath it).  Inside one
module, no two files may call each other in a circle (a strongly connected
component of more than one file in the call graph).

Usage: scripts/layering.py [--src DIR] [--obj DIR]
Exit status 1 and one line per violation when the layering is broken.
Generated code (build/gen) and tests/, bench/ are not checked.
"""
import os
import re
import subprocess
import sys

# module -> modules it may use (itself always allowed).  Keep in step with
# docs/ARCHITECTURE.md.
BASE = {"common"}
ALLOWED = {
    "common": set(),
    "dag": {"common"},
    "blockstore": {"common", "dag"},
    "config": {"common"},
    "http": {"common"},
    "dns": {"common", "http"},
    "net": {"common", "dag"},
    "dht": {"common", "dag", "blockstore", "config", "net"},
    "bitswap": {"common", "dag", "blockstore", "net", "dht", "http"},
    "pubsub": {"common", "dag", "net"},
    "gateway": {"common", "dag", "blockstore", "http"},
    "rpc": {"common", "dag", "blockstore", "config", "http", "dns", "net",
            "dht", "bitswap", "pubsub"},
    "mirror": {"common", "dag", "blockstore", "config", "http"},
    "node": {"common", "dag", "blockstore", "config", "net", "dht",
             "bitswap", "pubsub", "http", "dns", "gateway", "rpc", "mirror"},
    "cli": {"common", "dag", "blockstore", "config", "net", "dht", "bitswap",
            "pubsub",
            "http", "dns", "gateway", "rpc", "mirror", "node"},
}


# Top-level folders that hold no module: never checked.
OTHER = {"tests", "bench", "build", "build-san", "build-fuzz", "scripts",
         "docs", "bin", ".git", ".ci"}


def module_of(path):
    head = path.split(os.sep)[0]
    return head if head in ALLOWED else None


def unknown_modules(src):
    """C folders at the top that ALLOWED does not know: a new module must be
    placed in the layering before it can pass."""
    out = []
    for d in sorted(os.listdir(src)):
        p = os.path.join(src, d)
        if d in ALLOWED or d in OTHER or not os.path.isdir(p):
            continue
        if any(f.endswith((".c", ".h")) for f in os.listdir(p)):
            out.append(d)
    return out


def include_edges(src):
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for mod in ALLOWED:
        d = os.path.join(src, mod)
        if not os.path.isdir(d):
            continue
        for root, _, files in os.walk(d):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                p = os.path.join(root, f)
                rel = os.path.relpath(p, src)
                with open(p, errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = inc.match(line)
                        if not m:
                            continue
                        target = os.path.normpath(
                            os.path.join(os.path.dirname(rel), m.group(1)))
                        tmod = module_of(target)
                        if tmod:
                            yield rel, n, mod, tmod, target


def nm(args, path):
    out = subprocess.run(["nm"] + args + [path], capture_output=True,
                         text=True, check=True).stdout
    return out.splitlines()


def call_edges(obj, src):
    """(file, module, used-symbol) and symbol -> defining file."""
    defs, uses = {}, []
    for root, _, files in os.walk(obj):
        for f in files:
            if not f.endswith(".o"):
                continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, obj)[:-2] + ".c"
            mod = module_of(rel)
            if not mod or not os.path.exists(os.path.join(src, rel)):
                continue  # not ours, or a stale object of a moved file
            for line in nm(["--defined-only", "-g"], p):
                parts = line.split()
                if len(parts) == 3:
                    defs[parts[2]] = rel
            for line in nm(["-u"], p):
                parts = line.split()
                if parts:
                    uses.append((rel, mod, parts[-1]))
    return defs, uses


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    src, obj = ".", "build/obj"
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--src":
            src = args.pop(0)
        elif a == "--obj":
            obj = args.pop(0)
        else:
            print(__doc__)
            return 2
    bad = [f"{d}/ is a module the layering does not place (add it to "
           f"ALLOWED and docs/ARCHITECTURE.md)" for d in unknown_modules(src)]
    for rel, n, mod, tmod, target in include_edges(src):
        if tmod != mod and tmod not in ALLOWED[mod]:
            bad.append(f"{rel}:{n}: {mod} includes {target} ({tmod} is not "
                       f"below {mod})")
    if os.path.isdir(obj):
        defs, uses = call_edges(obj, src)
        graph = {}
        for rel, mod, sym in uses:
            where = defs.get(sym)
            if not where or where == rel:
                continue
            tmod = module_of(where)
            if tmod != mod:
                if tmod not in ALLOWED[mod]:
                    bad.append(f"{rel}: {mod} calls {sym} of {where} ({tmod} "
                               f"is not below {mod})")
            else:
                graph.setdefault(rel, set()).add(where)
        for comp in cycles(graph):
            bad.append("files calling each other in a circle: " +
                       " <-> ".join(comp))
    else:
        print(f"layering: no {obj}: call edges not checked", file=sys.stderr)
    for line in sorted(set(bad)):
        print("layering:", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
