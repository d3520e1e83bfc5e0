/*
 * The CPU oracle (oracle_cpu.h). Layout, all below 4 GiB and clear of
 * the monitor window the world switch maps at SW_WINDOW_BASE:
 *
 *   segment k (ES..GS)  base 0x10000000 * (k + 1), limit 4 GiB; the
 *                       AREA_SIZE bytes above the base are reserved
 *                       PROT_NONE
 *   code                CS base + CODE_EIP, one RWX page
 *
 * Every general register holds a value below 0x20000, so a 32-bit
 * effective address (base + index * scale + a small displacement, a
 * bit-string offset, a stack slot) stays below 1 MiB, a 16-bit one
 * below 64 KiB: both fall inside the area of the segment the CPU used.
 * Flat limits leave page faults as the only faults of an access. CS's base is
 * not 0 so that a CS access with 16-bit addressing lands above mmap_min_addr,
 * where the second pass can map its page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "oracle_cpu.h"
#include "refvmm/sw/host_check.h"
#include "refvmm/sw/ldt.h"
#include "refvmm/sw/world_switch.h"

#define AREA_SIZE (4u << 20)
#define CODE_EIP  0x00800000u
#define PAGE	  0x1000u
#define TRAP_UD	  6
#define TRAP_GP	  13
#define TRAP_PF	  14
#define PF_WRITE  2 /* page-fault error code W/R (SDM Vol. 3A 4.7) */

static struct sw_cpu *cpu;
static u8 *code;
static u8 *fpu_image;
static u32 fpu_size;
static u64 entries;

static const u32 gpr_init[8] = {
	0x11000, /* eax */
	0x12000, /* ecx */
	0x13000, /* edx */
	0x14000, /* ebx */
	0x18000, /* esp */
	0x16000, /* ebp */
	0x17000, /* esi */
	0x15000, /* edi */
};

static u32 seg_base(int k)
{
	return 0x10000000u * (u32)(k + 1);
}

/*
 * Every MMX and XMM register holds dwords 0xffffff80: each byte has its
 * top bit set, so a byte mask (MASKMOVQ, MASKMOVDQU) or element mask
 * (VMASKMOV, gathers) selects everything, and the same dword as a VSIB
 * index is -128, which keeps a gather's addresses inside the area.
 * FXSAVE layout: SDM Vol. 1 Table 10-2 (ST/MM at 32, XMM at 160).
 */
static void fill_simd(u8 *img)
{
	static const u8 pat[4] = {0x80, 0xff, 0xff, 0xff};
	int i, b;

	for (i = 0; i < 8; i++)
		for (b = 0; b < 8; b++)
			img[32 + 16 * i + b] = pat[b & 3];
	for (i = 0; i < 16; i++)
		for (b = 0; b < 16; b++)
			img[160 + 16 * i + b] = pat[b & 3];
}

static int map_areas(char *err, size_t errlen)
{
	int k;
	void *p;

	for (k = 0; k < SW_NSREGS; k++) {
		u32 b = seg_base(k);

		p = mmap((void *)(uintptr_t)b, AREA_SIZE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				 MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p != (void *)(uintptr_t)b) {
			snprintf(err, errlen, "cannot reserve 0x%x: %s", b,
				 strerror(errno));
			return -1;
		}
	}
	p = mmap((void *)(uintptr_t)(seg_base(SW_CS) + CODE_EIP), PAGE,
		 PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(uintptr_t)(seg_base(SW_CS) + CODE_EIP)) {
		snprintf(err, errlen, "cannot map the code page: %s",
			 strerror(errno));
		return -1;
	}
	code = p;
	memset(code, 0xcc, PAGE);
	return 0;
}

static int install_ldt(bool *skip, char *err, size_t errlen)
{
	int k, r;

	for (k = 0; k < SW_NSREGS; k++) {
		struct shadow_desc d = {
			.base = seg_base(k),
			.limit = 0xfffff,
			.seg_32bit = true,
			.limit_in_pages = true,
			.contents = k == SW_CS ? 2 : 0,
		};

		r = ldt__write(k, &d);
		if (r < 0) {
			/* A kernel built without modify_ldt: no software
			 * modes on this host at all. */
			*skip = r == -ENOSYS;
			snprintf(err, errlen, "modify_ldt slot %d: %s", k,
				 strerror(-r));
			return -1;
		}
	}
	return 0;
}

int oracle__init(bool *skip, char *err, size_t errlen)
{
	*skip = false;
	if (sw_host__check(err, errlen) < 0) {
		*skip = true;
		return -1;
	}
	if (map_areas(err, errlen) < 0 || install_ldt(skip, err, errlen) < 0)
		return -1;
	cpu = sw_world__init(err, errlen);
	if (!cpu)
		return -1;
	/* The legacy area and the XSAVE header, whose XSTATE_BV (x87 and
	 * SSE) makes XRSTOR put every other component in its initial
	 * state (SDM Vol. 1 13.8.1): the rest of the area need not be
	 * copied back before each run. */
	fpu_size = cpu->use_fxsave ? 512 : 512 + 64;
	fpu_image = malloc(fpu_size);
	if (!fpu_image) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fill_simd(cpu->xsave_guest);
	memcpy(fpu_image, cpu->xsave_guest, fpu_size);
	return 0;
}

u64 oracle__entries(void)
{
	return entries;
}

unsigned oracle__segs(const struct oracle_result *r)
{
	unsigned s = 0;
	int i;

	for (i = 0; i < r->nacc; i++)
		s |= 1u << (r->acc[i] & 7);
	return s;
}

static int area_of(u32 addr)
{
	int k;

	for (k = 0; k < SW_NSREGS; k++)
		if (addr >= seg_base(k) && addr - seg_base(k) < AREA_SIZE)
			return k;
	return -1;
}

/* One world switch from the instruction's first byte. */
static void enter(void)
{
	int k;

	memcpy(cpu->gpr, gpr_init, sizeof(gpr_init));
	memcpy(cpu->xsave_guest, fpu_image, fpu_size);
	for (k = 0; k < SW_NSREGS; k++)
		cpu->hsel[k] = sw_slot_sel(k);
	cpu->eip = CODE_EIP;
	cpu->host_eflags = EFL_IF | EFL_FIXED;
	cpu->kick = 0;
	entries++;
	sw_world__enter(cpu);
}

static void unmap_pages(const u32 *pages, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (mmap((void *)(uintptr_t)pages[i], PAGE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				 MAP_FIXED,
			 -1, 0) == MAP_FAILED)
			abort();
}

void oracle__run(const u8 *insn, size_t len, struct oracle_result *r)
{
	u32 pages[ORACLE_MAX_ACC];
	int npages = 0;

	memset(r, 0, sizeof(*r));
	memcpy(code, insn, len);
	code[len] = 0x0f; /* ud2 */
	code[len + 1] = 0x0b;
	memset(code + len + 2, 0xcc, 32);
	for (;;) {
		u32 eip, addr;
		int k;

		enter();
		eip = cpu->eip - CODE_EIP;
		addr = (u32)cpu->addr;
		r->trapno = cpu->trapno;
		r->eip = eip;
		if (cpu->signo == SIGILL && cpu->trapno == TRAP_UD &&
		    eip == len) {
			r->end = ORACLE_DONE;
			break;
		}
		if (eip != 0) {
			r->end = ORACLE_ELSEWHERE;
			break;
		}
		if (cpu->signo != SIGSEGV || cpu->trapno != TRAP_PF) {
			r->end = cpu->trapno == TRAP_UD	  ? ORACLE_UD
				 : cpu->trapno == TRAP_GP ? ORACLE_GP
							  : ORACLE_FAULT;
			break;
		}
		r->addr = addr;
		k = area_of(addr);
		if (k < 0) {
			r->end = ORACLE_STRAY;
			break;
		}
		if (r->nacc == ORACLE_MAX_ACC) {
			r->end = ORACLE_PAGES;
			break;
		}
		r->acc[r->nacc++] =
			(u8)(k | (cpu->err & PF_WRITE ? ORACLE_WRITE : 0));
		pages[npages] = addr & ~(PAGE - 1);
		if (mprotect((void *)(uintptr_t)pages[npages], PAGE,
			     PROT_READ | PROT_WRITE) < 0)
			abort();
		npages++;
	}
	unmap_pages(pages, npages);
	memset(code, 0xcc, len + 34);
}
