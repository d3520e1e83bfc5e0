/* The emulator unit tests' starting CPU (flat_cpu.h). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "flat_cpu.h"
#include "refvmm/sw/segments.h"
#include "refvmm/sw/shadow_desc.h"
#include "refvmm/x86_regs.h"

struct sw_cpu *flat_cpu(u8 **ram)
{
	struct sw_cpu *c = calloc(1, sizeof(*c));
	u64 *gdt;
	struct vcpu_seg s;

	*ram = calloc(1, 0x10000);
	cr_assert(c && *ram);
	gdt = (u64 *)(*ram + FLAT_GDT);
	c->ram = *ram;
	c->ram_size = 0x10000;
	c->gdt_base = FLAT_GDT;
	c->gdt_limit = 0x17f;
	c->cr0 = CR0_PE;
	gdt[16] = 0x00cf9b000000ffffull;
	gdt[17] = 0x00cf93000000ffffull;
	for (int r = 0; r < SW_NSREGS; r++) {
		desc__decode(gdt[r == SW_CS ? 16 : 17],
			     r == SW_CS ? 0x80 : 0x88, &s);
		cr_assert_eq(sw_set_sreg(c, r, &s), 0);
	}
	c->eflags = 0x2;
	c->gpr[SW_ESP] = FLAT_STACK;
	return c;
}

void flat_cpu_free(struct sw_cpu *c)
{
	free(c->ram);
	free(c);
}
