#!/usr/bin/env python3
"""Import cycles between refvmm's units.

A unit is a .c file and the header of the same name that declares it
(refvmm/emu/emulate.c and refvmm/emu/emulate.h, refvmm/sw/shadow_pt.c and
refvmm/include/refvmm/sw/shadow_pt.h). Unit A imports unit B when a file
of A includes B's header. A cycle is a strongly connected set of more
than one unit. Prints each cycle; exits 1 if any is not in ALLOWED.
"""
import os
import re
import sys

ALLOWED = []  # not even emulate <-> deliver: delivery uses only the stack

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..")
root = os.path.normpath(root)
inc_root = os.path.join(root, "include", "refvmm")
skip = {"tests", "fuzz", "bench"}


def unit_of(path):
    rel = os.path.relpath(path, root)
    if rel.startswith("include" + os.sep):
        rel = os.path.relpath(path, inc_root)
    stem = os.path.splitext(rel)[0]
    return stem.replace(os.sep, "/")


files = []
for d, dirs, names in os.walk(root):
    dirs[:] = [x for x in dirs if x not in skip]
    for n in names:
        if n.endswith((".c", ".h")):
            files.append(os.path.join(d, n))

units = {unit_of(f) for f in files}
edges = {u: set() for u in units}
pat = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
for f in files:
    u = unit_of(f)
    for target in pat.findall(open(f, encoding="utf-8").read()):
        if target.startswith("refvmm/"):
            path = os.path.join(inc_root, target[len("refvmm/"):])
        else:
            path = os.path.normpath(os.path.join(os.path.dirname(f), target))
        if not os.path.exists(path):
            continue
        v = unit_of(path)
        if v != u:
            edges[u].add(v)

# Tarjan's strongly connected components
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = n[0]
    n[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = set()
        while True:
            w = stack.pop()
            on.discard(w)
            comp.add(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)


for v in sorted(units):
    if v not in index:
        visit(v)

bad = 0
for comp in sccs:
    allowed = comp in ALLOWED
    print("%s cycle: %s" % ("allowed" if allowed else "IMPORT",
                           " <-> ".join(sorted(comp))))
    bad += not allowed
print("%d units, %d cycles not allowed" % (len(units), bad))
sys.exit(1 if bad else 0)
