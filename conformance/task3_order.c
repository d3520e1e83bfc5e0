/*
 * The I/O bitmap's edges, and which fault wins when two are due.
 *
 * I/O (Vol. 1 19.5.2): the processor reads two bytes of the bitmap for
 * every access, so a port whose bit is in the last byte inside the TSS
 * limit faults unless one more byte is; a map base beyond the limit
 * denies every port; a word access checks the bit of each port it
 * touches; at CPL <= IOPL the map is not read.
 *
 * Two faults at once (Vol. 2A JMP and CALL, task-switch paths; Vol. 3A
 * Table 8-1): before the commit the pseudocode orders them (DPL and busy
 * before present, present before the limit, the limit before anything
 * the TSS holds, the gate before its TSS). After the commit the table's
 * order "is model specific" (8.3), so for two bad selectors in the new
 * TSS either fault is accepted, but it must be one of the two, raised
 * once, in the new task. Those faults come through IDT task gates, as
 * in taskswitch2.c: a bad LDT, SS or CS leaves no stack for a gate.
 */
#include "common.h"
#include "task3.h"

#define PORT_ALLOWED 0x80 /* byte 16 of the map, bit 0 */
#define PORT_DENIED  0x84
#define PORT_W	     0x86 /* 0x86 and 0x87 allowed, 0x88 denied */
#define MAP_BYTES    18

static struct {
	struct tss32 t;
	u8 map[MAP_BYTES];
} tss_io;
static struct tss32 tss_bad, tss_h;
static u64 empty_ldt[1] __aligned(8);

extern char iob_entry[], iob_second[], iob_end[];
extern char iow_entry[], iow_second[];

asm(".text\n"
    "iob_entry:\n\t"
    "inb $" STR(
	    PORT_ALLOWED) ", %al\n"
			  "iob_second:\n\t"
			  "inb $" STR(
				  PORT_DENIED) ", %al\n"
					       "iob_end:\n\t"
					       "ud2\n"
					       "iow_entry:\n\t"
					       "inw $" STR(
						       PORT_W) ", %ax\n"
							       "iow_second:\n\t"
							       "inw $" STR(
								       PORT_W) "+1, %ax\n\t"
									       "ud2\n");

/* A CPL-3 task at entry with the map at base and this TSS limit. */
static void run_io(const char *entry, u16 base, u32 limit, u32 eflags,
		   struct fault *f)
{
	struct farptr p = {0, SEL(TSS_IO)};

	task3_init(&tss_io.t, entry, 4);
	tss_io.t.esp = STACK_TOP(4) - 2048;
	tss_io.t.cs = SEL_CODE32(3) | 3;
	tss_io.t.ss = tss_io.t.ds = tss_io.t.es = SEL_DATA(3) | 3;
	tss_io.t.fs = tss_io.t.gs = SEL_DATA(3) | 3;
	tss_io.t.eflags = eflags;
	tss_io.t.iomap_base = base;
	memset(tss_io.map, 0xff, sizeof(tss_io.map));
	tss_io.map[PORT_ALLOWED / 8] &= ~(1u << (PORT_ALLOWED % 8));
	tss_io.map[PORT_W / 8] &= ~(3u << (PORT_W % 8));
	gdt_set_tss(TSS_IO, &tss_io.t, limit, true);
	try_call(task3_ljmp, &p, f);
	task3_reset();
}

/* The outcome as one number: vector, error code, EIP. */
static u64 outcome(int vec, u32 err, const char *ip)
{
	return (u64)(u8)vec << 56 | (u64)(err & 0xffffff) << 32 | (ulong)ip;
}

static u64 seen(const struct fault *f)
{
	return (u64)(u8)f->vector << 56 |
	       (u64)(f->has_error ? f->error & 0xffffff : 0) << 32 | (u32)f->ip;
}

void check_io_edges(void)
{
	const u16 map = sizeof(struct tss32);
	const u32 last = map + PORT_ALLOWED / 8; /* the port's own byte */
	struct fault f;

	run_io(iob_entry, 0x1000, sizeof(tss_io) - 1, X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.base-beyond",
		  "an I/O map base beyond the TSS limit denies every port at "
		  "CPL 3 > IOPL: #GP(0) at the first IN",
		  outcome(GP_VECTOR, 0, iob_entry), seen(&f));
	run_io(iob_entry, 0x1000, sizeof(tss_io) - 1,
	       X86_EFLAGS_FIXED | X86_EFLAGS_IOPL, &f);
	report_eq("conformance.task.io.base-beyond-iopl3",
		  "with IOPL 3 from the new TSS the map is not consulted: "
		  "both INs run, #UD at the UD2",
		  outcome(UD_VECTOR, 0, iob_end), seen(&f));
	run_io(iob_entry, map, last, X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.last-byte",
		  "an allowed port whose bit is in the last byte inside the "
		  "limit still faults (the second byte read is beyond it)",
		  outcome(GP_VECTOR, 0, iob_entry), seen(&f));
	run_io(iob_entry, map, last + 1, X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.trailing-byte",
		  "one more byte inside the limit: the allowed port runs, the "
		  "denied one raises #GP(0)",
		  outcome(GP_VECTOR, 0, iob_second), seen(&f));
	run_io(iow_entry, map, sizeof(tss_io) - 1, X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.word",
		  "IN AX from port 0x86 (0x86, 0x87 allowed) runs; from 0x87 "
		  "(0x88 denied) raises #GP(0)",
		  outcome(GP_VECTOR, 0, iow_second), seen(&f));
	run_io(iow_entry, map, map + PORT_W / 8, X86_EFLAGS_FIXED, &f);
	report_eq("conformance.task.io.word-last-byte",
		  "IN AX from 0x86 with the map cut after its byte (the second "
		  "byte beyond the limit) raises #GP(0)",
		  outcome(GP_VECTOR, 0, iow_entry), seen(&f));
}

/* Before the commit: the fault is in the runtime's task, at the JMP. */
static void pre_commit(void)
{
	enum {
		JMP = 1,
		GATE_TO = 2,
		RPL3 = 4,
		TSS_NP = 8,
		BUSY = 16,
		SHORT = 32,
		GATE_NP = 64,
		GATE_MAIN = 128
	};
	static const struct {
		int how, vec;
		u16 err;
	} c[] = {
		{JMP | TSS_NP | BUSY, GP_VECTOR, SEL(TSS_BAD)},
		{RPL3 | TSS_NP, GP_VECTOR, SEL(TSS_BAD)},
		{TSS_NP | SHORT, NP_VECTOR, SEL(TSS_BAD)},
		{JMP | SHORT, TS_VECTOR, SEL(TSS_BAD)},
		{GATE_TO | GATE_NP | GATE_MAIN, NP_VECTOR, SEL(GATE)},
		{GATE_TO | RPL3 | GATE_NP, GP_VECTOR, SEL(GATE)},
		{GATE_TO | TSS_NP | BUSY, GP_VECTOR, SEL(TSS_BAD)},
		{GATE_TO | TSS_NP | SHORT, NP_VECTOR, SEL(TSS_BAD)},
	};
	char id[CHECK_ID_MAX];
	struct fault f;
	u32 types;

	for (int i = 0; i < (int)ARRAY_SIZE(c); i++) {
		int how = c[i].how;
		struct farptr p = {0, how & GATE_TO ? SEL(GATE) : SEL(TSS_BAD)};

		task3_init(&tss_bad, iob_end, 3);
		tss_bad.ldt = BAD_SEL; /* a third fault, after the commit */
		gdt_set_tss(TSS_BAD, &tss_bad,
			    how & SHORT ? TSS_LIMIT - 1 : TSS_LIMIT,
			    !(how & TSS_NP));
		if (how & BUSY)
			gdt[TSS_BAD] |= 2ull << 40;
		gdt_set_system(GATE, how & GATE_MAIN ? SEL_TSS : SEL(TSS_BAD),
			       0, TYPE_TASK_GATE, 0);
		if (how & GATE_NP)
			gdt[GATE] &= ~(1ull << 47);
		if (how & RPL3)
			p.sel |= 3;
		try_call(how & JMP ? task3_ljmp : task3_lcall, &p, &f);
		types = task3_types(TSS_BAD, SEL_TSS >> 3);
		task3_reset();
		report_equal(
			CHECK_ID(id,
				 "conformance.task.order."
				 "{busy-np,rpl-np,np-limit,limit-ldt,"
				 "gate-np-busy,gate-rpl-np,gate-busy-np,"
				 "gate-np-limit}",
				 "{1:JMP to a TSS both busy and not present,"
				 "CALL with RPL 3 to a DPL-0 TSS not present,"
				 "CALL to a TSS not present with limit 0x66,"
				 "JMP to a TSS with limit 0x66 and a bad LDT "
				 "selector,CALL through a task gate not "
				 "present to a busy TSS,CALL with RPL 3 "
				 "through a DPL-0 task gate not present,CALL "
				 "through a task gate to a TSS busy and not "
				 "present,CALL through a task gate to a TSS "
				 "not present with limit 0x66} raises "
				 "{1:#GP(TSS),#GP(TSS),#NP(TSS),#TS(TSS),"
				 "#NP(gate),#GP(gate),#GP(TSS),#NP(TSS)} "
				 "before the switch",
				 i),
			(u64)c[i].vec << 32 | c[i].err,
			(u64)(u8)f.vector << 32 |
				(f.has_error ? (u16)f.error : 0xffff));
		if (c[i].how == (JMP | SHORT))
			report_eq("conformance.task.order.limit-ldt-busy",
				  "after that #TS(TSS) no busy bit has "
				  "changed (types 0x9, 0xb)",
				  TYPE_TSS32 << 8 | TYPE_TSS32_BUSY, types);
	}
}

/* The handler task, entered through IDT task gates for #TS, #NP and
 * #SS; the busy one of its three descriptors tells which. */
volatile u32 h_err, h_vec;
volatile int h_runs;
extern char h_entry[];
void h_body(void);

asm(".text\n"
    "h_entry:\n\t"
    "popl h_err\n\t"
    "call h_body\n\t"
    "ljmp *main_task\n\t"
    "jmp h_entry\n");

void h_body(void)
{
	h_runs++;
	h_vec = gdt_type(TSS_H) == TYPE_TSS32_BUSY     ? TS_VECTOR
		: gdt_type(TSS_HNP) == TYPE_TSS32_BUSY ? NP_VECTOR
		: gdt_type(TSS_HSS) == TYPE_TSS32_BUSY ? SS_VECTOR
						       : 0xff;
}

enum field { F_LDT, F_SS, F_CS, F_DS, F_ES, F_GS };

static void set_field(struct tss32 *t, enum field which, u16 sel)
{
	switch (which) {
	case F_LDT:
		t->ldt = sel;
		break;
	case F_SS:
		t->ss = sel;
		break;
	case F_CS:
		t->cs = sel;
		break;
	case F_DS:
		t->ds = sel;
		break;
	case F_ES:
		t->es = sel;
		break;
	case F_GS:
		t->gs = sel;
		break;
	}
}

static const int gate_vec[] = {TS_VECTOR, NP_VECTOR, SS_VECTOR};
static const int gate_tss[] = {TSS_H, TSS_HNP, TSS_HSS};

/* JMP to tss_bad with two fields wrong; the handler task's findings. */
static void run_two(enum field a, u16 sa, enum field b, u16 sb)
{
	struct farptr p = {0, SEL(TSS_BAD)};
	struct fault f;

	task3_init(&tss_h, h_entry, 5);
	for (int g = 0; g < 3; g++)
		gdt_set_tss(gate_tss[g], &tss_h, TSS_LIMIT, true);
	task3_init(&tss_bad, iob_end, 3);
	set_field(&tss_bad, a, sa);
	set_field(&tss_bad, b, sb);
	gdt_set_tss(TSS_BAD, &tss_bad, TSS_LIMIT, true);
	h_runs = 0;
	h_err = 0xffffffff;
	h_vec = 0;
	try_call(task3_ljmp, &p, &f);
	task3_reset();
}

static void post_commit(void)
{
	static const struct {
		enum field a, b;
		u16 sa, sb;
		u8 va, vb;
	} c[] = {
		{F_LDT, F_SS, BAD_SEL, BAD_SEL2, TS_VECTOR, TS_VECTOR},
		{F_SS, F_CS, BAD_SEL, BAD_SEL2, TS_VECTOR, TS_VECTOR},
		{F_CS, F_DS, BAD_SEL, BAD_SEL2, TS_VECTOR, TS_VECTOR},
		{F_DS, F_GS, BAD_SEL, BAD_SEL2, TS_VECTOR, TS_VECTOR},
		{F_SS, F_ES, SEL(DS_NP), SEL(DS_NP2), SS_VECTOR, NP_VECTOR},
		{F_LDT, F_LDT, SEL(LDT_NP), SEL(LDT_NP), TS_VECTOR, TS_VECTOR},
		{F_LDT, F_LDT, SEL(LDT_NP) | 4, SEL(LDT_NP) | 4, TS_VECTOR,
		 TS_VECTOR},
	};
	volatile u64 *idt = idt_gates();
	char id[CHECK_ID_MAX];
	u64 saved[3];

	gdt[DS_NP] = gdt[KERNEL_DS >> 3] & ~(1ull << 47);
	gdt[DS_NP2] = gdt[DS_NP];
	gdt_set_system(LDT_NP, (ulong)empty_ldt, sizeof(empty_ldt) - 1,
		       TYPE_LDT, 0);
	gdt[LDT_NP] &= ~(1ull << 47);
	for (int g = 0; g < 3; g++) {
		saved[g] = idt[gate_vec[g]];
		idt[gate_vec[g]] = task_gate(SEL(gate_tss[g]), 0, true);
	}
	for (int i = 0; i < (int)ARRAY_SIZE(c); i++) {
		bool first, second;

		run_two(c[i].a, c[i].sa, c[i].b, c[i].sb);
		first = h_vec == c[i].va && h_err == c[i].sa;
		second = h_vec == c[i].vb && h_err == c[i].sb;
		report_result(
			CHECK_ID(id,
				 "conformance.task.order."
				 "{ldt-ss,ss-cs,cs-ds,ds-gs,ss-np-es-np,ldt-np,"
				 "ldt-ti}",
				 "{1:a bad LDT and a bad SS selector,a bad SS "
				 "and a bad CS selector,a bad CS and a bad DS "
				 "selector,a bad DS and a bad GS selector,SS "
				 "and ES naming a segment not present,an LDT "
				 "selector naming an LDT not present,an LDT "
				 "selector with TI = 1} in the new TSS "
				 "{1:raise #TS of one of the two (model "
				 "specific),raise #TS of one of the two (model "
				 "specific),raise #TS of one of the two (model "
				 "specific),raise #TS of one of the two (model "
				 "specific),raise #SS(SS) or #NP(ES) (model "
				 "specific),raises #TS(LDT),raises #TS(LDT)} "
				 "once",
				 i),
			h_runs == 1 && (first || second),
			"expected one handler run with %s(%#x)%s%s(%#x), saw "
			"%d "
			"runs with %s(%#x)",
			vector_name(c[i].va), c[i].sa,
			c[i].sa == c[i].sb ? "" : " or ",
			c[i].sa == c[i].sb ? "" : vector_name(c[i].vb),
			c[i].sa == c[i].sb ? c[i].sa : c[i].sb, h_runs,
			vector_name(h_vec), h_err);
		if (h_runs == 1 && c[i].sa != c[i].sb)
			report_diag("order %d: %s(%#x) won", i,
				    vector_name(h_vec), h_err);
		report_equal(
			CHECK_ID(
				id,
				"conformance.task.order-commit."
				"{ldt-ss,ss-cs,cs-ds,ds-gs,ss-np-es-np,ldt-np,"
				"ldt-ti}",
				"the fault for {1:a bad LDT and SS,a bad SS "
				"and "
				"CS,a bad CS and DS,a bad DS and GS,SS and ES "
				"not present,an LDT not present,an LDT "
				"selector with TI = 1} comes after the commit, "
				"in the new task: the handler's back link "
				"names it",
				i),
			SEL(TSS_BAD), tss_h.link);
	}
	for (int g = 0; g < 3; g++)
		idt[gate_vec[g]] = saved[g];
}

void check_order(void)
{
	pre_commit();
	post_commit();
}
