/*
 * Segmentation against the virtual CPU (segments.h).
 * Load checks: SDM Vol. 2A, MOV "Operation" (protected mode) and POP.
 */
#include <errno.h>
#include <string.h>

#include "refvmm/machine.h"
#include "refvmm/sw/ldt.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/sw/shadow_pt.h"
#include "refvmm/vcpu.h"

int sw_raise(struct sw_cpu *c, int vector, u32 error, bool has_error)
{
	c->exc_vector = vector;
	c->exc_error = error;
	c->exc_has_error = has_error;
	c->exc_new_task = false;
	return -1;
}

static bool in_ram(struct sw_cpu *c, u64 phys, u32 len)
{
	return phys + len <= c->ram_size;
}

static void phys_read(struct sw_cpu *c, u64 phys, u8 *p, u32 len)
{
	u32 n;

	if (in_ram(c, phys, len)) {
		memcpy(p, c->ram + phys, len);
		return;
	}
	while (len) {
		n = len > 8 ? 8 : len;
		if (in_ram(c, phys, 1))
			n = 1;
		if (in_ram(c, phys, n))
			memcpy(p, c->ram + phys, n);
		else
			machine__mmio(c->vcpu->machine, c->vcpu, phys, p, n,
				      false);
		p += n;
		phys += n;
		len -= n;
	}
}

/* A monitor write to guest RAM, and who must hear of it: the shadow
 * page tables (traced pages) and binary translation (code pages). */
static void ram_write(struct sw_cpu *c, u64 phys, const u8 *p, u32 len)
{
	memcpy(c->ram + phys, p, len);
	if (c->shadow)
		shadow__phys_written(c->shadow, phys, len);
	if (c->write_hook)
		c->write_hook(c, (u32)phys, len);
}

static void phys_write(struct sw_cpu *c, u64 phys, const u8 *p, u32 len)
{
	u8 tmp[8];
	u32 n;

	if (in_ram(c, phys, len)) {
		ram_write(c, phys, p, len);
		return;
	}
	while (len) {
		n = len > 8 ? 8 : len;
		if (in_ram(c, phys, 1))
			n = 1;
		if (in_ram(c, phys, n)) {
			ram_write(c, phys, p, n);
		} else {
			memcpy(tmp, p, n);
			machine__mmio(c->vcpu->machine, c->vcpu, phys, tmp, n,
				      true);
		}
		p += n;
		phys += n;
		len -= n;
	}
}

static struct gpt_access access_of(const struct sw_cpu *c, bool write,
				   bool implicit)
{
	int acpl = implicit ? 0 : c->acc_cpl >= 0 ? c->acc_cpl : c->cpl;

	return (struct gpt_access){
		.kind = write ? GPT_WRITE : GPT_READ,
		.user = acpl == 3,
		.ac = c->eflags & EFL_AC,
		.implicit = implicit,
	};
}

/*
 * The guest-physical address of each page an access of @len bytes at
 * @lin touches (paging on); a denied access raises #PF with CR2 (SDM
 * Vol. 3A 4.7). Returns how many pages (1 or 2), *@first the bytes in
 * the first, or -1.
 */
static int walk_pages(struct sw_cpu *c, u32 lin, u32 len,
		      const struct gpt_access *acc, bool set_ad, u64 phys[2],
		      u32 *first)
{
	const struct shadow_pt *sp = c->shadow;
	int i, npages = 1;

	*first = len;
	if ((lin & 0xfff) + len > 4096) {
		*first = 4096 - (lin & 0xfff);
		npages = 2;
	}
	for (i = 0; i < npages; i++) {
		u32 a = i ? lin + *first : lin;
		struct gpt_walk w;

		if (!gpt_walk(&sp->ctl, c->ram, c->ram_size, a, acc, set_ad,
			      &w)) {
			c->cr2 = a;
			return sw_raise(c, 14, w.error, true);
		}
		phys[i] = w.phys;
	}
	return npages;
}

/*
 * Linear to guest-physical through the guest's page tables when paging
 * is on (guest_pt.c). Accesses are split at page boundaries, each page
 * checked before any byte moves, as the CPU does for an access that
 * straddles two.
 */
static int lin_access_as(struct sw_cpu *c, u32 lin, void *buf, u32 len,
			 const struct gpt_access *acc)
{
	const struct shadow_pt *sp = c->shadow;
	bool write = acc->kind == GPT_WRITE;
	u64 phys[2];
	u32 first, off = 0;
	int i, npages;

	if (!sp || !sp->paging) {
		if (write)
			phys_write(c, lin, buf, len);
		else
			phys_read(c, lin, buf, len);
		return 0;
	}
	npages = walk_pages(c, lin, len, acc, true, phys, &first);
	if (npages < 0)
		return -1;
	for (i = 0; i < npages; i++) {
		u32 n = i ? len - first : first;
		u8 *p = (u8 *)buf + off;

		if (write)
			phys_write(c, phys[i], p, n);
		else
			phys_read(c, phys[i], p, n);
		off += n;
	}
	return 0;
}

static int lin_access(struct sw_cpu *c, u32 lin, void *buf, u32 len, bool write,
		      bool implicit)
{
	struct gpt_access acc = access_of(c, write, implicit);

	return lin_access_as(c, lin, buf, len, &acc);
}

int sw_code_read(struct sw_cpu *c, u32 lin, void *buf, u32 len)
{
	struct gpt_access acc = {.kind = GPT_FETCH, .user = c->cpl == 3};

	return lin_access_as(c, lin, buf, len, &acc);
}

int sw_data_probe(struct sw_cpu *c, u32 lin, u32 len, bool write)
{
	struct gpt_access acc = access_of(c, write, false);
	u64 phys[2];
	u32 first;

	if (!c->shadow || !c->shadow->paging)
		return 0;
	return walk_pages(c, lin, len, &acc, false, phys, &first) < 0 ? -1 : 0;
}

int sw_lin_read(struct sw_cpu *c, u32 lin, void *buf, u32 len)
{
	return lin_access(c, lin, buf, len, false, true);
}

int sw_lin_write(struct sw_cpu *c, u32 lin, const void *buf, u32 len)
{
	return lin_access(c, lin, (void *)buf, len, true, true);
}

int sw_data_read(struct sw_cpu *c, u32 lin, void *buf, u32 len)
{
	return lin_access(c, lin, buf, len, false, false);
}

int sw_data_write(struct sw_cpu *c, u32 lin, const void *buf, u32 len)
{
	return lin_access(c, lin, (void *)buf, len, true, false);
}

static int seg_check(struct sw_cpu *c, const struct vcpu_seg *s, bool is_ss,
		     u32 off, u32 len, bool write)
{
	u32 err_vec = is_ss ? 12 : 13;

	if (s->unusable || !s->present)
		return sw_raise(c, err_vec, 0, true);
	if (write && !desc__is_writable_data(s))
		return sw_raise(c, 13, 0, true);
	if (!write && !desc__is_readable(s))
		return sw_raise(c, 13, 0, true);
	if (!desc__offset_ok(s, off, len))
		return sw_raise(c, err_vec, 0, true);
	return 0;
}

int sw_seg_check(struct sw_cpu *c, int sreg, u32 off, u32 len, bool write)
{
	return seg_check(c, &c->seg[sreg], sreg == SW_SS, off, len, write);
}

int sw_seg_read(struct sw_cpu *c, const struct vcpu_seg *s, bool is_ss, u32 off,
		void *buf, u32 len)
{
	if (seg_check(c, s, is_ss, off, len, false) < 0)
		return -1;
	return sw_data_read(c, (u32)s->base + off, buf, len);
}

int sw_seg_write(struct sw_cpu *c, const struct vcpu_seg *s, bool is_ss,
		 u32 off, const void *buf, u32 len)
{
	if (seg_check(c, s, is_ss, off, len, true) < 0)
		return -1;
	return sw_data_write(c, (u32)s->base + off, buf, len);
}

int sw_read(struct sw_cpu *c, int sreg, u32 off, void *buf, u32 len)
{
	return sw_seg_read(c, &c->seg[sreg], sreg == SW_SS, off, buf, len);
}

int sw_write(struct sw_cpu *c, int sreg, u32 off, const void *buf, u32 len)
{
	return sw_seg_write(c, &c->seg[sreg], sreg == SW_SS, off, buf, len);
}

/* The linear address of the descriptor @sel names, false when its
 * table (the GDT, or an LDT that is loaded) does not reach it. */
static bool desc_lin(const struct sw_cpu *c, u16 sel, u32 *lin)
{
	u32 base, limit, idx = sel & ~7u;

	if (sel & 4) {
		if (c->ldtr.unusable || !c->ldtr.present)
			return false;
		base = (u32)c->ldtr.base;
		limit = c->ldtr.limit;
	} else {
		base = c->gdt_base;
		limit = c->gdt_limit;
	}
	if (idx + 7 > limit)
		return false;
	*lin = base + idx;
	return true;
}

int sw_desc_fetch(struct sw_cpu *c, u16 sel, struct vcpu_seg *s, u32 *lin)
{
	u32 at;
	u64 raw;

	if (!desc_lin(c, sel, &at))
		return -1;
	if (sw_lin_read(c, at, &raw, 8) < 0)
		return -1; /* #PF reading the table: reported as #GP */
	desc__decode(raw, sel, s);
	if (lin)
		*lin = at;
	return 0;
}

void sw_desc_set_accessed_sel(struct sw_cpu *c, u16 sel)
{
	u32 lin;

	if (desc_lin(c, sel, &lin))
		sw_desc_set_accessed(c, lin);
}

void sw_desc_set_accessed(struct sw_cpu *c, u32 lin)
{
	u8 b;

	if (sw_lin_read(c, lin + 5, &b, 1) < 0)
		return;
	if (!(b & 1)) {
		b |= 1;
		sw_lin_write(c, lin + 5, &b, 1);
	}
}

void sw_null_seg(struct vcpu_seg *s, u16 sel)
{
	*s = (struct vcpu_seg){.selector = sel, .unusable = 1};
}

static bool slot_referenced(const struct sw_cpu *c, int slot, int except)
{
	int r;

	for (r = 0; r < SW_NSREGS; r++)
		if (r != except && sw_sel_slot(c, c->hsel[r]) == slot)
			return true;
	return false;
}

static int private_slot(const struct sw_cpu *c, int except)
{
	int s;

	for (s = SW_SHADOW_SLOTS; s < SW_NSLOTS; s++)
		if (!slot_referenced(c, s, except))
			return s;
	return -1; /* cannot happen: more private slots than registers */
}

static u32 seg_window(const struct sw_cpu *c)
{
	return c->seg_cut ? c->seg_cut : SW_WINDOW_BASE;
}

/*
 * Slot @slot holds @s at the current cut, in the host LDT entry the
 * current bank uses (sw_slot_phys). With banks, the other bank's entry
 * stays what it was while the descriptor does, so a class switch back
 * finds it written.
 */
static int write_slot(struct sw_cpu *c, int slot, const struct vcpu_seg *s)
{
	bool banked = c->seg_banks && c->seg_cut;
	bool same =
		c->slot_used[slot] && !memcmp(&c->slot[slot], s, sizeof(*s));
	struct shadow_desc d;
	int r;

	if (same && sw_slot_current(c, slot))
		return 0;
	shadow_desc__make(s, seg_window(c), &d);
	r = ldt__write(sw_slot_phys(c, slot), &d);
	if (r < 0)
		return r;
	if (!same) {
		/* the other bank's entry holds the old descriptor */
		c->bank_cut[slot] = 0;
		c->slot_cut[slot] = ~0u;
	}
	c->slot[slot] = *s;
	if (banked)
		c->bank_cut[slot] = c->seg_cut;
	else
		c->slot_cut[slot] = c->seg_cut;
	c->slot_used[slot] = true;
	c->slot_writes++;
	return 0;
}

int sw_set_sreg(struct sw_cpu *c, int sreg, const struct vcpu_seg *s)
{
	struct shadow_desc d;
	u32 idx = s->selector >> 3;
	int slot, r, o;

	c->seg[sreg] = *s;
	c->seg_emulated[sreg] = false;
	if (s->unusable) {
		c->hsel[sreg] = c->hsel_set[sreg] = s->selector & 3;
		return 0;
	}
	if (shadow_desc__make(s, seg_window(c), &d) == SHADOW_EMULATE) {
		if (sreg == SW_CS || sreg == SW_SS)
			return -ENOTSUP;
		c->seg_emulated[sreg] = true;
		c->hsel[sreg] = c->hsel_set[sreg] = 0;
		return 0;
	}
	if (!(s->selector & 4) && idx < SW_SHADOW_SLOTS) {
		slot = (int)idx;
		/* Registers still holding the entry's old descriptor keep
		 * it: move them to private slots first (hidden cache). */
		if (c->slot_used[slot] &&
		    desc__encode(&c->slot[slot]) != desc__encode(s))
			for (o = 0; o < SW_NSREGS; o++) {
				if (o == sreg ||
				    sw_sel_slot(c, c->hsel[o]) != slot)
					continue;
				r = private_slot(c, o);
				if (r < 0 || write_slot(c, r, &c->seg[o]) < 0)
					return -EIO;
				c->hsel[o] = c->hsel_set[o] =
					sw_slot_sel(sw_slot_phys(c, r));
			}
	} else {
		slot = private_slot(c, sreg);
		if (slot < 0)
			return -EIO;
	}
	r = write_slot(c, slot, s);
	if (r < 0)
		return r;
	c->hsel[sreg] = c->hsel_set[sreg] = sw_slot_sel(sw_slot_phys(c, slot));
	return 0;
}

/*
 * A data segment register the guest loaded natively with a selector that
 * names a DPL-3 entry of the host's GDT (Linux's user code and data,
 * TLS): MOV to a segment register does not trap then, so until this exit
 * the guest ran on the host's descriptor. From now on it gets its own:
 * the load as its GDT says, checks included, when that load is valid;
 * else the register keeps what it had (the #GP the load owed is lost).
 */
static void reload_host_gdt_sel(struct sw_cpu *c, int sreg, u16 sel)
{
	int vector = c->exc_vector, err = (int)c->exc_error;
	bool has_err = c->exc_has_error, new_task = c->exc_new_task;

	sw_load_data_sreg(c, sreg, sel);
	c->exc_vector = vector;
	c->exc_error = (u32)err;
	c->exc_has_error = has_err;
	c->exc_new_task = new_task;
}

void sw_sync_from_host(struct sw_cpu *c)
{
	int r, k;

	for (r = 0; r < SW_NSREGS; r++) {
		u16 h = c->hsel[r];

		/* Unchanged since the monitor set it: keep the cache. */
		if (h == c->hsel_set[r])
			continue;
		c->hsel_set[r] = h;
		c->seg_emulated[r] = false;
		if (!(h & ~3u)) {
			sw_null_seg(&c->seg[r], h);
			continue;
		}
		k = sw_sel_slot(c, h);
		if (!(h & 4) && r != SW_CS && r != SW_SS) {
			reload_host_gdt_sel(c, r, h);
			continue;
		}
		if (k < 0 || !c->slot_used[k])
			continue; /* a host GDT selector: see refvmm-trap.md */
		c->seg[r] = c->slot[k];
	}
}

int sw_set_seg_cut(struct sw_cpu *c, u32 cut)
{
	struct shadow_desc d;
	int r, k, bad = 0;

	if (cut >= SW_WINDOW_BASE)
		cut = 0;
	if (cut == c->seg_cut)
		return 0;
	c->seg_cut = cut;
	for (r = 0; r < SW_NSREGS; r++) {
		u16 h = c->hsel_set[r];

		if (c->seg[r].unusable)
			continue;
		if (c->seg_emulated[r]) {
			/* A wider cut may shadow it again. */
			sw_set_sreg(c, r, &c->seg[r]);
			continue;
		}
		k = sw_sel_slot(c, h);
		if (k < 0 || !c->slot_used[k])
			continue; /* not a shadow the monitor wrote */
		if (shadow_desc__make(&c->slot[k], seg_window(c), &d) ==
		    SHADOW_EMULATE) {
			if (r == SW_CS || r == SW_SS) {
				bad = -1;
				continue;
			}
			c->seg_emulated[r] = true;
			c->hsel[r] = c->hsel_set[r] = 0;
			continue;
		}
		/* Rewritten in place, or with banks the other bank's
		 * entry: other registers on the slot hold the same
		 * descriptor and get the same cut. */
		if (write_slot(c, k, &c->slot[k]) < 0)
			bad = -1;
		else if (c->seg_banks)
			c->hsel[r] = c->hsel_set[r] =
				sw_slot_sel(sw_slot_phys(c, k));
	}
	return bad;
}

/* SDM Vol. 2A, MOV: "IF SS is loaded" / "IF DS, ES, FS, or GS is loaded". */
int sw_load_data_sreg(struct sw_cpu *c, int sreg, u16 sel)
{
	struct vcpu_seg s;
	u32 lin;
	int rpl = sel & 3, cpl = c->cpl;

	if (!(sel & ~3u)) {
		if (sreg == SW_SS)
			return sw_gp(c, 0);
		sw_null_seg(&s, sel);
		return sw_set_sreg(c, sreg, &s) < 0 ? sw_gp(c, 0) : 0;
	}
	if (sw_desc_fetch(c, sel, &s, &lin) < 0)
		return sw_gp(c, sel & ~3u);
	if (sreg == SW_SS) {
		if (rpl != cpl || !desc__is_writable_data(&s) || s.dpl != cpl)
			return sw_gp(c, sel & ~3u);
		if (!s.present)
			return sw_raise(c, 12, sel & ~3u, true);
	} else {
		if (!desc__is_readable(&s))
			return sw_gp(c, sel & ~3u);
		if (!desc__is_conforming(&s) && (rpl > s.dpl || cpl > s.dpl))
			return sw_gp(c, sel & ~3u);
		if (!s.present)
			return sw_raise(c, 11, sel & ~3u, true);
	}
	sw_desc_set_accessed(c, lin);
	s.type |= 1;
	if (sw_set_sreg(c, sreg, &s) < 0)
		return sw_gp(c, sel & ~3u);
	if (sreg == SW_SS)
		c->irq_shadow = true;
	return 0;
}
