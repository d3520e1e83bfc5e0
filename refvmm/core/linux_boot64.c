/*
 * The Linux/x86 boot protocol's 64-bit entry (linux_boot.h; the
 * kernel's Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"):
 * long mode with paging on, the kernel from its load address up to
 * init_size, boot_params and the command line identity-mapped, a GDT
 * with __BOOT_CS and __BOOT_DS, interrupts off, RSI = boot_params.
 *
 * The identity map covers all of RAM with 2 MiB pages, so the initrd at
 * the top of RAM is mapped too. Its tables live in the low memory the
 * loader already uses for boot_params (the kernel keeps the first 1 MiB
 * to itself): one PML4, one PDPT, one page directory per GiB.
 */
#include <string.h>

#include "refvmm/linux_boot.h"
#include "refvmm/machine.h"
#include "refvmm/vcpu.h"

/* Paging-structure entry bits (SDM Vol. 3A, 4.5, tables 4-15 to 4-18). */
#define PTE_P  0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull /* a PDE that maps a 2 MiB page */

#define PAGE_2M (2 * MiB)

/* Control bits of long mode (SDM Vol. 3A, 2.5 and 2.2.1; 9.8.5 is the
 * order of enabling them, which a loader does not go through: the vCPU
 * starts with all of them set). */
#define CR0_PG	  0x80000000ull
#define CR4_PAE	  0x20ull
#define EFER_LME  0x100ull
#define EFER_LMA  0x400ull
#define SEG_CODE  0xb /* execute/read, accessed */
#define SEG_DATA  0x3 /* read/write, accessed */
#define GDT_BYTES (4 * 8)

static void put64(u8 *p, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

/* 2 MiB pages from 0 to the end of RAM rounded up, one page directory
 * per GiB: PML4[0] -> PDPT, PDPT[g] -> PD g, PD g[i] -> (g GiB + i 2 MiB).
 * At most 4 GiB: everything the loader places is below (boot_params has
 * 32-bit addresses), and the kernel maps the rest itself. */
static void write_identity_map(struct machine *m)
{
	u64 top = m->ram_size < LINUX_BOOT_PD_MAX * GiB
			  ? m->ram_size
			  : LINUX_BOOT_PD_MAX * GiB;
	u64 pages = (top + PAGE_2M - 1) / PAGE_2M;
	u64 pds = (pages + 511) / 512, i;
	u8 *pml4 = machine__gpa_to_hva(m, LINUX_BOOT_PML4, 4096);
	u8 *pdpt = machine__gpa_to_hva(m, LINUX_BOOT_PDPT, 4096);
	u8 *pd = machine__gpa_to_hva(m, LINUX_BOOT_PD, pds * 4096);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	memset(pd, 0, pds * 4096);
	put64(pml4, LINUX_BOOT_PDPT | PTE_P | PTE_RW);
	for (i = 0; i < pds; i++)
		put64(pdpt + 8 * i,
		      (LINUX_BOOT_PD + 4096 * i) | PTE_P | PTE_RW);
	for (i = 0; i < pages; i++)
		put64(pd + 8 * i, i * PAGE_2M | PTE_P | PTE_RW | PTE_PS);
}

/* __BOOT_CS: 64-bit code (L = 1, D = 0); __BOOT_DS: flat 4 GiB data.
 * Long mode ignores base and limit of both but for FS/GS bases (SDM
 * Vol. 3A, 3.4.5 and 5.2.1); the protocol asks for them flat. */
static void write_gdt(struct machine *m)
{
	u8 *gdt = machine__gpa_to_hva(m, LINUX_BOOT_GDT, GDT_BYTES);

	memset(gdt, 0, GDT_BYTES);
	put64(gdt + LINUX_BOOT_CS, 0x00af9b000000ffffull);
	put64(gdt + LINUX_BOOT_DS, 0x00cf93000000ffffull);
}

void linux_boot64__write_tables(struct machine *m)
{
	write_identity_map(m);
	write_gdt(m);
}

void linux_boot64__reset_vcpu(struct vcpu *vcpu,
			      const struct linux_boot_info *info)
{
	struct vcpu_state *st = &vcpu->state;

	/* The Multiboot state gives TR and LDTR as VM entry wants them
	 * (a 32-bit busy TSS is also a 64-bit busy TSS, type 0xb). */
	vcpu__reset_multiboot(vcpu, info->entry, 0);
	st->rax = 0;
	st->rbx = 0;
	st->rsi = LINUX_BOOT_PARAMS;
	vcpu__flat_seg(&st->cs, LINUX_BOOT_CS, SEG_CODE);
	st->cs.l = 1;
	st->cs.db = 0; /* L = 1 with D = 1 is reserved (SDM Vol. 3A 5.2.1) */
	vcpu__flat_seg(&st->ds, LINUX_BOOT_DS, SEG_DATA);
	st->es = st->ds;
	st->fs = st->ds;
	st->gs = st->ds;
	st->ss = st->ds;
	st->gdt_base = LINUX_BOOT_GDT;
	st->gdt_limit = GDT_BYTES - 1;
	st->cr0 |= CR0_PG;
	st->cr3 = LINUX_BOOT_PML4;
	st->cr4 = CR4_PAE;
	st->efer = EFER_LME | EFER_LMA;
}
