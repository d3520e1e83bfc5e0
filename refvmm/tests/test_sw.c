/*
 * The software monitor's pure parts: descriptor shadowing (truncation
 * below the monitor window, DPL compression, expand-down and wrapping
 * segments emulated), the hidden descriptor cache of the host LDT slots,
 * and the frames event delivery pushes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../emu/deliver.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"

static struct vcpu_seg seg(u32 base, u32 limit, u8 type, u8 dpl, bool g,
			   bool db)
{
	struct vcpu_seg s = {.base = base,
			     .limit = limit,
			     .type = type,
			     .s = 1,
			     .dpl = dpl,
			     .present = 1,
			     .g = g,
			     .db = db};
	return s;
}

Test(shadow_desc, decode_encode_round_trip)
{
	/* The runtime's flat DPL 3 data descriptor (guest/desc.c). */
	u64 raw = 0x00cff3000000ffffull;
	struct vcpu_seg s;

	desc__decode(raw, 0xbb, &s);
	cr_assert_eq(s.base, 0);
	cr_assert_eq(s.limit, 0xffffffff);
	cr_assert_eq(s.dpl, 3);
	cr_assert_eq(s.type, 3);
	cr_assert_eq(desc__encode(&s), raw);
}

Test(shadow_desc, flat_segment_truncated_below_window)
{
	struct vcpu_seg g = seg(0, 0xffffffff, 0xb, 0, true, true);
	struct shadow_desc d;

	cr_assert_eq(shadow_desc__make(&g, SW_WINDOW_BASE, &d),
		     SHADOW_TRUNCATED);
	cr_assert(d.limit_in_pages);
	cr_assert_eq(((u64)d.limit + 1) << 12, SW_WINDOW_BASE);
	cr_assert_eq(d.contents, 2);
	cr_assert(!d.not_present);
}

Test(shadow_desc, small_segment_native_and_dpl_compressed)
{
	/* DPL 0 read/write data, 4 KiB: same reach, host gives it DPL 3. */
	struct vcpu_seg g = seg(0x200000, 0xfff, 0x3, 0, false, true);
	struct shadow_desc d;

	cr_assert_eq(shadow_desc__make(&g, SW_WINDOW_BASE, &d), SHADOW_NATIVE);
	cr_assert_eq(d.base, 0x200000);
	cr_assert_eq(d.limit, 0xfff);
	cr_assert(!d.limit_in_pages);
	cr_assert_eq(d.contents, 0);
	cr_assert(!d.read_exec_only);
	/* struct shadow_desc has no DPL: modify_ldt installs DPL 3. */
}

Test(shadow_desc, read_only_and_execute_only)
{
	struct vcpu_seg ro = seg(0, 0xfff, 0x1, 0, false, true);
	struct vcpu_seg xo = seg(0, 0xfff, 0x9, 0, false, true);
	struct shadow_desc d;

	shadow_desc__make(&ro, SW_WINDOW_BASE, &d);
	cr_assert(d.read_exec_only);
	shadow_desc__make(&xo, SW_WINDOW_BASE, &d);
	cr_assert(d.read_exec_only);
	cr_assert_eq(d.contents, 2);
}

Test(shadow_desc, expand_down)
{
	/* B=0: valid offsets (limit, 0xffff]: reach stays low, native. */
	struct vcpu_seg low = seg(0x300000, 0x0fff, 0x7, 0, false, false);
	/* B=1 from base 0: reaches 4 GiB, the window: emulate. */
	struct vcpu_seg high = seg(0, 0x0fff, 0x7, 0, false, true);
	struct shadow_desc d;

	cr_assert_eq(shadow_desc__make(&low, SW_WINDOW_BASE, &d),
		     SHADOW_NATIVE);
	cr_assert_eq(d.contents, 1);
	cr_assert_eq(d.limit, 0xfff);
	cr_assert_eq(shadow_desc__make(&high, SW_WINDOW_BASE, &d),
		     SHADOW_EMULATE);
	cr_assert(d.not_present);
	cr_assert(desc__offset_ok(&high, 0x1000, 4));
	cr_assert(!desc__offset_ok(&high, 0xfff, 1));
}

Test(shadow_desc, wrapping_truncated_below_the_window)
{
	struct vcpu_seg wrap = seg(0x10000000, 0xffffffff, 0x3, 0, true, true);
	struct shadow_desc d;

	/* Reach 0x10000000 + 4 GiB - 1 wraps: offsets up to the window
	 * run natively, page granular (0xefc00000 bytes). */
	cr_assert_eq(shadow_desc__make(&wrap, SW_WINDOW_BASE, &d),
		     SHADOW_TRUNCATED);
	cr_assert(!d.not_present);
	cr_assert(d.limit_in_pages);
	cr_assert_eq(d.limit, (SW_WINDOW_BASE - 0x10000000) / 4096 - 1);
	cr_assert_eq(d.base, 0x10000000);
}

Test(shadow_desc, window_based_emulated)
{
	struct vcpu_seg inwin =
		seg(SW_WINDOW_BASE + 0x1000, 0xfff, 0x3, 0, false, true);
	struct vcpu_seg sys = seg(0x1000, 0x67, 0x9, 0, false, false);
	struct shadow_desc d;

	cr_assert_eq(shadow_desc__make(&inwin, SW_WINDOW_BASE, &d),
		     SHADOW_EMULATE);
	sys.s = 0; /* a TSS is never a code/data shadow */
	cr_assert_eq(shadow_desc__make(&sys, SW_WINDOW_BASE, &d),
		     SHADOW_EMULATE);
}

Test(shadow_desc, limit_checks)
{
	struct vcpu_seg up = seg(0, 0xfff, 0x3, 0, false, true);

	cr_assert(desc__offset_ok(&up, 0xffc, 4));
	cr_assert(!desc__offset_ok(&up, 0xffd, 4));
	cr_assert(!desc__offset_ok(&up, 0x1000, 1));
}

/* A guest with a GDT in RAM at 0x1000: entries 16 and 17 data DPL 0. */
static struct sw_cpu *cache_cpu(u8 *ram)
{
	struct sw_cpu *c = calloc(1, sizeof(*c));
	u64 *gdt = (u64 *)(ram + 0x1000);

	c->ram = ram;
	c->ram_size = 0x10000;
	c->gdt_base = 0x1000;
	c->gdt_limit = 0xff;
	gdt[16] = 0x00cf93000000ffffull; /* flat */
	gdt[17] = 0x0040930080000fffull; /* base 0x8000, 4 KiB */
	return c;
}

Test(hidden_cache, table_change_does_not_reach_loaded_register)
{
	u8 *ram = calloc(1, 0x10000);
	struct sw_cpu *c = cache_cpu(ram);
	u64 *gdt = (u64 *)(ram + 0x1000);
	u16 ds_host;

	cr_assert_eq(sw_load_data_sreg(c, SW_DS, 0x88), 0);
	cr_assert_eq(c->seg[SW_DS].base, 0x8000);
	ds_host = c->hsel[SW_DS];
	cr_assert_eq(ds_host, sw_slot_sel(17), "GDT index 17 -> LDT 17");
	/* The guest rewrites entry 17 (base 0x9000) and loads ES from it. */
	gdt[17] = 0x0040930090000fffull;
	cr_assert_eq(c->seg[SW_DS].base, 0x8000, "no reload, no change");
	cr_assert_eq(sw_load_data_sreg(c, SW_ES, 0x88), 0);
	cr_assert_eq(c->seg[SW_ES].base, 0x9000);
	/* DS keeps its cached descriptor, now in a private slot. */
	cr_assert_eq(c->seg[SW_DS].base, 0x8000);
	cr_assert_neq(c->hsel[SW_DS], ds_host);
	cr_assert_geq(c->hsel[SW_DS] >> 3, SW_SHADOW_SLOTS);
	cr_assert_eq(c->slot[c->hsel[SW_DS] >> 3].base, 0x8000);
	cr_assert_eq(c->slot[17].base, 0x9000);
	/* A native "pop %ds" of ES's host selector picks up ES's entry. */
	c->hsel[SW_DS] = c->hsel[SW_ES];
	sw_sync_from_host(c);
	cr_assert_eq(c->seg[SW_DS].base, 0x9000);
	free(c);
	free(ram);
}

Test(hidden_cache, load_checks)
{
	u8 *ram = calloc(1, 0x10000);
	struct sw_cpu *c = cache_cpu(ram);

	c->cpl = 3;
	cr_assert_eq(sw_load_data_sreg(c, SW_DS, 0x8b), -1, "DPL 0 at CPL 3");
	cr_assert_eq(c->exc_vector, 13);
	cr_assert_eq(c->exc_error, 0x88);
	cr_assert_eq(sw_load_data_sreg(c, SW_DS, 0x1fb), -1, "past limit");
	cr_assert_eq(c->exc_error, 0x1f8);
	c->cpl = 0;
	cr_assert_eq(sw_load_data_sreg(c, SW_SS, 0), -1, "null SS");
	cr_assert_eq(sw_load_data_sreg(c, SW_DS, 0), 0, "null DS is fine");
	cr_assert(c->seg[SW_DS].unusable);
	free(c);
	free(ram);
}

Test(event_frame, same_level_with_error_code)
{
	struct deliver_frame f;

	deliver__build_frame(&f, false, 0, 0, 0x10202, 0x80, 0x100010, true,
			     0x88);
	cr_assert_eq(f.n, 4);
	cr_assert_eq(f.word[0], 0x10202); /* EFLAGS at the highest address */
	cr_assert_eq(f.word[1], 0x80);
	cr_assert_eq(f.word[2], 0x100010);
	cr_assert_eq(f.word[3], 0x88); /* error code at the new ESP */
}

Test(event_frame, privilege_switch_pushes_old_stack)
{
	struct deliver_frame f;

	deliver__build_frame(&f, true, 0xbb, 0x7ff0, 0x202, 0xb3, 0x100020,
			     false, 0);
	cr_assert_eq(f.n, 5);
	cr_assert_eq(f.word[0], 0xbb);
	cr_assert_eq(f.word[1], 0x7ff0);
	cr_assert_eq(f.word[2], 0x202);
	cr_assert_eq(f.word[3], 0xb3);
	cr_assert_eq(f.word[4], 0x100020);
}
