/*
 * conformance.realmode and conformance.v86: real-address mode and
 * virtual-8086 mode (SDM Vol. 3A chapter 20, "8086 Emulation"; 10.9 for
 * the switches). Only a 32-bit image: neither mode exists in IA-32e mode
 * (SDM Vol. 3A 2.2), so a monitor that runs its guests in a long-mode
 * process cannot offer them, and its target file marks this image
 * unsupported (docs/probes/v86.md).
 *
 * This file holds what the families share: the low-memory blob, the TSS
 * the exits from virtual-8086 mode go through, and the exit handler that
 * turns any interrupt or exception out of a snippet into a return from
 * v86_run() with the frame the processor pushed.
 */
#include "v86.h"
#include "ex_regs.h"
#include "pic.h"
#include "skip.h"

POPEK_IMAGE(0, 0);

_Static_assert(RM_CODE_SEL == GDT_FREE << 3, "v86_low.h selectors");
_Static_assert(RM_DATA_SEL == (GDT_FREE + 1) << 3, "v86_low.h selectors");
_Static_assert(PM_CODE_SEL == KERNEL_CS32 && PM_DATA_SEL == KERNEL_DS,
	       "v86_low.h selectors");
_Static_assert(IRET3_SEL == ((GDT_FREE + 3) << 3 | 3) &&
		       IRET3_INDEX == GDT_FREE + 3,
	       "v86_low.h selectors");

#define V86_TSS_INDEX (GDT_FREE + 2)
#define V86_TSS_SEL   ((u16)(V86_TSS_INDEX << 3))

/* The TSS with its interrupt redirection bitmap right below the I/O
 * permission bitmap (SDM Vol. 3A Figure 20-5), and the final 0xff byte
 * the I/O bitmap needs (SDM Vol. 1 19.5.2). */
static struct __attribute__((packed)) {
	struct tss32 tss;
	u8 redirect[32];
	u8 iomap[65536 / 8 + 1];
} vtss __aligned(16);
static u8 exit_stack[8192] __aligned(16);

/* What the low area held before, restored at the end. */
static u8 saved_low[LOW_STACK];
static u8 saved_ivt[1024];

void v86_enter(struct v86_ctx *c);
extern char v86_back[];

static struct v86_exit *cur_exit;
/* Set while v86_run_from_pm() runs: an exit from protected mode at CPL 3
 * is an outcome, not a broken probe. */
static bool pm_exit_ok;

u16 low_off(const char *label)
{
	return (u16)(label - v86_blob);
}

u32 low_res(unsigned off)
{
	return *(volatile u32 *)(ulong)(LOW_BASE + RES + off);
}

u16 low_res16(unsigned off)
{
	return *(volatile u16 *)(ulong)(LOW_BASE + RES + off);
}

u32 v86_esp0(void)
{
	return vtss.tss.esp0;
}

void v86_iomap(bool present)
{
	vtss.tss.iomap_base =
		present ? offsetof(typeof(vtss), iomap) : sizeof(vtss);
	memset(vtss.iomap, 0xff, sizeof(vtss.iomap));
}

void v86_io_allow(u16 port, bool allow)
{
	if (allow)
		vtss.iomap[port / 8] &= ~(1u << (port % 8));
	else
		vtss.iomap[port / 8] |= 1u << (port % 8);
}

void v86_redirect_bit(int vector, bool set)
{
	if (set)
		vtss.redirect[vector / 8] |= 1u << (vector % 8);
	else
		vtss.redirect[vector / 8] &= ~(1u << (vector % 8));
}

void v86_tss_load(void)
{
	memset(&vtss, 0, sizeof(vtss));
	vtss.tss.esp0 = (ulong)exit_stack + sizeof(exit_stack);
	vtss.tss.ss0 = KERNEL_DS;
	v86_iomap(true);
	gdt_set_system(V86_TSS_INDEX, (ulong)&vtss, sizeof(vtss) - 1, 9, 0);
	asm volatile("ltr %w0" : : "r"(V86_TSS_SEL) : "memory");
}

void v86_tss_unload(void)
{
	/* LTR wants an available TSS: clear the runtime's busy bit. */
	gdt[SEL_TSS >> 3] &= ~(2ull << 40);
	asm volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
}

/*
 * Every vector lands here while a snippet runs. From virtual-8086 mode
 * the processor pushed GS, FS, DS and ES before SS, ESP, EFLAGS, CS and
 * EIP (SDM Vol. 3A 20.3.1.1), so they follow struct ex_regs.
 * The frame is redirected to v86_back, at CPL 0 like the handler, so
 * the IRET is a same-level one that pops EIP, CS and EFLAGS only.
 */
static void exit_handler(struct ex_regs *r)
{
	const ulong *v86_segs = (const ulong *)(r + 1);
	struct v86_exit *e = cur_exit;

	bool vm = r->flags & X86_EFLAGS_VM;

	if (!e || (!vm && !(pm_exit_ok && (r->cs & 3) == 3)))
		report_bail("%s at %#lx:%#lx outside virtual-8086 mode",
			    vector_name(r->vector), r->cs, r->ip);
	e->vector = r->vector;
	e->error = r->error;
	e->frame[F_EIP] = r->ip;
	e->frame[F_CS] = r->cs;
	e->frame[F_EFLAGS] = r->flags;
	e->frame[F_ESP] = r->sp;
	e->frame[F_SS] = r->ss;
	for (int i = 0; i < 4; i++)
		e->frame[F_ES + i] = vm ? v86_segs[i] : 0;
	e->eax = r->eax;
	e->ebx = r->ebx;
	e->ecx = r->ecx;
	e->edx = r->edx;
	e->esi = r->esi;
	e->edi = r->edi;
	e->h_ds = r->ds;
	e->h_es = r->es;
	e->h_fs = r->fs;
	e->h_gs = r->gs;
	e->h_ss = read_ss();
	e->frame_at = (ulong)&r->ip;
	r->ip = (ulong)v86_back;
	r->cs = KERNEL_CS32;
	r->flags = X86_EFLAGS_FIXED;
	r->ds = r->es = r->fs = r->gs = KERNEL_DS;
}

void v86_ctx_init(struct v86_ctx *c, const char *label, int iopl)
{
	memset(c, 0, sizeof(*c));
	c->eip = low_off(label);
	c->cs = c->ss = c->ds = c->es = c->fs = c->gs = LOW_SEG;
	c->esp = LOW_STACK;
	c->eflags = X86_EFLAGS_FIXED | X86_EFLAGS_VM | ((u32)iopl << 12);
}

int v86_run(struct v86_ctx *c, struct v86_exit *e)
{
	memset(e, 0, sizeof(*e));
	e->vector = NO_FAULT;
	if (skip_run())
		return NO_FAULT;
	cur_exit = e;
	for (int v = 0; v < 256; v++)
		set_irq_handler(v, exit_handler);
	v86_enter(c);
	for (int v = 0; v < 256; v++)
		set_irq_handler(v, NULL);
	cur_exit = NULL;
	return e->vector;
}

int v86_run_from_pm(struct v86_ctx *c, struct v86_exit *e)
{
	int v;

	pm_exit_ok = true;
	v = v86_run(c, e);
	pm_exit_ok = false;
	return v;
}

bool v86_check_exit(const char *id, const struct v86_exit *e, int vec, u32 err,
		    const char *at)
{
	char want[24], saw[24];
	u32 off = low_off(at);
	bool has_err = vec == GP_VECTOR || vec == SS_VECTOR;

	if (e->vector == vec && e->frame[F_EIP] == off &&
	    (!has_err || e->error == err))
		return report_result(id, true, " ");
	outcome_str(want, sizeof(want), vec, has_err ? (long)err : 0);
	outcome_str(saw, sizeof(saw), e->vector,
		    e->vector == GP_VECTOR || e->vector == SS_VECTOR
			    ? (long)e->error
			    : 0);
	return report_result(id, false, "expected %s at %#x, saw %s at %#x",
			     want, off, saw, e->frame[F_EIP]);
}

/* Linear address 0, the 8086 IVT, out of the compiler's null-pointer
 * reasoning. */
static u8 *linear0(void)
{
	u8 *p = NULL;

	asm("" : "+r"(p));
	return p;
}

static void low_install(void)
{
	u16 *ivt = (u16 *)(ulong)(LOW_BASE + RM_IVT);
	size_t n = v86_blob_end - v86_blob;

	if (n > LOW_CODE_MAX)
		report_bail("the low blob is %zu bytes, over %#x", n,
			    LOW_CODE_MAX);
	memcpy(saved_low, (void *)LOW_BASE, sizeof(saved_low));
	memcpy(saved_ivt, linear0(), sizeof(saved_ivt));
	memset((void *)LOW_BASE, 0, sizeof(saved_low));
	memcpy((void *)LOW_BASE, v86_blob, n);
	for (int v = 0; v < 256; v++) {
		ivt[2 * v] = low_off(rm_stubs) + 8 * v;
		ivt[2 * v + 1] = LOW_SEG;
	}
	/* The 16-bit segments of the way into real mode (SDM Vol. 3A
	 * 10.9.2): byte granular, limit 0xffff, D/B = 0. */
	gdt_set(GDT_FREE, LOW_BASE, 0xffff, 0x9b, 0);
	gdt_set(GDT_FREE + 1, LOW_BASE, 0xffff, 0x93, 0);
}

static void low_restore(void)
{
	memcpy((void *)LOW_BASE, saved_low, sizeof(saved_low));
	memcpy(linear0(), saved_ivt, sizeof(saved_ivt));
}

void probe_main(void)
{
	if (read_cr0() & X86_CR0_PG)
		report_bail("paging is on: the probes need linear = physical");
	/* Real mode and virtual-8086 snippets run with IF = 1 at times:
	 * every IRQ masked, so only the instructions under test act. */
	pic_init();
	low_install();
	check_real_mode();
	v86_tss_load();
	check_v86_iret_cpl3();
	check_v86_basic();
	check_v86_iopl();
	check_v86_io();
	check_v86_vme();
	v86_tss_unload();
	low_restore();
}
