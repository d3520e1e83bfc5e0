/*
 * conformance.smp.tlb: TLB shootdown (SDM Vol. 3A 4.10.5). The AP caches
 * a translation by reading through it; the BSP changes the PTE and
 * invalidates its own TLB. The AP may go on using the stale translation
 * (the SDM leaves that to software: that is why shootdowns exist), so
 * that is not checked; once the AP itself has executed INVLPG, or
 * reloaded CR3, for the address it must use the new entry (4.10.4.1).
 * The shootdown is an IPI whose handler runs INVLPG on the AP.
 */
#include "ex_regs.h"
#include "fault.h"
#include "paging.h"
#include "smp_probe.h"
#include "x86.h"

#define TLB_VECTOR 0x41
#define VA	   0x40000000ul
#define ROUNDS	   100u
#define MARK_A	   0xa11ce0a0u
#define MARK_B	   0xb0b0b0b0u

static struct pgtable *pt;
static u32 *frame_a, *frame_b;
static volatile u32 shot, shot_read;
static volatile u32 pf_vector, pf_error;
static volatile ulong pf_cr2;
#ifndef __x86_64__
static struct pgtable pt32;
#endif
extern char smp_tlb_read[], smp_tlb_read_end[];

static __attribute__((noinline, noclone)) u32 read_va(void)
{
	u32 v;

	asm volatile(".globl smp_tlb_read, smp_tlb_read_end\n"
		     "smp_tlb_read: mov (%1), %0\n"
		     "smp_tlb_read_end:"
		     : "=r"(v)
		     : "r"(VA)
		     : "memory");
	return v;
}

static void shootdown_handler(struct ex_regs *r)
{
	(void)r;
	invlpg((void *)VA);
	shot_read = read_va();
	shot++;
	lapic_eoi();
}

static void pf_handler(struct ex_regs *r)
{
	pf_vector = r->vector;
	pf_error = r->error;
	pf_cr2 = read_cr2();
	r->ip = (ulong)smp_tlb_read_end;
}

static u32 ap_value;
static void ap_read(void *arg)
{
	(void)arg;
	ap_value = read_va();
}

static void ap_reload_read(void *arg)
{
	(void)arg;
	write_cr3(read_cr3());
	ap_value = read_va();
}

#ifndef __x86_64__
static ulong paging_cr0, paging_cr3, paging_cr4;
static void ap_paging(void *arg)
{
	if (arg) {
		write_cr4(paging_cr4);
		write_cr3(paging_cr3);
		write_cr0(paging_cr0);
	} else {
		write_cr0(read_cr0() & ~X86_CR0_PG);
	}
}
#endif

static void map(u32 *frame)
{
	pg_map(pt, VA, (ulong)frame, PT_RW);
}

/* IPI the AP to INVLPG VA; returns what it read after. */
static u32 shootdown(void)
{
	u32 before = shot;

	lapic_ipi(smp_apic_id(AP), ICR_FIXED | TLB_VECTOR);
	if (!spin_until(&shot, before + 1, SMP_TIMEOUT))
		report_bail("expected AP %d to take the shootdown IPI, saw "
			    "nothing",
			    AP);
	return shot_read;
}

static void setup(void)
{
	frame_a = alloc_page();
	frame_b = alloc_page();
	*frame_a = MARK_A;
	*frame_b = MARK_B;
#ifdef __x86_64__
	pt = pg_current();
#else
	/* 32-bit images run without paging: identity tables for the
	 * image, its pool and the APIC page, on both CPUs */
	pt = &pt32;
	pg_identity(pt, PG_2LEVEL, 32ul << 20, PT_RW);
	pg_map(pt, 0xfee00000ul, 0xfee00000ul, PT_RW | PT_PCD);
	pg_enable(pt);
	paging_cr0 = read_cr0();
	paging_cr3 = read_cr3();
	paging_cr4 = read_cr4();
	smp_call(AP, ap_paging, (void *)1);
#endif
	set_irq_handler(TLB_VECTOR, shootdown_handler);
}

static void teardown(void)
{
	set_irq_handler(TLB_VECTOR, NULL);
	pg_unmap(pt, VA);
#ifndef __x86_64__
	smp_call(AP, ap_paging, NULL);
	pg_disable();
#endif
}

void smp_tlb_checks(void)
{
	u32 initial = 0, local = 0, after_invlpg = 0, after_cr3 = 0;
	u32 stale = 0, wrong = 0;

	if (!smp_skip) {
		setup();
		map(frame_a);
		smp_call(AP, ap_read, NULL);
		initial = ap_value;
		map(frame_b);
		local = read_va();
		smp_call(AP, ap_read, NULL);
		stale = ap_value == MARK_A;
		after_invlpg = shootdown();
		map(frame_a);
		smp_call(AP, ap_reload_read, NULL);
		after_cr3 = ap_value;
		for (u32 i = 0; i < ROUNDS; i++) {
			u32 *f = i & 1 ? frame_a : frame_b;

			smp_call(AP, ap_read, NULL);
			map(f);
			wrong += shootdown() != *f;
		}
		report_diag("the AP read the old frame %s the BSP's PTE "
			    "change before its shootdown (allowed)",
			    stale ? "after" : "not after");
	}
	SMP_EQ("conformance.smp.tlb.ap-initial",
	       "The AP reads the page through the BSP's new mapping", MARK_A,
	       initial);
	SMP_EQ("conformance.smp.tlb.bsp-local",
	       "After the BSP's INVLPG the BSP reads the new frame (SDM Vol. "
	       "3A 4.10.4.1)",
	       MARK_B, local);
	SMP_EQ("conformance.smp.tlb.shootdown.invlpg",
	       "After a shootdown IPI whose handler runs INVLPG, the AP reads "
	       "the new frame (SDM Vol. 3A 4.10.4.1, 4.10.5)",
	       MARK_B, after_invlpg);
	SMP_EQ("conformance.smp.tlb.shootdown.cr3",
	       "After the AP reloads CR3, it reads the frame the BSP mapped "
	       "(SDM Vol. 3A 4.10.4.1)",
	       MARK_A, after_cr3);
	SMP_CHECK("conformance.smp.tlb.shootdown.rounds",
		  "In 100 rounds of remap and shootdown IPI, the AP always "
		  "reads the new frame after its INVLPG (SDM Vol. 3A 4.10.5)",
		  wrong == 0,
		  "expected the new frame every round, saw %u of "
		  "%u rounds read another",
		  wrong, ROUNDS);

	if (!smp_skip) {
		smp_call(AP, ap_read, NULL);
		pg_unmap(pt, VA);
		pf_vector = 0xffffffff;
		set_irq_handler(PF_VECTOR, pf_handler);
		shootdown();
		set_irq_handler(PF_VECTOR, NULL);
		teardown();
	}
	SMP_EQ("conformance.smp.tlb.unmap.fault",
	       "After the BSP clears P and shoots the page down, the AP's "
	       "read raises #PF (SDM Vol. 3A 4.7, 4.10.5)",
	       PF_VECTOR, pf_vector);
	SMP_EQ("conformance.smp.tlb.unmap.cr2",
	       "The AP's #PF after the shootdown reports the address in CR2 "
	       "(SDM Vol. 3A 4.7)",
	       VA, pf_cr2);
	SMP_EQ("conformance.smp.tlb.unmap.error",
	       "The AP's #PF after the shootdown has error code 0: not "
	       "present, read, supervisor (SDM Vol. 3A 4.7)",
	       0, pf_error);
}
