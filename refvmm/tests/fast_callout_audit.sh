#!/bin/sh
# The fast callout handler (bt/fast.c) runs with the guest's x87, SSE
# and AVX registers and FS base still loaded: its code may use no vector
# or x87 register, nothing FS-relative (a stack canary), and call
# nothing outside itself (memcpy and friends use vector registers):
# a call is allowed only to another audited function.
# Reads the disassembly of BINARY for FUNCTION... (default: every
# function of fast.c) and exits 1 naming each stray instruction.
set -eu
bin=${1:?usage: fast_callout_audit.sh BINARY [FUNCTION...]}
shift
fns=${*:-bt_fast_callout must_take_full_path mov_from_cr memory_op_allowed fast_back fast__checked fast_phys fast_pte fast_watched fast_same_cs fast_seg_eq fast_raise fast_raise_de fast_iret fast_eflags fast_set_eflags fast_stack_ok fast_gdt_desc fast_slot fast_switch_ok fast_switch fast_int fast_iret_outer fast_flat fast_sysenter fast_sysexit fast_miss push_sreg pop_sreg set_ac fast_code_at fast_stack_at fast_sysx_can_arm fast_sysx_sync fast_sysx_disarm fast_sysx_arm load_data_sreg mov_sreg fast_sysx_segs fast_inline_ok fast_sysx_msr_ok fast_flat32 fast_gdt_raw fast_int_arm fast_iret_arm fast_level0_arm fast_isys_arm fast_inline_arm fast_inline_sync fast_user_data_segs fast_walk adapted_mov adapted_pf fast_invlpg shadow_map_of fast_data_ok adapt_find shadow_hot_find shadow_hot_slot_hot fast_watched_code shadow__quiet_pt_store entry_used shadow_ram_u32 shadow_quiet_walk shadow_hot_quick_after paging_entry_fetched paging_half paging_marked}
command -v objdump >/dev/null || { echo "objdump not found"; exit 1; }
objdump -d --no-show-raw-insn "$bin" | awk -v fns="$fns" '
BEGIN { n = split(fns, f, " "); for (i = 1; i <= n; i++) want[f[i]] = 1 }
/^[0-9a-f]+ <.*>:$/ {
	fn = $2; gsub(/[<>:]/, "", fn); sub(/\..*/, "", fn)
	in_set = (fn in want); if (in_set) seen[fn]++; next
}
!in_set { next }
/%[xyz]mm|%mm[0-7]|%st|%fs:|%k[0-7]/ || $2 ~ /^(f|v|call|emms|ldmxcsr|stmxcsr|xsave|xrstor)/ {
	if ($2 ~ /^call/ && match($0, /<[^>+]*>/)) {
		callee = substr($0, RSTART + 1, RLENGTH - 2); sub(/\..*/, "", callee)
		if (callee in want) next	# one of the audited functions
	}
	$1 = $1; printf "stray in %s: %s\n", fn, $0; bad++
}
END {
	if (!seen["bt_fast_callout"] && fns ~ /bt_fast_callout/) {
		print "no bt_fast_callout: the handler moved?"; bad++
	}
	if (bad) exit 1
	printf "ok: %s use general registers only and call nothing\n", fns
}'
