/* Unit tests of x86gen's pieces: flag masks (gen/masks.c) and the
 * Capstone round trip (gen/capcheck.c). */
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
