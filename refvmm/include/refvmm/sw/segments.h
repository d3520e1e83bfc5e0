/*
 * Segmentation against the virtual CPU (SDM Vol. 3A, chapter 3 and 5):
 * descriptor fetch from the guest GDT/LDT, segment register loads with
 * their privilege checks (SDM Vol. 2A MOV, POP, LDS/LES/LFS/LGS/LSS),
 * the host LDT slot of each loaded segment (the hidden descriptor
 * cache), and guest memory accesses through a segment. Guest paging is
 * off: linear == physical; RAM comes from the memfd, anything else is
 * MMIO (the shared devices) or unclaimed.
 */
#ifndef REFVMM_SW_SEGMENTS_H
#define REFVMM_SW_SEGMENTS_H

#include "refvmm/sw/cpu.h"

/* Records exception @vector(@error) as the step's outcome; returns -1. */
int sw_raise(struct sw_cpu *c, int vector, u32 error, bool has_error);
static inline int sw_gp(struct sw_cpu *c, u32 error)
{
	return sw_raise(c, 13, error, true);
}

/*
 * Linear memory, through the guest's page tables when paging is on: a
 * denied access raises #PF (CR2 set) and returns -1. sw_lin_* are the
 * implicit supervisor accesses (descriptor tables, IDT, TSS); sw_code_read
 * the instruction fetches; sw_data_* the explicit ones, with the rights of the
 * CPL (or of c->acc_cpl when it is >= 0: a delivery pushing on an inner stack).
 */
int sw_lin_read(struct sw_cpu *c, u32 lin, void *buf, u32 len);
/* An instruction fetch at the current CPL (SDM Vol. 3A 4.6: user code is
 * fetched as user; SMAP never applies to fetches); #PF as the fetch
 * would raise it. */
int sw_code_read(struct sw_cpu *c, u32 lin, void *buf, u32 len);
int sw_lin_write(struct sw_cpu *c, u32 lin, const void *buf, u32 len);
int sw_data_read(struct sw_cpu *c, u32 lin, void *buf, u32 len);
int sw_data_write(struct sw_cpu *c, u32 lin, const void *buf, u32 len);
/* The page checks of sw_data_read/sw_data_write without the access (and
 * without setting accessed or dirty bits). */
int sw_data_probe(struct sw_cpu *c, u32 lin, u32 len, bool write);
/* Through a segment, with the limit and type checks (#GP(0) or #SS(0)). */
int sw_seg_read(struct sw_cpu *c, const struct vcpu_seg *s, bool is_ss, u32 off,
		void *buf, u32 len);
int sw_seg_write(struct sw_cpu *c, const struct vcpu_seg *s, bool is_ss,
		 u32 off, const void *buf, u32 len);
int sw_read(struct sw_cpu *c, int sreg, u32 off, void *buf, u32 len);
/* The checks of sw_read/sw_write without the access. */
int sw_seg_check(struct sw_cpu *c, int sreg, u32 off, u32 len, bool write);
int sw_write(struct sw_cpu *c, int sreg, u32 off, const void *buf, u32 len);

/* Reads the descriptor @sel names; -1 when outside its table. */
int sw_desc_fetch(struct sw_cpu *c, u16 sel, struct vcpu_seg *s, u32 *lin);
/* Sets the accessed bit in the guest table (SDM Vol. 3A 3.4.5.1). */
void sw_desc_set_accessed(struct sw_cpu *c, u32 lin);
/* The same for the descriptor selector @sel names, which a load just
 * fetched (its table holds it: sw_desc_fetch). */
void sw_desc_set_accessed_sel(struct sw_cpu *c, u16 sel);

/* Data/stack segment load (MOV, POP, LxS): checks, then installs. */
int sw_load_data_sreg(struct sw_cpu *c, int sreg, u16 sel);
/* Installs @s as @sreg's hidden cache and its host shadow. */
int sw_set_sreg(struct sw_cpu *c, int sreg, const struct vcpu_seg *s);
/* After an exit: what the host selectors say the guest loaded natively. */
void sw_sync_from_host(struct sw_cpu *c);
/*
 * Cuts every segment shadow below linear @cut (0: the window) and
 * rewrites those the registers hold now; -1 when CS or SS could not be
 * shadowed below it (the caller goes back to the window).
 */
int sw_set_seg_cut(struct sw_cpu *c, u32 cut);
/* The null selector as a segment register holds it. */
void sw_null_seg(struct vcpu_seg *s, u16 sel);

#endif
