/*
 * mmu.spaces: code across address spaces. One linear address holds
 * other code in another address space (another frame), a shared code
 * page jumps into a page whose frame differs between two spaces
 * (directly and through a register), and one frame is mapped without
 * the rights to fetch it (not present, supervisor-only, XD). After each
 * MOV to CR3 a fetch must use the new tables (SDM Vol. 3A 4.10.4.1: the
 * load invalidates every non-global TLB entry; 4.6 fetch rights), and
 * after a PTE change and INVLPG within one space, at CPL 0 and 3. A
 * binary translator keyed by linear EIP must neither run the other
 * space's translation nor keep one the new tables forbid to fetch.
 */
#include "mmu_common.h"

#define ID(s) "mmu.spaces." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#define CODE_VA (VA_BASE + 0x10000) /* three pages */
#define ROUNDS	4

typedef u32 (*fn_t)(void);

/* mov $imm, %eax; ret */
static void put_mov_ret(u8 *p, u32 imm)
{
	p[0] = 0xb8;
	memcpy(p + 1, &imm, 4);
	p[5] = 0xc3;
}

/* jmp rel32 to @dest, for code at linear @at */
static void put_jmp(u8 *p, ulong at, ulong dest)
{
	u32 rel = (u32)(dest - (at + 5));

	p[0] = 0xe9;
	memcpy(p + 1, &rel, 4);
}

/* mov $dest, %ecx; jmp *%ecx (the same bytes in 64-bit mode: %rcx) */
static void put_jmp_ind(u8 *p, ulong dest)
{
	u32 d = (u32)dest;

	p[0] = 0xb9;
	memcpy(p + 1, &d, 4);
	p[5] = 0xff;
	p[6] = 0xe1;
}

static u32 call(ulong va)
{
	return ((fn_t)va)();
}

struct call_arg {
	ulong va;
	u32 v;
};

static void do_call(void *a)
{
	struct call_arg *x = a;

	x->v = call(x->va);
}

static void do_user_call(void *a)
{
	struct call_arg *x = a;

	x->v = call(x->va);
	asm volatile("ud2"); /* completed (mmu_common.h) */
}

/* The first value of @seen that was not @want, else @want. */
static void keep_wrong(u32 *first, u32 want, u32 seen)
{
	if (*first == want && seen != want)
		*first = seen;
}

struct results {
	u32 same_eip, direct, indirect;
};

/* The three calls of one space: frame 2's code, and frame 1's reached
 * from the shared page 0 by a direct and an indirect jump. */
static void run_space(struct results *r, u32 base)
{
	keep_wrong(&r->same_eip, base + 3,
		   call(CODE_VA + 2 * PAGE_SIZE + 0x300));
	keep_wrong(&r->direct, base + 1, call(CODE_VA + 0x100));
	keep_wrong(&r->indirect, base + 2, call(CODE_VA + 0x200));
}

static void map_code(struct pgtable *pt, u8 *f0, u8 *f1, u8 *f2, u64 flags)
{
	if (f0)
		pg_map(pt, CODE_VA, (ulong)f0, flags);
	pg_map(pt, CODE_VA + PAGE_SIZE, (ulong)f1, flags);
	pg_map(pt, CODE_VA + 2 * PAGE_SIZE, (ulong)f2, flags);
}

static void switch_checks(struct pgtable *a, struct pgtable *b)
{
	struct results ra = {0xa3, 0xa1, 0xa2}, rb = {0xb3, 0xb1, 0xb2};

	for (int i = 0; i < ROUNDS; i++) {
		write_cr3(a->root);
		run_space(&ra, 0xa0);
		write_cr3(b->root);
		run_space(&rb, 0xb0);
	}
	report_eq(ID("switch.a.same-eip"),
		  "one EIP, another frame in each space: the first space "
		  "runs its own code after every CR3 load",
		  0xa3, ra.same_eip);
	report_eq(ID("switch.b.same-eip"),
		  "one EIP, another frame in each space: the second space "
		  "runs its own code after every CR3 load",
		  0xb3, rb.same_eip);
	report_eq(ID("switch.a.direct"),
		  "a JMP rel32 from a shared frame into a page mapped "
		  "differently: the first space reaches its own frame",
		  0xa1, ra.direct);
	report_eq(ID("switch.b.direct"),
		  "a JMP rel32 from a shared frame into a page mapped "
		  "differently: the second space reaches its own frame",
		  0xb1, rb.direct);
	report_eq(ID("switch.a.indirect"),
		  "a JMP through a register from a shared frame: the first "
		  "space reaches its own frame",
		  0xa2, ra.indirect);
	report_eq(ID("switch.b.indirect"),
		  "a JMP through a register from a shared frame: the second "
		  "space reaches its own frame",
		  0xb2, rb.indirect);
}

/* Code that ran in @a, fetched under @c where its page is not present. */
static void unmapped_checks(struct pgtable *a, struct pgtable *c)
{
	struct call_arg x = {CODE_VA + 0x100, 0};
	struct fault f;
	int vec;

	write_cr3(a->root);
	call(CODE_VA + 0x100);
	write_cr3(c->root);
	vec = try_call(do_call, &x, &f);
	report_eq(ID("unmapped.vector"),
		  "code that ran, its page not present in the next space: "
		  "the call raises #PF",
		  PF_VECTOR, vec);
	report_eq(ID("unmapped.cr2"),
		  "... with CR2 the address of the instruction",
		  CODE_VA + 0x100, vec == PF_VECTOR ? f.cr2 : 0);
	write_cr3(a->root);
	report_eq(ID("unmapped.back"),
		  "back in the first space the code runs again", 0xa1,
		  call(CODE_VA + 0x100));
}

/* The same frames, user code in @a and supervisor-only in @d: CPL 3. */
static void supervisor_checks(struct pgtable *a, struct pgtable *d)
{
	struct call_arg x = {CODE_VA + 2 * PAGE_SIZE + 0x300, 0};
	struct fault f;
	int vec;

	write_cr3(a->root);
	vec = run_at_cpl(3, do_user_call, &x, &f);
	report_eq(ID("user.runs"),
		  "CPL 3 calls code on a user page: it runs (then UD2)",
		  ((u64)UD_VECTOR << 32) | 0xa3, ((u64)(u32)vec << 32) | x.v);
	write_cr3(d->root);
	x.v = 0;
	vec = run_at_cpl(3, do_user_call, &x, &f);
	report_eq(ID("supervisor.vector"),
		  "the same frame supervisor-only in the next space: the CPL "
		  "3 call raises #PF",
		  PF_VECTOR, vec);
	report_eq(ID("supervisor.error"),
		  "... with P and U/S set in the error code (a protection "
		  "violation at CPL 3)",
		  PFERR_P | PFERR_U,
		  vec == PF_VECTOR ? f.error & (PFERR_P | PFERR_U) : 0);
	write_cr3(a->root);
	x.v = 0;
	vec = run_at_cpl(3, do_user_call, &x, &f);
	report_eq(ID("user.back"),
		  "back in the first space the CPL 3 call runs again",
		  ((u64)UD_VECTOR << 32) | 0xa3, ((u64)(u32)vec << 32) | x.v);
}

/* Within space @a, code that ran at CPL @cpl remapped (PTE, INVLPG) to
 * @to, then back to @from: the new frame's code runs each time. */
static u64 remap_run(struct pgtable *a, int cpl, u8 *from, u8 *to)
{
	ulong va = CODE_VA + 2 * PAGE_SIZE;
	struct call_arg x = {va + 0x300, 0};
	struct fault f;
	u32 seen[3];

	write_cr3(a->root);
	for (int i = 0; i < 3; i++) {
		pg_map(a, va, (ulong)(i == 1 ? to : from), PT_RW | PT_US);
		x.v = 0;
		if (cpl == 3)
			run_at_cpl(3, do_user_call, &x, &f);
		else
			try_call(do_call, &x, &f);
		seen[i] = x.v;
	}
	return (u64)seen[0] << 32 | seen[1] << 16 | seen[2];
}

static void remap_checks(struct pgtable *a, u8 *fa2, u8 *fb2)
{
	report_eq(ID("remap.supervisor"),
		  "one space, CPL 0: code remapped to another frame and back "
		  "(PTE and INVLPG) runs the new frame's code each time",
		  0xa3ull << 32 | 0xb3 << 16 | 0xa3, remap_run(a, 0, fa2, fb2));
	report_eq(ID("remap.user"),
		  "one space, CPL 3: code remapped to another frame and back "
		  "(PTE and INVLPG) runs the new frame's code each time",
		  0xa3ull << 32 | 0xb3 << 16 | 0xa3, remap_run(a, 3, fa2, fb2));
}

#if defined(MMU_PAE) || defined(__x86_64__)
#define XD_DESC                                                                \
	"the same frame XD in the next space: the call raises #PF (error "     \
	"code P and I/D)"

/* The same frames, executable in @a and XD in @e (EFER.NXE = 1). */
static void xd_checks(struct pgtable *a, struct pgtable *e)
{
	struct call_arg x = {CODE_VA + 2 * PAGE_SIZE + 0x300, 0};
	struct fault f;
	u64 efer;
	int vec;

	if (!this_cpu_has(FEAT_NX)) {
		report_skip(ID("xd.vector"), XD_DESC,
			    "the CPU lacks NX (EFER.NXE cannot be set)");
		return;
	}
	efer = rdmsr(MSR_EFER);
	wrmsr(MSR_EFER, efer | EFER_NXE);
	write_cr3(a->root);
	call(x.va);
	write_cr3(e->root);
	vec = try_call(do_call, &x, &f);
	write_cr3(a->root);
	wrmsr(MSR_EFER, efer);
	report_eq(
		ID("xd.vector"), XD_DESC,
		((u64)PF_VECTOR << 32) | PFERR_P | PFERR_I,
		((u64)(u32)vec << 32) |
			(vec == PF_VECTOR ? f.error & (PFERR_P | PFERR_I) : 0));
}
#endif

void probe_main(void)
{
	struct pgtable *boot = pg_current(), a, b, c, d;
	u8 *f0 = alloc_page(), *fa1 = alloc_page(), *fa2 = alloc_page();
	u8 *fb1 = alloc_page(), *fb2 = alloc_page();

	put_jmp(f0 + 0x100, CODE_VA + 0x100, CODE_VA + PAGE_SIZE + 0x100);
	put_jmp_ind(f0 + 0x200, CODE_VA + PAGE_SIZE + 0x200);
	put_mov_ret(fa1 + 0x100, 0xa1);
	put_mov_ret(fa1 + 0x200, 0xa2);
	put_mov_ret(fa2 + 0x300, 0xa3);
	put_mov_ret(fb1 + 0x100, 0xb1);
	put_mov_ret(fb1 + 0x200, 0xb2);
	put_mov_ret(fb2 + 0x300, 0xb3);

	mmu_env_init(&a);
	pg_identity(&b, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	pg_identity(&c, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	pg_identity(&d, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	map_code(&a, f0, fa1, fa2, PT_RW | PT_US);
	map_code(&b, f0, fb1, fb2, PT_RW | PT_US);
	map_code(&c, NULL, fa1, fa2, PT_RW | PT_US);
	map_code(&d, f0, fa1, fa2, PT_RW);

	switch_checks(&a, &b);
	unmapped_checks(&a, &c);
	supervisor_checks(&a, &d);
	remap_checks(&a, fa2, fb2);
#if defined(MMU_PAE) || defined(__x86_64__)
	struct pgtable e;

	pg_identity(&e, MMU_MODE, MMU_ENV_BYTES, PT_RW | PT_US);
	map_code(&e, f0, fa1, fa2, PT_RW | PT_US | PT_NX);
	xd_checks(&a, &e);
#endif
	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
