/*
 * Guest descriptors and their host shadows (shadow_desc.h).
 * Descriptor layout: SDM Vol. 3A, 3.4.5, Figure 3-8; types Table 3-1.
 */
#include "refvmm/sw/shadow_desc.h"

u64 desc__encode(const struct vcpu_seg *s)
{
	u32 limit = s->g ? s->limit >> 12 : s->limit;
	u32 base = (u32)s->base;
	u32 lo = (limit & 0xffff) | (base << 16);
	u32 hi = ((base >> 16) & 0xff) | (base & 0xff000000) |
		 ((u32)(s->type & 0xf) << 8) | ((u32)(s->s & 1) << 12) |
		 ((u32)(s->dpl & 3) << 13) | ((u32)(s->present & 1) << 15) |
		 (limit & 0xf0000) | ((u32)(s->avl & 1) << 20) |
		 ((u32)(s->l & 1) << 21) | ((u32)(s->db & 1) << 22) |
		 ((u32)(s->g & 1) << 23);

	return (u64)hi << 32 | lo;
}

bool desc__is_code(const struct vcpu_seg *s)
{
	return s->s && (s->type & 8);
}

bool desc__is_expand_down(const struct vcpu_seg *s)
{
	return s->s && !(s->type & 8) && (s->type & 4);
}

bool desc__is_writable_data(const struct vcpu_seg *s)
{
	return s->s && !(s->type & 8) && (s->type & 2);
}

bool desc__is_readable(const struct vcpu_seg *s)
{
	return s->s && (!(s->type & 8) || (s->type & 2));
}

bool desc__is_conforming(const struct vcpu_seg *s)
{
	return desc__is_code(s) && (s->type & 4);
}

bool desc__offset_ok(const struct vcpu_seg *s, u32 off, u32 len)
{
	u64 last = (u64)off + len - 1;

	if (!len)
		return true;
	if (desc__is_expand_down(s)) {
		u64 upper = s->db ? 0xffffffffull : 0xffffull;

		return off > s->limit && last <= upper;
	}
	return last <= s->limit;
}

enum shadow_result shadow_desc__make(const struct vcpu_seg *g, u32 window,
				     struct shadow_desc *o)
{
	u64 base = (u32)g->base, reach, limit = g->limit;
	enum shadow_result r = SHADOW_NATIVE;

	*o = (struct shadow_desc){
		.base = (u32)base,
		.seg_32bit = g->db,
		.useable = g->avl,
		.contents = desc__is_code(g)	      ? 2
			    : desc__is_expand_down(g) ? 1
						      : 0,
		/* code: execute-only; data: read-only (Table 3-1 bit 1) */
		.read_exec_only = !(g->type & 2),
	};
	if (!g->s || !g->present || base >= window)
		goto emulate;
	if (desc__is_expand_down(g)) {
		/* Valid offsets (limit, upper]: nothing to cut off safely. */
		reach = base + (g->db ? 0xffffffffull : 0xffffull);
		if (reach >= window)
			goto emulate;
	} else {
		/*
		 * A reach past 4 GiB wraps into low memory (Linux's i386
		 * per-CPU FS: base = the CPU's offset, limit 4 GiB). Cut it
		 * at the window like any other: offsets that wrap fault and
		 * are emulated, the common ones run natively.
		 */
		reach = base + limit;
		if (reach >= window) {
			limit = window - 1 - base;
			r = SHADOW_TRUNCATED;
		}
	}
	if (limit > 0xfffff) {
		/* Page granular: round down, never reach further. */
		o->limit_in_pages = true;
		o->limit = (u32)(((limit + 1) >> 12) - 1);
		if (((u64)o->limit << 12 | 0xfff) != limit &&
		    r == SHADOW_NATIVE)
			r = SHADOW_TRUNCATED;
	} else {
		o->limit = (u32)limit;
	}
	return r;
emulate:
	o->not_present = true;
	o->limit = 0;
	return SHADOW_EMULATE;
}
