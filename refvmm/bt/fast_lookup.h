/*
 * The indirect-branch lookup's miss, finished by the gate (fast.c;
 * included there alone, after fast_event.h). A miss leaves the shared
 * lookup with the guest's registers as they were and bt_page.target the
 * branch's guest EIP; the full path (callout.c, then bt.c step) counts
 * it, takes the key of the current state, finds the block of that key
 * whose pages the guest's tables map as recorded (tcache__find), puts it
 * in the current table and runs it. This does the same when that needs
 * nothing the full path alone can do:
 * - the block exists and was checked in the current epoch of its class
 *   (aspace.c: a block not yet checked is walked again there), valid;
 * - the key is an ordinary one (no single-instruction block: no TF, RF,
 *   interrupt shadow, stepped store or MMIO page at the target; the
 *   checks that must_take_full_path makes already, and these);
 * - the current table holds that key word (else table_select, which may
 *   empty a table, decides).
 * The paging controls cannot have changed since the run loop last
 * compared them (tcache__sync): only the full path changes them.
 * The run then goes on through the lookup, which now hits.
 */
#ifndef REFVMM_BT_FAST_LOOKUP_H
#define REFVMM_BT_FAST_LOOKUP_H

#include "fast_event.h"

static bool fast_miss(struct bt_vm *b, struct sw_cpu *c)
{
	u32 efl = fast_eflags(b, c), i;
	const struct bt_block *tb;
	struct bt_key k;
	u64 now;

	k.eip = b->page->target;
	if ((efl & (EFL_RF | EFL_TF)) ||
	    (b->smc_active && k.eip == b->smc_eip) ||
	    (b->nmmio && k.eip == b->mmio_eip))
		return false;
	bt_key_state(b, &k);
	k.single = false;
	k.nobp = false;
	if (b->tables[b->table_cur].keyw != bt_key_word(&k))
		return false;
	now = b->epoch[k.cpl == 3];
	for (tb = b->hash[bt_key_hash(&k)]; tb; tb = tb->hnext) {
		if (!bt_key_eq(&tb->key, &k))
			continue;
		if (tb->epoch != now)
			return false; /* aspace__valid walks it again */
		if (tb->valid)
			break;
	}
	if (!tb)
		return false;
	i = bt_table_index(k.eip);
	bt_table_put(b, b->table_cur, i, k.eip, tb->tc);
	b->st.exits[BT_EXIT_MISS]++;
	b->st.lookup_miss++;
	b->st.fast_misses++;
	return true;
}

#endif
