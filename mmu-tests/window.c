/*
 * mmu.window: linear addresses in the top 4 MiB of the 4 GiB. A software
 * monitor that lives in the guest's address space (the paper's VMM in the
 * top of the linear space; refvmm's software modes keep a monitor window
 * at 0xffc00000) must still give the guest its own pages there: loads,
 * stores, read-modify-writes, string and stack operations, page faults
 * and code, exactly as below the window (SDM Vol. 3A 4.1: paging maps the
 * whole 32-bit linear space; nothing is reserved).
 */
#include "mmu_common.h"

#define ID(s) "mmu.window." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#ifdef __x86_64__
#define XSP	    "rsp"
#define XDX	    "rdx"
#define XDX_CLOBBER "rdx"
#else
#define XSP	    "esp"
#define XDX	    "edx"
#define XDX_CLOBBER "edx"
#endif

#define WIN	 0xffc00000ul
#define WIN_TOP	 0xfffff000ul
#define WIN_HOLE 0xffd00000ul /* left unmapped */

static u32 *frame_win, *frame_top, *frame_below;

static void rmw(void *a)
{
	asm volatile("addl $5, (%0)" : : "r"(a) : "memory", "cc");
}

struct copy {
	void *dst;
	const void *src;
	ulong n;
};

static void rep_movs(void *a)
{
	struct copy *c = a;
	void *d = c->dst;
	const void *s = c->src;
	ulong n = c->n;

	asm volatile("cld; rep movsl"
		     : "+D"(d), "+S"(s), "+c"(n)
		     :
		     : "memory");
}

static ulong stack_result;

/* Pushes and pops with the stack pointer inside the window. */
static void window_stack(void *a)
{
	ulong top = (ulong)a, got;

	asm volatile("mov %%" XSP ", %%" XDX "\n\t"
		     "mov %1, %%" XSP "\n\t"
		     "push $0x5a5a\n\t"
		     "push $0x1234\n\t"
		     "pop %0\n\t"
		     "add %2, %%" XSP "\n\t"
		     "mov %%" XDX ", %%" XSP
		     : "=&r"(got)
		     : "r"(top), "i"(sizeof(ulong))
		     : "memory", XDX_CLOBBER);
	stack_result = got;
}

static ulong exec_result;

static void window_call(void *a)
{
	exec_result = ((ulong(*)(void))a)();
}

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;
	struct fault f;
	u32 v;
	int vec;

	mmu_env_init(&pt);
	frame_win = alloc_page();
	frame_top = alloc_page();
	frame_below = alloc_page();
	pg_map(&pt, WIN, (ulong)frame_win, PT_RW);
	pg_map(&pt, WIN + PAGE_SIZE, (ulong)alloc_page(), PT_RW);
	pg_map(&pt, WIN - PAGE_SIZE, (ulong)frame_below, PT_RW);
	pg_map(&pt, WIN_TOP, (ulong)frame_top, PT_RW);

	vec = mmu_write(0, WIN + 0x10, 0x12345678, &f);
	report_eq(ID("store"),
		  "a store to 0xffc00010 lands in the frame the guest mapped "
		  "there",
		  ((u64)(u32)NO_FAULT << 32) | 0x12345678,
		  ((u64)(u32)vec << 32) | frame_win[4]);
	frame_win[5] = 0xcafef00d;
	mmu_read(0, WIN + 0x14, &v, &f);
	report_eq(ID("load"), "a load from 0xffc00014 reads that frame",
		  0xcafef00d, v);
	frame_top[1023] = 0x600df00d;
	mmu_read(0, 0xfffffffcul, &v, &f);
	report_eq(ID("top-dword"),
		  "the last dword of the 4 GiB (0xfffffffc) is the guest's",
		  0x600df00d, v);
	frame_win[6] = 37;
	vec = try_call(rmw, (void *)(WIN + 0x18), &f);
	report_eq(ID("rmw"), "ADD to memory in the window adds", 42,
		  vec == NO_FAULT ? frame_win[6] : (u32)vec);

	frame_below[1023] = 0x11111111;
	frame_win[0] = 0x22222222;
	mmu_read(0, WIN - 2, &v, &f);
	report_eq(ID("straddle"),
		  "a dword load at 0xffbffffe takes two bytes from each side "
		  "of the window's edge",
		  0x22221111, v);

	{
		static u32 dst[16];
		struct copy c = {dst, (void *)(WIN + 0x100), 16};

		for (int i = 0; i < 16; i++)
			frame_win[0x40 + i] = 0x100 + (u32)i;
		vec = try_call(rep_movs, &c, &f);
		v = 0;
		for (int i = 0; i < 16; i++)
			v += dst[i] == 0x100 + (u32)i;
		report_eq(ID("rep-movs"),
			  "REP MOVSD copies 16 dwords out of the window", 16,
			  vec == NO_FAULT ? v : (u32)vec);
	}

	vec = try_call(window_stack, (void *)(WIN + PAGE_SIZE + 0x800), &f);
	report_eq(ID("stack"),
		  "PUSH and POP with the stack pointer in the window",
		  0x1234, vec == NO_FAULT ? stack_result : (ulong)vec);

	vec = mmu_read(0, WIN_HOLE + 0x24, &v, &f);
	report_eq(ID("pf.vector"),
		  "a read of an unmapped window page raises #PF(0)",
		  PF_ERR(0), mmu_vec_err(&f));
	report_eq(ID("pf.cr2"), "CR2 is the window address", WIN_HOLE + 0x24,
		  (ulong)f.cr2);
	(void)vec;

	{
		/* mov $0x1234, %eax; ret */
		static const u8 code[] = {0xb8, 0x34, 0x12, 0x00, 0x00, 0xc3};
		u8 *p = (u8 *)frame_win + 0x800;

		for (unsigned i = 0; i < sizeof(code); i++)
			p[i] = code[i];
		exec_result = 0;
		vec = try_call(window_call, (void *)(WIN + 0x800), &f);
		report_eq(ID("exec"),
			  "code in the window runs (MOV EAX, 0x1234; RET)",
			  0x1234, vec == NO_FAULT ? exec_result : (ulong)vec);
	}

	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
