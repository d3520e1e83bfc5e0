#!/bin/sh
# The 32-bit cases' oracle: x86gen32, x86gen built -m32, run on the build
# host. A host that cannot execute 32-bit code (a kernel without IA32
# emulation; a PVM guest, whose user space has no compatibility mode)
# has none: x86gen writes the same forms and check ids without results,
# and each 32-bit image reports every check skipped, saying why.
# Usage: gen32.sh X86GEN32 X86GEN OUTDIR
gen32=$1
gen64=$2
out=$3
if "$gen32" --width 32 --check-only >/dev/null 2>&1; then
	exec "$gen32" --width 32 --out "$out"
fi
echo "x86gen: this build host cannot run 32-bit programs ($gen32 does not start): the 32-bit x86-instr images skip every check" >&2
exec "$gen64" --width 32 --out "$out" --no-oracle "no oracle: the build host cannot run 32-bit code (no IA32 emulation), so x86gen32 computed no results"
