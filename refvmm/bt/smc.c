/*
 * Self-modifying code (smc.h). A guest write to a code page (codepage.c)
 * faults; the monitor opens the page, runs the writing instruction alone
 * (or emulates a MOV through its own mapping), and compares the
 * translated bytes with the snapshot: changed bytes flush the cache
 * (self-modifying or cross-modifying code), unchanged ones (data sharing
 * the page) just protect it again. Writes the monitor makes for the
 * guest (emulation, exception frames) are checked the same way.
 *
 * A page that takes SELFCHECK_AFTER data stores while protected is never
 * protected again: its blocks compare their guest bytes on entry
 * (translate.c) and leave when they changed.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "codepage.h"
#include "paging.h"
#include "smc.h"
#include "tcache.h"

#define SELFCHECK_AFTER 16

void smc__data_store(struct bt_vm *b, u32 lin)
{
	u32 pfn = lin >> 12;

	if ((u64)lin >= b->c->ram_size || b->selfcheck[pfn] || paging__on(b))
		return;
	if (++b->data_stores[pfn] < SELFCHECK_AFTER)
		return;
	b->selfcheck[pfn] = 1;
	b->st.selfcheck_pages++;
	/* its blocks were translated without the check */
	tcache__flush(b, "page switched to self-checking");
}

void smc__fault(struct bt_vm *b, u32 lin, u32 eip)
{
	b->st.smc_faults++;
	if (b->nsmc < ARRAY_SIZE(b->smc_pending))
		b->smc_pending[b->nsmc++] = lin >> 12;
	/* Guest pages are data here, never executable (vm.h
	 * MONITOR_CODE_TRANSLATED). */
	mprotect((void *)(uintptr_t)((lin >> 12) << 12), 4096,
		 PROT_READ | PROT_WRITE);
	b->smc_active = true;
	b->smc_eip = eip;
}

void smc__settle(struct bt_vm *b)
{
	bool changed = false;
	u32 i;

	for (i = 0; i < b->nsmc; i++) {
		struct bt_codepage *p = codepage__find(b, b->smc_pending[i]);

		if (p && codepage__changed(b, p))
			changed = true;
	}
	if (changed) {
		b->st.smc_flushes++;
		tcache__flush(b, "self-modifying code");
	} else {
		b->st.smc_false++;
		for (i = 0; i < b->nsmc; i++)
			codepage__protect(b, b->smc_pending[i]);
		for (i = 0; i < b->nsmc; i++)
			smc__data_store(b, b->smc_pending[i] << 12);
	}
	b->nsmc = 0;
	b->smc_active = false;
}

void smc__monitor_write(struct sw_cpu *c, u32 lin, u32 len)
{
	struct bt_vm *b = vm__of(c);
	u32 pfn;

	if (!b || b->c != c || !len)
		return;
	for (pfn = lin >> 12; pfn <= (lin + len - 1) >> 12; pfn++) {
		struct bt_codepage *p = codepage__find(b, pfn);

		if (p && codepage__changed(b, p)) {
			b->st.monitor_writes++;
			tcache__flush(b, "monitor write to code");
			return;
		}
	}
}
