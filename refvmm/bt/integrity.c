/*
 * The containment oracle (integrity.h). Translated code may write only
 * its scratch in struct bt_page; everything else the checks read is
 * written by the monitor alone, so a difference means a guest store got
 * past the translator's walls (docs/security.md):
 * - the gate's bytes, its two immediates included (the page is
 *   read-only to everyone: a change is a host mapping gone wrong);
 * - the rest of the vCPU page after struct bt_page, filled with
 *   BT_CANARY: translated code never addresses it;
 * - the selector translated code reloads GS with after a guest GS access.
 */
#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "integrity.h"

/* The copy's bytes [@from, @to) are the gate's. */
static bool same_upto(const u8 *copy, size_t from, size_t to)
{
	return !memcmp(copy + from, bt_gate_start + from, to - from);
}

static bool gate_intact(char *why, size_t len)
{
	const u8 *copy = (const u8 *)(uintptr_t)BT_GATE_ADDR;
	size_t n = (size_t)(bt_gate_end - bt_gate_start);
	size_t fast = (size_t)(bt_gate_fast_imm - bt_gate_start);
	size_t land = (size_t)(bt_gate_landing_imm - bt_gate_start);
	u64 landing, handler;

	memcpy(&landing, copy + land, 8);
	memcpy(&handler, copy + fast, 8);
	if (landing != (u64)(uintptr_t)sw_world_landing) {
		snprintf(why, len, "the callout gate's landing is 0x%llx",
			 (unsigned long long)landing);
		return false;
	}
	if (handler != (u64)(uintptr_t)bt_fast_callout) {
		snprintf(why, len, "the callout gate's fast handler is 0x%llx",
			 (unsigned long long)handler);
		return false;
	}
	if (!same_upto(copy, 0, fast) || !same_upto(copy, fast + 8, land) ||
	    !same_upto(copy, land + 8, n)) {
		snprintf(why, len, "the callout gate's code changed");
		return false;
	}
	return true;
}

static bool canary_intact(const struct bt_vm *b, char *why, size_t len)
{
	const u8 *p = (const u8 *)b->page;
	size_t i, from = sizeof(*b->page);
	u64 w, diff = 0;

	/* Eight bytes at a time, without a branch: the run loop checks on
	 * every I/O exit, and a byte loop cost more than the exit. */
	for (i = from; i + 8 <= BT_GS_LIMIT + 1; i += 8) {
		memcpy(&w, p + i, 8);
		diff |= w ^ (BT_CANARY * 0x0101010101010101ull);
	}
	for (; i <= BT_GS_LIMIT; i++)
		diff |= p[i] ^ BT_CANARY;
	if (!diff)
		return true;
	for (i = from; i <= BT_GS_LIMIT; i++)
		if (p[i] != BT_CANARY) {
			snprintf(why, len,
				 "vCPU page byte 0x%zx is 0x%02x, not the "
				 "canary 0x%02x",
				 i, p[i], BT_CANARY);
			return false;
		}
	return true;
}

bool integrity__check(const struct bt_vm *b, char *why, size_t len)
{
	if (!gate_intact(why, len) || !canary_intact(b, why, len))
		return false;
	if (b->ro->mon_gs_sel != b->sel_gs) {
		snprintf(why, len,
			 "the monitor's GS selector is 0x%x, not 0x%x",
			 b->ro->mon_gs_sel, b->sel_gs);
		return false;
	}
	return true;
}
