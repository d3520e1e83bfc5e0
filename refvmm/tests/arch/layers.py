#!/usr/bin/env python3
"""The build's layers, checked on the built archives.

Each argument is NAME=ARCHIVE:DEP,DEP... (the layers NAME may use). A
symbol that NAME's archive leaves undefined and another refvmm layer
defines must be defined by NAME itself or one of its DEPs; anything else
is a back-reference (or a peer reference, trap <-> bt) and fails. Static
archives would only catch one by link-order accident; nm does not.
--self-test runs the check on made-up symbol tables first and fails if
it does not catch their back-reference.
"""
import subprocess
import sys


def symbols(archive):
    out = subprocess.run(["nm", "-A", archive], check=True,
                         capture_output=True, text=True).stdout
    defined, undefined = set(), {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        where = parts[0].rstrip(":")
        if len(parts) == 2 and parts[1] != "U":
            continue
        kind, name = (parts[1], parts[2]) if len(parts) == 3 else (
            parts[-2], parts[-1])
        if kind == "U":
            undefined.setdefault(name, where)
        elif kind.isupper():
            defined.add(name)
    return defined, undefined


def check(layers):
    """layers: name -> (defined, undefined{sym: where}, deps). Returns the
    list of violations."""
    owner = {}
    for name, (defined, _, _) in layers.items():
        for sym in defined:
            owner.setdefault(sym, name)
    bad = []
    for name, (defined, undefined, deps) in layers.items():
        for sym, where in sorted(undefined.items()):
            if sym in defined or sym not in owner:
                continue  # its own, or libc, Capstone, jansson...
            if owner[sym] not in deps:
                bad.append("%s uses %s from %s (%s); it may use only: %s" %
                           (name, sym, owner[sym], where.split(":")[-1],
                            ", ".join(sorted(deps)) or "nothing"))
    return bad


def self_test():
    fake = {
        "core": ({"machine__init"}, {"monitor__init": "run.o"}, set()),
        "emu": ({"monitor__init"}, {"machine__init": "monitor.o"}, {"core"}),
    }
    bad = check(fake)
    if len(bad) != 1 or "core uses monitor__init from emu" not in bad[0]:
        print("self-test: the check missed a back-reference: %s" % bad)
        return False
    print("self-test: a back-reference core -> emu is caught")
    return True


def main(argv):
    if argv and argv[0] == "--self-test":
        if not self_test():
            return 1
        argv = argv[1:]
    layers = {}
    for arg in argv:
        name, rest = arg.split("=", 1)
        archive, _, deps = rest.partition(":")
        d, u = symbols(archive)
        layers[name] = (d, u, set(x for x in deps.split(",") if x))
    # a layer may use what its dependencies may use
    changed = True
    while changed:
        changed = False
        for name, (d, u, deps) in layers.items():
            more = set(deps)
            for dep in deps:
                more |= layers.get(dep, (0, 0, set()))[2]
            if more != deps:
                layers[name] = (d, u, more)
                changed = True
    bad = check(layers)
    for line in bad:
        print(line)
    print("%d layers, %d back-references" % (len(layers), len(bad)))
    return 1 if bad else 0


sys.exit(main(sys.argv[1:]))
