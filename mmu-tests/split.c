/*
 * mmu.split: CPL 3 against a supervisor page the supervisor has just
 * used. Every way a user instruction can form the page's address (a
 * plain load and store, string, stack, read-modify-write, x87 load and
 * environment store, XLAT, an indirect jump, the frame IRET and far RET
 * pop, each segment override) must raise #PF with U/S = 1 in
 * the error code, P = 1 and W as the access (SDM Vol. 3A 4.6.1, 4.7),
 * CR2 the address, and leave the page as it was; a user page the guest
 * maps next to it later must work. A monitor that keeps supervisor
 * mappings across the switch to CPL 3 and keeps user code out by segment
 * limits (the paper's trick; refvmm-bt's privilege split) must give
 * exactly that, never a #GP the guest did not earn and never the data.
 */
#include "mmu_common.h"

#define ID(s) "mmu.split." MMU_MODE_ID "." s

POPEK_IMAGE(0, 0);

#define KPAGE	 0xc0000000ul /* supervisor only */
#define LATE	 0xc0400000ul /* a user page mapped later */
#define MIX_USER 0x02800000ul /* a user page ... */
#define MIX_SUP	 0x02801000ul /* ... and a supervisor one beside it */
#define SECRET	 0x5ec2e7u

static u32 *frame_sup;

/* Each runs at CPL 3 on KPAGE + 0x10 and ends in UD2 (mmu_common.h). */
static void u_lods(void *a)
{
	const void *s = a;
	u32 v;

	asm volatile("cld; lodsl" : "=a"(v), "+S"(s) : : "memory");
	asm volatile("ud2");
}

static void u_stos(void *a)
{
	void *d = a;

	asm volatile("cld; stosl" : "+D"(d) : "a"(0) : "memory");
	asm volatile("ud2");
}

static void u_push(void *a)
{
	asm volatile("mov %%esp, %%edx; mov %0, %%esp; push $1; "
		     "mov %%edx, %%esp"
		     :
		     : "r"((ulong)a + 4)
		     : "edx", "memory");
	asm volatile("ud2");
}

static void u_pop(void *a)
{
	asm volatile("mov %%esp, %%edx; mov %0, %%esp; pop %%eax; "
		     "mov %%edx, %%esp"
		     :
		     : "r"(a)
		     : "eax", "edx", "memory");
	asm volatile("ud2");
}

static void u_rmw(void *a)
{
	asm volatile("addl $1, (%0)" : : "r"(a) : "memory", "cc");
	asm volatile("ud2");
}

static void u_cs(void *a)
{
	u32 v;

	asm volatile("mov %%cs:(%1), %0" : "=r"(v) : "r"(a) : "memory");
	asm volatile("ud2");
}

/* FS or GS loaded with the user data selector, then a load through it. */
static void u_fs(void *a)
{
	u32 v;

	asm volatile("mov %%ds, %%dx; mov %%dx, %%fs; mov %%fs:(%1), %0"
		     : "=r"(v)
		     : "r"(a)
		     : "edx", "memory");
	asm volatile("ud2");
}

static void u_gs(void *a)
{
	u32 v;

	asm volatile("mov %%ds, %%dx; mov %%dx, %%gs; mov %%gs:(%1), %0"
		     : "=r"(v)
		     : "r"(a)
		     : "edx", "memory");
	asm volatile("ud2");
}

static void u_x87(void *a)
{
	asm volatile("fninit; fildl (%0); fstp %%st(0)" : : "r"(a) : "memory");
	asm volatile("ud2");
}

/* Stores 28 bytes (the x87 environment): an instruction a monitor may
 * not emulate, so it runs natively again where refvmm lifts the split. */
static void u_fnstenv(void *a)
{
	asm volatile("fninit; fnstenv (%0)" : : "r"(a) : "memory");
	asm volatile("ud2");
}

static void u_xlat(void *a)
{
	asm volatile("xor %%eax, %%eax; xlat" : : "b"(a) : "eax", "memory");
	asm volatile("ud2");
}

static void u_jmp(void *a)
{
	asm volatile("jmp *(%0)" : : "r"(a) : "memory");
}

/* IRET and far RET pop their frame with CPL 3's privilege: user-mode
 * reads like POP's (SDM Vol. 3A 4.6.1), though the same instructions at
 * CPL 0 read the outer stack as the supervisor. */
static void u_iret(void *a)
{
	asm volatile("mov %0, %%esp; iret" : : "r"(a) : "memory");
}

static void u_lret(void *a)
{
	asm volatile("mov %0, %%esp; lret" : : "r"(a) : "memory");
}

/* The fault *@f against #PF(@err) at @at: the vector and error code in
 * check @name, CR2 in @name.cr2 (ids and descriptions are literals). */
#define PF_AT(name, what, f, err, at)                                          \
	do {                                                                   \
		report_eq(ID(name), what, PF_ERR(err), mmu_vec_err(f));        \
		report_eq(ID(name ".cr2"), "CR2 is the address", (ulong)(at),  \
			  (f)->vector == PF_VECTOR ? (f)->cr2 : 0);            \
	} while (0)

/* @fn at CPL 3 on KPAGE + 0x10, right after CPL 0 wrote the page (a
 * shadow holds it writable again); its fault in *@f. */
static void user_on_kpage(void (*fn)(void *), struct fault *f)
{
	mmu_write(0, KPAGE + 0x10, SECRET, f);
	run_at_cpl(3, fn, (void *)(KPAGE + 0x10), f);
}

/* @fn must raise #PF(@err) at KPAGE + 0x10 (user_on_kpage). */
#define CHECK(name, what, fn, err)                                             \
	do {                                                                   \
		struct fault f_;                                               \
		user_on_kpage(fn, &f_);                                        \
		PF_AT(name, what, &f_, err, KPAGE + 0x10);                     \
	} while (0)

/* @fn pops a frame of @len bytes at CPL 3 from KPAGE + 0x10: #PF(P|U),
 * and CR2 one of the frame's dwords, since the order in which IRET and
 * far RET read their frame is not architectural (Bochs reads the
 * highest first). */
#define FRAME_CHECK(name, what, fn, len)                                       \
	do {                                                                   \
		struct fault f_;                                               \
		ulong at_ = KPAGE + 0x10;                                      \
		user_on_kpage(fn, &f_);                                        \
		report_eq(ID(name), what, PF_ERR(5), mmu_vec_err(&f_));        \
		report(ID(name ".cr2"), "CR2 is an address in the frame",      \
		       f_.vector == PF_VECTOR && f_.cr2 >= at_ &&              \
			       f_.cr2 < at_ + (len),                           \
		       "expected CR2 in [%#lx, %#lx), saw %#lx", at_,          \
		       at_ + (len),                                            \
		       f_.vector == PF_VECTOR ? (ulong)f_.cr2 : 0ul);          \
	} while (0)

void probe_main(void)
{
	struct pgtable *boot = pg_current(), pt;
	struct fault f;
	u32 v;
	int vec;

	mmu_env_init(&pt);
	frame_sup = alloc_page();
	pg_map(&pt, KPAGE, (ulong)frame_sup, PT_RW);
	pg_map(&pt, MIX_USER, (ulong)alloc_page(), PT_RW | PT_US);
	pg_map(&pt, MIX_SUP, (ulong)alloc_page(), PT_RW);

	/* The supervisor uses the page: a shadow holds it, writable. */
	mmu_write(0, KPAGE + 0x10, SECRET, &f);
	vec = mmu_read(0, KPAGE + 0x10, &v, &f);
	report_eq(ID("supervisor"), "CPL 0 reads and writes the page", SECRET,
		  vec == NO_FAULT ? v : (u32)vec);

	v = 0;
	vec = mmu_read(3, KPAGE + 0x10, &v, &f);
	PF_AT("read", "a CPL-3 load raises #PF(P|U)", &f, 5, KPAGE + 0x10);
	report_eq(ID("read.no-data"), "and returns none of the page's data",
		  0xdeadbeef, v);
	mmu_write(0, KPAGE + 0x10, SECRET, &f);
	mmu_write(3, KPAGE + 0x10, 0x0badf00d, &f);
	PF_AT("write", "a CPL-3 store raises #PF(P|W|U)", &f, 7, KPAGE + 0x10);
	CHECK("lods", "LODS through DS raises #PF(P|U)", u_lods, 5);
	CHECK("stos", "STOS through ES raises #PF(P|W|U)", u_stos, 7);
	CHECK("push", "PUSH with ESP in the page raises #PF(P|W|U)", u_push, 7);
	CHECK("pop", "POP with ESP in the page raises #PF(P|U)", u_pop, 5);
	{
		/* Whether the read half or the write half of an RMW access
		 * faults (W, bit 1 of the error code) differs between
		 * processors. */
		struct fault f_;

		user_on_kpage(u_rmw, &f_);
		report_eq(ID("rmw"), "ADD to memory raises #PF(P|U)", PF_ERR(5),
			  mmu_vec_err(&f_) & ~(u64)2);
	}
	CHECK("cs", "a CS-overridden load raises #PF(P|U)", u_cs, 5);
	CHECK("fs", "an FS-overridden load raises #PF(P|U)", u_fs, 5);
	CHECK("gs", "a GS-overridden load raises #PF(P|U)", u_gs, 5);
	CHECK("x87", "FILD raises #PF(P|U)", u_x87, 5);
	CHECK("fnstenv", "FNSTENV raises #PF(P|W|U)", u_fnstenv, 7);
	CHECK("xlat", "XLAT raises #PF(P|U)", u_xlat, 5);
	CHECK("jmp", "JMP through memory raises #PF(P|U)", u_jmp, 5);
	FRAME_CHECK("iret", "IRET with ESP in the page raises #PF(P|U)", u_iret,
		    12);
	FRAME_CHECK("lret", "far RET with ESP in the page raises #PF(P|U)",
		    u_lret, 8);
	report_eq(ID("untouched"), "the page still holds what CPL 0 wrote",
		  SECRET, frame_sup[4]);

	/* A user page above the supervisor one, mapped later. */
	pg_map(&pt, LATE, (ulong)alloc_page(), PT_RW | PT_US);
	vec = mmu_write(3, LATE + 0x20, 0x1a7e, &f);
	if (vec == NO_FAULT)
		vec = mmu_read(3, LATE + 0x20, &v, &f);
	report_eq(ID("late-user"),
		  "CPL 3 reads and writes a user page mapped above it later",
		  0x1a7e, vec == NO_FAULT ? v : (u32)vec);
	v = 0;
	mmu_read(0, KPAGE + 0x10, &v, &f);
	mmu_read(3, KPAGE + 0x10, &v, &f);
	report_eq(ID("read-again"),
		  "after that the supervisor page still faults at CPL 3",
		  PF_ERR(5), mmu_vec_err(&f));

	/* A user and a supervisor page side by side. */
	mmu_write(3, MIX_USER, 7, &f);
	mmu_read(0, MIX_SUP, &v, &f);
	mmu_read(3, MIX_SUP, &v, &f);
	PF_AT("beside-user",
	      "a supervisor page beside a user page faults at CPL 3", &f, 5,
	      MIX_SUP);

	if (boot)
		pg_enable(boot);
	else
		pg_disable();
}
