/*
 * conformance.ssload.{sysenter,sysexit,syscall,sysret}: the fast system
 * calls load SS without reading its descriptor (Vol. 2B SYSENTER,
 * SYSEXIT, SYSCALL, SYSRET): the selector is a fixed offset from an MSR
 * and the hidden part is set to a flat, writable segment of the new CPL.
 * The descriptors the selectors name here are read-only and based at
 * SS_BASE, so a monitor that loads them from the GDT instead (or checks
 * them as MOV SS would) reads through the wrong base or faults. SYSENTER
 * and SYSEXIT are tested outside 64-bit mode (AMD processors raise #UD
 * for them in long mode), SYSCALL and SYSRET in 64-bit mode (Intel
 * processors raise #UD for them outside it). AMD's SYSRET keeps SS's
 * hidden attributes (APM Vol. 3 SYSRET), which no check here relies on.
 */
#include "ssload.h"

volatile u16 sys_ss, sys_cs;
volatile ulong sys_sp, sys_off;
volatile u32 sys_val;
extern char sys_pad[];

/* Records CS, SS:SP and a read through SS; at CPL 0 it reloads SS with
 * the runtime's data segment (the fixed SS names a read-only descriptor
 * that a later MOV SS could not load) and returns through INT 0x7f. */
#ifdef __x86_64__
asm(".text\n"
    "sys_pad:\n\t"
    "mov %cs, sys_cs(%rip)\n\t"
    "mov %ss, sys_ss(%rip)\n\t"
    "mov %rsp, sys_sp(%rip)\n\t"
    "mov sys_off(%rip), %rax\n\t"
    "mov %ss:(%rax), %eax\n\t"
    "mov %eax, sys_val(%rip)\n\t"
    "testb $3, sys_cs(%rip)\n\t"
    "jnz 1f\n\t"
    "mov $0x88, %ax\n\tmov %ax, %ss\n"
    "1:\tint $0x7f\n");
#else
asm(".text\n"
    "sys_pad:\n\t"
    "mov %cs, sys_cs\n\t"
    "mov %ss, sys_ss\n\t"
    "mov %esp, sys_sp\n\t"
    "mov sys_off, %eax\n\t"
    "mov %ss:(%eax), %eax\n\t"
    "mov %eax, sys_val\n\t"
    "testb $3, sys_cs\n\t"
    "jnz 1f\n\t"
    "mov $0x88, %ax\n\tmov %ax, %ss\n"
    "1:\tint $0x7f\n");
#endif

/* The fixed block: code DPL 0, read-only "SS" DPL 3, then code DPL 3 and
 * read-only DPL 0 (so that each fixed SS names the wrong DPL, too). */
#define CS0   (SYS_SLOT << 3)
#define SLOT1 ((SYS_SLOT + 1) << 3)
#define SLOT2 ((SYS_SLOT + 2) << 3)
#define SLOT3 ((SYS_SLOT + 3) << 3)

static void sys_reset(void)
{
	sys_ss = sys_cs = 0xffff;
	sys_sp = 0;
	sys_val = 0;
	sys_off = (ulong)&ss_marker; /* flat: base 0 whatever the GDT says */
	st.ss_before = 0xffff;
	st.sp_before = 0;
}

/* The state after the fast call, or SS:SP kept across its fault. */
static void sys_state(const char *id, u16 cs, u16 ss, ulong sp)
{
	report_result(id,
		      sys_cs == cs && sys_ss == ss && sys_sp == sp &&
			      sys_val == ss_marker,
		      "expected CS %#x, SS %#x, SP %#lx, %#x read through SS; "
		      "saw CS %#x, SS %#x, SP %#lx, read %#x",
		      cs, ss, sp, ss_marker, sys_cs, sys_ss, sys_sp, sys_val);
}

static void fault_state(const char *id, const struct fault *f)
{
	report_result(id, f->ss == st.ss_before && f->sp == st.sp_before,
		      "expected SS:SP %#x:%#lx in the frame, saw %#x:%#lx "
		      "after %s",
		      st.ss_before, st.sp_before, f->ss, f->sp,
		      vector_name(f->vector));
}

#ifndef __x86_64__
#define MSR_SYSENTER_CS	 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

static u8 sys_stack[4096] __aligned(16);

PROBE do_sysenter(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\tmov %%esp, %[spb]\n\tsysenter"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     :
		     : "memory");
}

PROBE do_sysexit(void *a)
{
	ulong sp = (ulong)a;

	asm volatile("mov %%ss, %[ssb]\n\tmov %%esp, %[spb]\n\tsysexit"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     : "c"(sp), "d"((ulong)sys_pad)
		     : "memory");
}

static const struct x86_feature sep = X86_FEATURE(1, 0, 3, 11, "sep");

void ssload_sys(void)
{
	const char *const ids[] = {
		DECLARE_CHECK("conformance.ssload.sysenter.cpl3",
			      "SYSENTER at CPL 3 enters CPL 0"),
		DECLARE_CHECK("conformance.ssload.sysenter.cpl3.state",
			      "SYSENTER: CS = SYSENTER_CS, SS = SYSENTER_CS "
			      "+ 8, ESP = SYSENTER_ESP, SS flat (its GDT "
			      "descriptor, read-only with base 1000H, is not "
			      "read)"),
		DECLARE_CHECK("conformance.ssload.sysexit.cpl0",
			      "SYSEXIT at CPL 0 enters CPL 3 (seen as INT "
			      "0x7f from the landing pad)"),
		DECLARE_CHECK("conformance.ssload.sysexit.cpl0.state",
			      "SYSEXIT: CS = SYSENTER_CS + 16 and SS = "
			      "SYSENTER_CS + 24, both RPL 3, ESP = ECX, SS "
			      "flat (its descriptor is not read)"),
		DECLARE_CHECK("conformance.ssload.sysexit.cpl3",
			      "SYSEXIT at CPL 3 raises #GP(0)"),
		DECLARE_CHECK("conformance.ssload.sysexit.cpl3.state",
			      "SYSEXIT at CPL 3: the frame holds the SS:ESP "
			      "before it"),
		DECLARE_CHECK("conformance.ssload.sysenter.null-cs",
			      "SYSENTER with SYSENTER_CS = 0 raises #GP(0)"),
		DECLARE_CHECK("conformance.ssload.sysenter.null-cs.state",
			      "SYSENTER with SYSENTER_CS = 0: the frame holds "
			      "the SS:ESP before it"),
	};
	ulong esp = (ulong)sys_stack + sizeof(sys_stack) - 16;
	u64 saved[3];
	struct fault f;

	if (!this_cpu_has(sep)) {
		for (int i = 0; i < (int)ARRAY_SIZE(ids); i++)
			report_skipped(ids[i], "CPUID.1:EDX.SEP is 0");
		return;
	}
	gdt_set(SYS_SLOT, 0, 0xfffff, 0x9b, 0xc);
	gdt_set(SYS_SLOT + 1, SS_BASE, 0xfffff, 0xf1, 0xc);
	gdt_set(SYS_SLOT + 2, 0, 0xfffff, 0xfb, 0xc);
	gdt_set(SYS_SLOT + 3, SS_BASE, 0xfffff, 0x91, 0xc);
	for (int i = 0; i < 3; i++)
		saved[i] = rdmsr(MSR_SYSENTER_CS + i);
	wrmsr(MSR_SYSENTER_CS, CS0);
	wrmsr(MSR_SYSENTER_ESP, esp);
	wrmsr(MSR_SYSENTER_EIP, (ulong)sys_pad);

	sys_reset();
	run_at_cpl(3, do_sysenter, NULL, &f);
	check_fault(ids[0], NO_FAULT, 0, &f);
	sys_state(ids[1], CS0, SLOT1, esp);

	sys_reset();
	try_call(do_sysexit, (void *)(esp - 32), &f);
	check_fault(ids[2], RET_VECTOR, 0, &f);
	sys_state(ids[3], SLOT2 | 3, SLOT3 | 3, esp - 32);

	sys_reset();
	run_at_cpl(3, do_sysexit, (void *)esp, &f);
	check_fault(ids[4], GP_VECTOR, 0, &f);
	fault_state(ids[5], &f);

	wrmsr(MSR_SYSENTER_CS, 0);
	sys_reset();
	run_at_cpl(3, do_sysenter, NULL, &f);
	check_fault(ids[6], GP_VECTOR, 0, &f);
	fault_state(ids[7], &f);
	for (int i = 0; i < 3; i++)
		wrmsr(MSR_SYSENTER_CS + i, saved[i]);
}
#else
#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  1ull

PROBE do_syscall(void *a)
{
	(void)a;
	asm volatile("mov %%ss, %[ssb]\n\tmov %%rsp, %[spb]\n\tsyscall"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     :
		     : "rcx", "r11", "memory");
}

/* SYSRET takes RFLAGS from R11: a fixed value with only bit 1 set. */
PROBE do_sysret_r11(void *a)
{
	(void)a;
	asm volatile("mov $2, %%r11d\n\t"
		     "mov %%ss, %[ssb]\n\tmov %%rsp, %[spb]\n\tsysretq"
		     : [ssb] "+m"(st.ss_before), [spb] "+m"(st.sp_before)
		     : "c"((ulong)sys_pad)
		     : "r11", "memory");
}

static const struct x86_feature sc =
	X86_FEATURE(0x80000001, 0, 3, 11, "syscall");

void ssload_sys(void)
{
	const char *const ids[] = {
		DECLARE_CHECK("conformance.ssload.syscall.sce-clear",
			      "SYSCALL with EFER.SCE = 0 raises #UD"),
		DECLARE_CHECK("conformance.ssload.syscall.cpl3",
			      "SYSCALL at CPL 3 enters CPL 0"),
		DECLARE_CHECK("conformance.ssload.syscall.cpl3.state",
			      "SYSCALL: CS = STAR[47:32], SS = STAR[47:32] + "
			      "8, RSP unchanged, SS flat (its GDT descriptor "
			      "is not read)"),
		DECLARE_CHECK("conformance.ssload.sysret.cpl0",
			      "SYSRET at CPL 0 enters CPL 3 (seen as INT 0x7f "
			      "from the landing pad)"),
		DECLARE_CHECK("conformance.ssload.sysret.cpl0.state",
			      "SYSRET to 64-bit mode: CS = STAR[63:48] + 16 "
			      "and SS = STAR[63:48] + 8, both RPL 3, RSP "
			      "unchanged (its descriptor is not read)"),
		DECLARE_CHECK("conformance.ssload.sysret.cpl3",
			      "SYSRET at CPL 3 raises #GP(0)"),
		DECLARE_CHECK("conformance.ssload.sysret.cpl3.state",
			      "SYSRET at CPL 3: the frame holds the SS:RSP "
			      "before it"),
	};
	u64 efer = rdmsr(MSR_EFER), star, lstar, fmask;
	struct fault f;

	if (!this_cpu_has(sc)) {
		for (int i = 0; i < (int)ARRAY_SIZE(ids); i++)
			report_skipped(ids[i], "CPUID.80000001H:EDX.SYSCALL "
					       "is 0");
		return;
	}
	gdt_set(SYS_SLOT, 0, 0xfffff, 0x9b, 0xa);
	gdt_set(SYS_SLOT + 1, SS_BASE, 0xfffff, 0xf1, 0xc);
	gdt_set(SYS_SLOT + 2, SS_BASE, 0xfffff, 0x91, 0xc);
	gdt_set(SYS_SLOT + 3, 0, 0xfffff, 0xfb, 0xa);
	star = rdmsr(MSR_STAR);
	lstar = rdmsr(MSR_LSTAR);
	fmask = rdmsr(MSR_FMASK);
	wrmsr(MSR_STAR, (u64)SLOT1 << 48 | (u64)CS0 << 32);
	wrmsr(MSR_LSTAR, (ulong)sys_pad);
	wrmsr(MSR_FMASK, 0);

	wrmsr(MSR_EFER, efer & ~EFER_SCE);
	sys_reset();
	run_at_cpl(3, do_syscall, NULL, &f);
	check_fault(ids[0], UD_VECTOR, 0, &f);
	wrmsr(MSR_EFER, efer | EFER_SCE);

	sys_reset();
	run_at_cpl(3, do_syscall, NULL, &f);
	check_fault(ids[1], NO_FAULT, 0, &f);
	sys_state(ids[2], CS0, SLOT1, st.sp_before);

	sys_reset();
	try_call(do_sysret_r11, NULL, &f);
	check_fault(ids[3], RET_VECTOR, 0, &f);
	sys_state(ids[4], SLOT3 | 3, SLOT2 | 3, st.sp_before);

	sys_reset();
	run_at_cpl(3, do_sysret_r11, NULL, &f);
	check_fault(ids[5], GP_VECTOR, 0, &f);
	fault_state(ids[6], &f);

	wrmsr(MSR_STAR, star);
	wrmsr(MSR_LSTAR, lstar);
	wrmsr(MSR_FMASK, fmask);
	wrmsr(MSR_EFER, efer);
}
#endif
