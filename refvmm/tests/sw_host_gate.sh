#!/bin/sh
# Runs a test program whose guest cases need refvmm's software modes.
# On a host that cannot run them (docs/refvmm.md, "Hosts the software
# modes need") the program still runs, its other cases must pass, and
# those cases skip themselves; the test as a whole is then reported as
# skipped (77), with refvmm's reason in one line, never as passed.
# Usage: sw_host_gate.sh REFVMM PROGRAM [ARGS...]
refvmm=$1
shift
if why=$("$refvmm" --mode trap --check-host 2>&1); then
	exec "$@"
fi
"$@"
status=$?
[ $status -eq 0 ] || exit $status
echo "sw_host_gate: the cases that run guests in the software modes were skipped: $why"
exit 77
