/*
 * Guest instructions on MMIO, any instruction (mmio.h). The shared
 * emulator (emu/) does MOV/MOVZX/MOVSX there; for anything else
 * the translator runs the instruction itself on a shadow page: the
 * device's page is read through the bus into an anonymous mapping at
 * the same host address (guest-physical == host-linear with paging
 * off), the instruction runs alone, and the bytes it changed are written
 * back through the bus. Exact for memory-like regions (pc-testdev's
 * 64 KiB window, unclaimed space reading all ones); a device register
 * with read side effects would see the whole page read, and refvmm has
 * no such MMIO device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mmio.h"
#include "paging.h"
#include "refvmm/sw/segments.h"

bool mmio__addr(const struct bt_vm *b, u32 lin)
{
	if (paging__on(b))
		return false; /* trap mode's emulation serves it (paging.c) */
	return (u64)lin >= b->c->ram_size && lin < SW_WINDOW_BASE;
}

bool mmio__open(struct bt_vm *b, u32 lin, u32 eip, u32 store)
{
	u32 page = lin & ~0xfffu, i;
	void *p;

	if (b->nmmio && b->mmio_eip != eip)
		mmio__settle(b);
	for (i = 0; i < b->nmmio; i++)
		if (b->mmio[i].page == page)
			return false; /* mapped and still faulting */
	if (b->nmmio >= BT_MMIO_PAGES)
		return false;
	p = mmap((void *)(uintptr_t)page, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != (void *)(uintptr_t)page) {
		if (p != MAP_FAILED)
			munmap(p, 4096);
		return false;
	}
	sw_lin_read(b->c, page, b->mmio[b->nmmio].before, 4096);
	memcpy(p, b->mmio[b->nmmio].before, 4096);
	b->mmio[b->nmmio].store_off = lin & 0xfffu;
	b->mmio[b->nmmio].store_len =
		store < 4096 - (lin & 0xfffu) ? store : 4096 - (lin & 0xfffu);
	b->mmio[b->nmmio++].page = page;
	b->mmio_eip = eip;
	b->st.mmio_steps++;
	return true;
}

/*
 * A store that leaves a register's value as it was still reaches the
 * device (writing ICR low with its old value sends the IPI again), so
 * the faulting store's bytes are written back once whatever they hold,
 * after the other runs of changed bytes.
 */
void mmio__settle(struct bt_vm *b)
{
	u32 i, off, end;

	for (i = 0; i < b->nmmio; i++) {
		const u8 *now = (const u8 *)(uintptr_t)b->mmio[i].page;
		const u8 *was = b->mmio[i].before;
		u32 s0 = b->mmio[i].store_off;
		u32 s1 = s0 + b->mmio[i].store_len;

		/* write back each run of changed bytes */
		for (off = 0; off < 4096; off = end) {
			if (now[off] == was[off] || (off >= s0 && off < s1)) {
				end = off + 1;
				continue;
			}
			for (end = off; end < 4096 && now[end] != was[end] &&
					!(end >= s0 && end < s1);
			     end++)
				;
			sw_lin_write(b->c, b->mmio[i].page + off, now + off,
				     end - off);
		}
		if (s1 > s0)
			sw_lin_write(b->c, b->mmio[i].page + s0, now + s0,
				     s1 - s0);
		munmap((void *)(uintptr_t)b->mmio[i].page, 4096);
	}
	b->nmmio = 0;
}
