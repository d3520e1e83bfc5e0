/*
 * Shadow descriptors: a guest GDT/LDT code or data descriptor becomes a
 * host LDT descriptor the guest can run under at host CPL 3 (SDM Vol. 3A
 * 3.4.5 for the format, 5.3 for limits):
 *   - DPL compressed to 3 (the host runs every guest level at CPL 3;
 *     the monitor does the privilege checks when the guest loads);
 *   - the reach truncated below the monitor window at the top of the
 *     4 GiB (the paper's truncated segments);
 *   - segments that cannot be truncated without changing which offsets
 *     are valid (expand-down reaching into the window, wrapping past
 *     4 GiB, based inside the window) are shadowed not-present: every
 *     use faults, and the monitor emulates it.
 * Pure functions, no host calls: unit tested in tests/test_shadow_desc.c.
 */
#ifndef REFVMM_SW_SHADOW_DESC_H
#define REFVMM_SW_SHADOW_DESC_H

#include "refvmm/types.h"
#include "refvmm/vcpu.h"

/* Start of the monitor window: guest segments end below it. */
#define SW_WINDOW_BASE 0xffc00000u
#define SW_WINDOW_SIZE (4u * 1024 * 1024)

/* The fields of Linux's struct user_desc (asm/ldt.h), host-independent. */
struct shadow_desc {
	u32 base;
	u32 limit; /* in pages when limit_in_pages */
	bool seg_32bit, limit_in_pages, useable;
	u8 contents; /* 0 data, 1 expand-down data, 2 code */
	bool read_exec_only;
	bool not_present;
};

enum shadow_result {
	SHADOW_NATIVE,	  /* the host descriptor behaves like the guest's */
	SHADOW_TRUNCATED, /* same, with a smaller reach (window excluded) */
	SHADOW_EMULATE,	  /* not-present: every access is emulated */
};

/* Guest descriptor (two dwords) -> segment with byte-granular limit
 * (SDM Vol. 3A 3.4.5, Figure 3-8). Always inline: the bt fast callouts,
 * which may call nothing, decode with it too (bt/fast_mem.h). */
static inline __attribute__((always_inline)) void
desc__decode(u64 raw, u16 selector, struct vcpu_seg *s)
{
	u32 lo = (u32)raw, hi = (u32)(raw >> 32);
	u32 limit = (lo & 0xffff) | (hi & 0xf0000);

	s->selector = selector;
	s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
	s->type = (hi >> 8) & 0xf;
	s->s = (hi >> 12) & 1;
	s->dpl = (hi >> 13) & 3;
	s->present = (hi >> 15) & 1;
	s->avl = (hi >> 20) & 1;
	s->l = (hi >> 21) & 1;
	s->db = (hi >> 22) & 1;
	s->g = (hi >> 23) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
	s->unusable = 0;
}

/* The offset of a 32-bit interrupt, trap or call gate (two dwords: SDM
 * Vol. 3A Figures 5-8 and 6-2). Inline for the fast callouts too. */
static inline __attribute__((always_inline)) u32 desc__gate_offset(u32 lo,
								   u32 hi)
{
	return (lo & 0xffff) | (hi & 0xffff0000u);
}

u64 desc__encode(const struct vcpu_seg *seg);
/* Highest valid offset + 1 region: expand-down helpers. */
bool desc__is_code(const struct vcpu_seg *seg);
bool desc__is_expand_down(const struct vcpu_seg *seg);
bool desc__is_writable_data(const struct vcpu_seg *seg);
bool desc__is_readable(const struct vcpu_seg *seg);
bool desc__is_conforming(const struct vcpu_seg *seg);
/* Offset [off, off + len) valid under the limit (SDM Vol. 3A 5.3)? */
bool desc__offset_ok(const struct vcpu_seg *seg, u32 off, u32 len);

/* Builds the host descriptor for guest segment @g. */
enum shadow_result shadow_desc__make(const struct vcpu_seg *g, u32 window,
				     struct shadow_desc *out);

#endif
