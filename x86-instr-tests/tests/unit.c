/* Unit tests of x86gen's pieces: flag masks (gen/masks.c), the lazy
 * cases (gen/cases.c) and the Capstone round trip (gen/capcheck.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "../gen/gen.h"

static struct form forms[2000];

static const struct form *find(int width, const char *name)
{
	int n = forms_build(width, forms, 2000);
	for (int i = 0; i < n; i++)
		if (!strcmp(forms[i].name, name))
			return &forms[i];
	cr_assert_fail("no form %s", name);
	return NULL;
}

Test(masks, shift_count_rules)
{
	const struct form *f = find(32, "shift.shl.r32-cl");
	struct xcase c = {0};
	const char *ref;

	c.in[XI_RCX] = 0x20; /* masked to 0: flags unaffected, all compared */
	cr_assert_eq(undef_flags(f, &c, &ref), 0);
	c.in[XI_RCX] = 1;
	cr_assert_eq(undef_flags(f, &c, &ref), XI_FL_AF);
	c.in[XI_RCX] = 3;
	cr_assert_eq(undef_flags(f, &c, &ref), XI_FL_AF | XI_FL_OF);
	cr_assert(ref && strstr(ref, "SDM"));
	f = find(32, "shift.shr.r8-cl");
	c.in[XI_RCX] = 9; /* count >= 8: CF undefined for SHR */
	cr_assert_eq(undef_flags(f, &c, &ref), XI_FL_AF | XI_FL_OF | XI_FL_CF);
	f = find(32, "shift.rol.r32-cl");
	c.in[XI_RCX] = 1;
	cr_assert_eq(undef_flags(f, &c, &ref), 0);
	c.in[XI_RCX] = 2;
	cr_assert_eq(undef_flags(f, &c, &ref), XI_FL_OF);
}

Test(masks, static_table)
{
	struct xcase c = {0};
	const char *ref;

	cr_assert_eq(undef_flags(find(64, "alu.adc.r64-r64"), &c, &ref), 0);
	cr_assert_eq(undef_flags(find(64, "alu.and.r32-r32"), &c, &ref),
		     XI_FL_AF);
	cr_assert_eq(undef_flags(find(64, "muldiv.div.r32"), &c, &ref),
		     XI_FL_STATUS);
	cr_assert_eq(undef_flags(find(32, "bcd.aaa"), &c, &ref),
		     XI_FL_OF | XI_FL_SF | XI_FL_ZF | XI_FL_PF);
	cr_assert_eq(undef_flags(find(64, "bit.popcnt.r32-r32"), &c, &ref), 0);
	for (const struct flag_rule *r = flag_rules; r->ref; r++)
		cr_assert(strstr(r->ref, "SDM"), "rule without a reference");
}

Test(masks, vendor_bsf_zero_source)
{
	const struct form *f = find(64, "bit.bsf.r32-r32");
	struct xcase c = {0};
	const char *ref;

	c.in[f->rs] = 0xffffffff00000000ul; /* 32-bit source is zero */
	cr_assert_eq(undef_regs(f, &c, &ref), 1u << f->rd);
	cr_assert(strstr(ref, "AMD"));
	c.in[f->rs] = 1;
	cr_assert_eq(undef_regs(f, &c, &ref), 0);
}

Test(capstone, round_trip)
{
	static const uint8_t adc[] = {0x11, 0xc8};
	char got[256];

	cr_assert_eq(cap_check(32, adc, 2, "adc eax, ecx", got, sizeof(got)), 0);
	/* a wrong operand order, a wrong width, a wrong length */
	cr_assert_eq(cap_check(32, adc, 2, "adc ecx, eax", got, sizeof(got)), -1);
	cr_assert_str_eq(got, "adc eax, ecx");
	cr_assert_eq(cap_check(64, adc, 2, "adc rax, rcx", got, sizeof(got)), -1);
	cr_assert_eq(cap_check(32, adc, 1, "adc eax, ecx", got, sizeof(got)), -1);
}

Test(capstone, every_form)
{
	char got[256];
	for (int w = 32; w <= 64; w += 32) {
		int n = forms_build(w, forms, 2000);
		cr_assert_gt(n, 300);
		for (int i = 0; i < n; i++)
			cr_expect_eq(cap_check(w, forms[i].code, forms[i].len,
					       forms[i].text, got, sizeof(got)),
				     0, "%s: '%s' vs '%s'", forms[i].name,
				     forms[i].text, got);
	}
}

/* ADD dword m, imm8 by the SDM's definitions (Vol. 1 3.4.3.1, Vol. 2A
 * ADD), independently of the CPU the generator checks the producers on. */
static unsigned add32_flags(uint32_t a, int8_t imm)
{
	uint32_t b = (uint32_t)(int32_t)imm, r = a + b;
	unsigned f = 0, ones = 0;

	for (int i = 0; i < 8; i++)
		ones += r >> i & 1;
	f |= r < a ? XI_FL_CF : 0;
	f |= ones % 2 == 0 ? XI_FL_PF : 0;
	f |= ((a ^ b ^ r) & 0x10) ? XI_FL_AF : 0;
	f |= r == 0 ? XI_FL_ZF : 0;
	f |= r >> 31 ? XI_FL_SF : 0;
	f |= (~(a ^ b) & (a ^ r)) >> 31 ? XI_FL_OF : 0;
	return f;
}

Test(lazy, producers_give_the_flags_they_state_and_see_each_both_ways)
{
	unsigned seen_set = 0, seen_clear = 0;

	for (int j = 0; j < NLAZY; j++) {
		struct xcase c;
		memset(&c, 0, sizeof(c));
		c.fin = XI_FL_DF | XI_FL_STATUS | 2;
		cases_lazy(&c, j);
		cr_assert_neq(c.lazy_imm, 0, "producer %d has no ADD", j);
		cr_assert_eq(c.fin & XI_FL_STATUS,
			     add32_flags(c.lazy_m, c.lazy_imm),
			     "producer %d: %#x + %d", j, c.lazy_m, c.lazy_imm);
		cr_assert_eq(c.fin & ~(unsigned long)XI_FL_STATUS,
			     XI_FL_DF | 2u, "producer %d drops DF", j);
		seen_set |= c.fin & XI_FL_STATUS;
		seen_clear |= ~c.fin & XI_FL_STATUS;
	}
	cr_assert_eq(seen_set, XI_FL_STATUS);
	cr_assert_eq(seen_clear, XI_FL_STATUS);
}

/* The lazy cases are drawn after the plain ones: adding them changes no
 * plain case, so no existing check id gets other inputs. */
Test(lazy, plain_cases_keep_their_inputs)
{
	static struct xcase a[16], b[16];
	const struct form *f = find(64, "misc.cmpxchg8b.m64");

	cases_make(f, a, 4, 0x1234);
	cases_make(f, b, 4 + NLAZY, 0x1234);
	cr_assert_eq(memcmp(a, b, 4 * sizeof(a[0])), 0);
}
