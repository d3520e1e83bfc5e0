#!/bin/sh
# No instruction that refvmm's own host settings can make fault runs in
# the monitor outside the one function allowed for it: CPUID only in
# host_cpuid (read once at start-up, before CPUID faulting is enabled),
# RDTSC/RDTSCP only in sw_world__host_tsc (which disarms RDTSC trapping
# first). Reads the disassembly of BINARY; exits 1 naming each stray.
set -eu
bin=${1:?usage: host_insn_audit.sh BINARY}
command -v objdump >/dev/null || { echo "objdump not found"; exit 1; }
objdump -d --no-show-raw-insn "$bin" | awk '
/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); next }
$2 == "cpuid" || $2 == "rdtsc" || $2 == "rdtscp" {
	ok = ($2 == "cpuid" && fn == "host_cpuid") ||
	     ($2 != "cpuid" && fn == "sw_world__host_tsc")
	if (ok) { seen[$2]++; next }
	printf "stray %s in %s at %s\n", $2, fn, $1
	bad++
}
END {
	if (!seen["cpuid"]) { print "no cpuid in host_cpuid: the reader moved?"; bad++ }
	if (!seen["rdtsc"]) { print "no rdtsc in sw_world__host_tsc: the reader moved?"; bad++ }
	if (bad) exit 1
	printf "ok: cpuid only in host_cpuid, rdtsc only in sw_world__host_tsc\n"
}'
