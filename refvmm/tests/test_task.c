/*
 * Hardware task switches (emu/task_switch.c) against a guest GDT and two
 * TSSes in RAM: what JMP, CALL through a task gate and IRET load, save
 * and mark busy, the faults before the commit point (nothing changed)
 * and a fault after it (raised in the new task).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../emu/task_switch.h"
#include "flat_cpu.h"
#include "refvmm/sw/cpu.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/x86_regs.h"

#define GDT	FLAT_GDT
#define OLD_TSS 0x2000
#define NEW_TSS 0x3000
#define OLD_SEL 0xe0 /* GDT index 28 */
#define NEW_SEL 0xf0 /* index 30 */
#define GATE	0xf8 /* index 31: task gate to NEW_SEL */

static u8 *ram;

/* A 32-bit TSS descriptor: base, limit, type (9 available, 0xb busy). */
static u64 tss_desc(u32 base, u32 limit, u8 type)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) |
	       ((u64)(0x80 | type) << 40) | ((u64)(base >> 24) << 56);
}

static u64 *gdt(int i)
{
	return (u64 *)(ram + GDT) + i;
}

static u8 type_at(int i)
{
	return (*gdt(i) >> 40) & 0xf;
}

static u32 *tss32(u32 base, u32 off)
{
	return (u32 *)(ram + base + off);
}

static u16 *tss16(u32 base, u32 off)
{
	return (u16 *)(ram + base + off);
}

/* flat_cpu's CPU in the old task, TR = OLD_SEL. */
static struct sw_cpu *task_cpu(void)
{
	struct sw_cpu *c = flat_cpu(&ram);
	int r;

	*gdt(28) = tss_desc(OLD_TSS, 0x67, 0xb);
	*gdt(30) = tss_desc(NEW_TSS, 0x67, 0x9);
	*gdt(31) = (u64)NEW_SEL << 16 | (u64)0x85 << 40;
	desc__decode(*gdt(28), OLD_SEL, &c->tr);
	c->gpr[SW_EAX] = 0xaaaa0000;
	/* The new task: EIP 0x1234, flags CF..OF, its own registers. */
	*tss32(NEW_TSS, 0x00) = 0x5a58;
	*tss32(NEW_TSS, 0x20) = 0x1234;
	*tss32(NEW_TSS, 0x24) = 0x8d7;
	for (r = 0; r < 8; r++)
		*tss32(NEW_TSS, 0x28 + 4 * r) = 0x11110000u + (u32)r;
	for (r = 0; r < SW_NSREGS; r++)
		*tss16(NEW_TSS, 0x48 + 4 * r) = r == SW_CS ? 0x80 : 0x88;
	return c;
}

static int jmp_to(struct sw_cpu *c, u16 sel, bool call)
{
	struct vcpu_seg d;

	cr_assert_eq(sw_desc_fetch(c, sel, &d, NULL), 0);
	return task_switch__far(c, call, sel, &d, 0x5555);
}

Test(task_switch, jmp_loads_the_new_task_and_saves_the_old)
{
	struct sw_cpu *c = task_cpu();

	cr_assert_eq(jmp_to(c, NEW_SEL, false), 0);
	cr_assert_eq(c->eip, 0x1234);
	cr_assert_eq(c->gpr[SW_EAX], 0x11110000);
	cr_assert_eq(c->gpr[SW_EDI], 0x11110007);
	cr_assert_eq(c->eflags, 0x8d7, "NT as the TSS has it");
	cr_assert_eq(c->tr.selector, NEW_SEL);
	cr_assert_eq(c->tr.type, 0xb);
	cr_assert(c->cr0 & CR0_TS);
	cr_assert_eq(type_at(30), 0xb, "new TSS busy");
	cr_assert_eq(type_at(28), 0x9, "JMP clears the old one");
	cr_assert_eq(*tss32(OLD_TSS, 0x20), 0x5555, "old EIP");
	cr_assert_eq(*tss32(OLD_TSS, 0x28), 0xaaaa0000, "old EAX");
	cr_assert_eq(*tss32(OLD_TSS, 0x38), 0x8000, "old ESP");
	cr_assert_eq(*tss16(OLD_TSS, 0x4c), 0x80, "old CS");
	cr_assert_eq(*tss16(NEW_TSS, 0x00), 0x5a58, "JMP writes no link");
	cr_assert_eq(c->seg[SW_DS].selector, 0x88);
	cr_assert_not(c->seg[SW_DS].unusable);
	flat_cpu_free(c);
}

Test(task_switch, call_through_a_gate_nests_and_iret_returns)
{
	struct sw_cpu *c = task_cpu();

	cr_assert_eq(jmp_to(c, GATE, true), 0);
	cr_assert_eq(c->eflags & EFL_NT, EFL_NT);
	cr_assert_eq(*tss16(NEW_TSS, 0x00), OLD_SEL, "back link");
	cr_assert_eq(type_at(28), 0xb, "CALL keeps the old TSS busy");
	cr_assert_eq(type_at(30), 0xb);
	cr_assert_eq(task_switch__iret(c, 0x7777), 0);
	cr_assert_eq(c->eip, 0x5555);
	cr_assert_eq(c->gpr[SW_EAX], 0xaaaa0000);
	cr_assert_eq(c->tr.selector, OLD_SEL);
	cr_assert_eq(c->eflags & EFL_NT, 0);
	cr_assert_eq(type_at(30), 0x9, "IRET clears the returning task's");
	cr_assert_eq(type_at(28), 0xb);
	cr_assert_eq(*tss32(NEW_TSS, 0x20), 0x7777);
	cr_assert_eq(*tss32(NEW_TSS, 0x24) & EFL_NT, 0, "saved NT cleared");
	flat_cpu_free(c);
}

Test(task_switch, faults_before_the_commit_change_nothing)
{
	struct sw_cpu *c = task_cpu();

	cr_assert_eq(jmp_to(c, OLD_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 13, "busy: #GP");
	cr_assert_eq(c->exc_error, OLD_SEL);
	*gdt(30) = tss_desc(NEW_TSS, 0x66, 0x9);
	cr_assert_eq(jmp_to(c, NEW_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 10, "short limit: #TS");
	cr_assert_eq(c->exc_error, NEW_SEL);
	*gdt(30) = tss_desc(NEW_TSS, 0x67, 0x9) & ~(1ull << 47);
	cr_assert_eq(jmp_to(c, NEW_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 11, "not present: #NP");
	*gdt(30) = tss_desc(NEW_TSS, 0x2a, 0x1);
	cr_assert_eq(jmp_to(c, NEW_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 10, "16-bit TSS shorter than 44: #TS");
	*gdt(30) = tss_desc(NEW_TSS, 0x67, 0x9);
	cr_assert_eq(jmp_to(c, NEW_SEL | 3, false), -1);
	cr_assert_eq(c->exc_vector, 13, "RPL 3 > DPL 0");
	cr_assert_eq(c->exc_error, NEW_SEL);
	cr_assert_not(c->exc_new_task);
	cr_assert_eq(c->tr.selector, OLD_SEL);
	cr_assert_eq(c->eip, 0);
	cr_assert_eq(type_at(28), 0xb);
	cr_assert_eq(type_at(30), 0x9);
	flat_cpu_free(c);
}

Test(task_switch, a_bad_selector_faults_in_the_new_task)
{
	struct sw_cpu *c = task_cpu();

	*tss16(NEW_TSS, 0x48 + 4 * SW_GS) = 0x1f8; /* past the GDT */
	cr_assert_eq(jmp_to(c, NEW_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 10);
	cr_assert_eq(c->exc_error, 0x1f8);
	cr_assert(c->exc_new_task, "returns to the new task's EIP");
	cr_assert_eq(c->eip, 0x1234);
	cr_assert_eq(c->tr.selector, NEW_SEL);
	cr_assert_eq(c->seg[SW_GS].selector, 0x1f8);
	cr_assert(c->seg[SW_GS].unusable);
	flat_cpu_free(c);
}

Test(task_switch, the_t_flag_traps_at_the_first_instruction)
{
	struct sw_cpu *c = task_cpu();

	*tss16(NEW_TSS, 0x64) = 1;
	c->dr[7] = 0x403; /* L0, G0 */
	cr_assert_eq(jmp_to(c, NEW_SEL, false), -1);
	cr_assert_eq(c->exc_vector, 1);
	cr_assert(c->exc_new_task);
	cr_assert_eq(c->dr[6] & 0x8000, 0x8000, "DR6.BT");
	cr_assert_eq(c->dr[7], 0x402, "L0 cleared, G0 kept");
	flat_cpu_free(c);
}

/* A 16-bit TSS (8.6, Figure 8-10): 16-bit fields, ES CS SS DS only, no
 * CR3 and no T flag; a switch out of it saves the low halves. */
Test(task_switch, a_16_bit_tss_loads_and_saves_16_bit_fields)
{
	struct sw_cpu *c = task_cpu();
	int r;

	memset(ram + NEW_TSS, 0, 0x68);
	*tss32(NEW_TSS, 0x1c) = 0xbad000; /* a 32-bit TSS's CR3: BP, SI */
	*tss16(NEW_TSS, 0x0e) = 0x1234;
	*tss16(NEW_TSS, 0x10) = 0x8d7;
	for (r = 0; r < 8; r++)
		*tss16(NEW_TSS, 0x12 + 2 * r) = (u16)(0x1110 + r);
	*tss16(NEW_TSS, 0x22) = 0x88; /* ES */
	*tss16(NEW_TSS, 0x24) = 0x80; /* CS */
	*tss16(NEW_TSS, 0x26) = 0x88; /* SS */
	*tss16(NEW_TSS, 0x28) = 0x88; /* DS */
	*tss16(NEW_TSS, 0x64) = 1;    /* and its T flag */
	*gdt(30) = tss_desc(NEW_TSS, 0x2b, 0x1);
	c->cr0 |= CR0_PG;
	c->cr3 = 0x5000;
	cr_assert_eq(jmp_to(c, GATE, true), 0);
	cr_assert_eq(c->eip, 0x1234);
	cr_assert_eq(c->gpr[SW_EAX] & 0xffff, 0x1110);
	cr_assert_eq(c->gpr[SW_EDI] & 0xffff, 0x1117);
	cr_assert_eq(c->eflags & 0xffff, 0x8d7 | EFL_NT);
	cr_assert_eq(c->cr3, 0x5000, "no CR3 in a 16-bit TSS");
	cr_assert_eq(c->seg[SW_FS].selector, 0, "FS null");
	cr_assert_eq(type_at(30), 0x3, "busy 16-bit TSS");
	cr_assert_eq(*tss16(NEW_TSS, 0x00), OLD_SEL, "back link");
	c->gpr[SW_EAX] = 0xdeadbeef;
	c->eflags |= EFL_DF;
	cr_assert_eq(task_switch__iret(c, 0x12345678), 0);
	cr_assert_eq(c->tr.selector, OLD_SEL);
	cr_assert_eq(type_at(30), 0x1);
	cr_assert_eq(*tss16(NEW_TSS, 0x0e), 0x5678, "IP: low half");
	cr_assert_eq(*tss16(NEW_TSS, 0x10), (0x8d7 | EFL_DF) & 0xffff,
		     "FLAGS with NT cleared");
	cr_assert_eq(*tss16(NEW_TSS, 0x12), 0xbeef, "AX: low half");
	cr_assert_eq(*tss16(NEW_TSS, 0x14), 0x1111, "CX");
	cr_assert_eq(*tss16(NEW_TSS, 0x24), 0x80, "CS");
	cr_assert_eq(*tss16(NEW_TSS, 0x2c), 0, "nothing past 44 bytes");
	flat_cpu_free(c);
}
