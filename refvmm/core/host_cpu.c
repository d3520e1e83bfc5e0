/*
 * Reading the host's CPUID once (host_cpu.h). Which subleaves exist is
 * itself in CPUID (SDM Vol. 2A, CPUID): the table below says, per
 * indexed leaf, how the last subleaf is found.
 */
#include <stdlib.h>
#include <string.h>

#include "refvmm/host_cpu.h"

enum sub_rule {
	SUB_EAX_MAX, /* subleaf 0's EAX is the highest subleaf */
	SUB_TYPE_0,  /* until EAX[4:0] (cache type) is 0 */
	SUB_LEVEL_0, /* until ECX[15:8] (topology level type) is 0 */
	SUB_XCR0,    /* subleaves 0, 1 and each bit of the XCR0/XSS masks */
	SUB_FIXED,   /* subleaves 0..n */
};

static const struct {
	u32 leaf;
	enum sub_rule rule;
	u32 n;
} sub_rules[] = {
	{4, SUB_TYPE_0, 0},	     {7, SUB_EAX_MAX, 0},
	{0xb, SUB_LEVEL_0, 0},	     {0xd, SUB_XCR0, 0},
	{0xf, SUB_FIXED, 3},	     {0x10, SUB_FIXED, 3},
	{0x12, SUB_FIXED, 3},	     {0x14, SUB_EAX_MAX, 0},
	{0x17, SUB_EAX_MAX, 0},	     {0x18, SUB_EAX_MAX, 0},
	{0x1d, SUB_EAX_MAX, 0},	     {0x1e, SUB_FIXED, 0},
	{0x1f, SUB_LEVEL_0, 0},	     {0x20, SUB_EAX_MAX, 0},
	{0x23, SUB_EAX_MAX, 0},	     {0x24, SUB_EAX_MAX, 0},
	{0x8000001d, SUB_TYPE_0, 0}, {0x80000020, SUB_FIXED, 3},
	{0x80000026, SUB_FIXED, 3},
};

/* The one CPUID instruction in refvmm (see host_cpu.h). */
static __attribute__((noinline)) void host_cpuid(u32 leaf, u32 subleaf,
						 struct cpuid_regs *v)
{
	asm volatile("cpuid"
		     : "=a"(v->r[CPUID_EAX]), "=b"(v->r[CPUID_EBX]),
		       "=c"(v->r[CPUID_ECX]), "=d"(v->r[CPUID_EDX])
		     : "a"(leaf), "c"(subleaf));
}

/* Reads (leaf, sub), stores it, returns it. */
static struct cpuid_regs read_put(struct host_cpu *h, u32 leaf, u32 sub)
{
	struct cpuid_regs v;

	host_cpuid(leaf, sub, &v);
	cpuid_table__put(&h->t, leaf, sub, &v);
	return v;
}

static void read_subleaves(struct host_cpu *h, u32 leaf, enum sub_rule rule,
			   u32 n)
{
	struct cpuid_regs v = read_put(h, leaf, 0);
	u64 mask;

	switch (rule) {
	case SUB_EAX_MAX:
		for (u32 s = 1; s <= v.r[CPUID_EAX] && s < 32; s++)
			read_put(h, leaf, s);
		break;
	case SUB_TYPE_0:
		for (u32 s = 1; (v.r[CPUID_EAX] & 0x1f) && s < 32; s++)
			v = read_put(h, leaf, s);
		break;
	case SUB_LEVEL_0:
		for (u32 s = 1; (v.r[CPUID_ECX] & 0xff00) && s < 32; s++)
			v = read_put(h, leaf, s);
		break;
	case SUB_XCR0:
		mask = (u64)v.r[CPUID_EDX] << 32 | v.r[CPUID_EAX];
		v = read_put(h, leaf, 1);
		mask |= (u64)v.r[CPUID_EDX] << 32 | v.r[CPUID_ECX];
		for (u32 s = 2; s < 64; s++)
			if (mask >> s & 1)
				read_put(h, leaf, s);
		break;
	case SUB_FIXED:
		for (u32 s = 1; s <= n; s++)
			read_put(h, leaf, s);
		break;
	}
}

static void read_range(struct host_cpu *h, u32 base, u32 cap)
{
	struct cpuid_regs v = read_put(h, base, 0);
	u32 max = v.r[CPUID_EAX];

	if (max < base || max > base + cap)
		return;
	for (u32 leaf = base + 1; leaf <= max; leaf++) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(sub_rules); i++)
			if (sub_rules[i].leaf == leaf)
				break;
		if (i < ARRAY_SIZE(sub_rules))
			read_subleaves(h, leaf, sub_rules[i].rule,
				       sub_rules[i].n);
		else
			read_put(h, leaf, 0);
	}
}

void host_cpu__read(struct host_cpu *h)
{
	memset(h, 0, sizeof(*h));
	read_range(h, 0, 0x3f);
	read_range(h, 0x80000000u, 0x3f);
	host_cpu__derive(h);
}

static u32 reg_of(const struct host_cpu *h, u32 leaf, u32 sub, int reg)
{
	const struct cpuid_regs *v = cpuid_table__find(&h->t, leaf, sub);

	return v ? v->r[reg] : 0;
}

void host_cpu__derive(struct host_cpu *h)
{
	const struct cpuid_regs *v0 = cpuid_table__find(&h->t, 0, 0);

	memset(h->vendor_name, 0, sizeof(h->vendor_name));
	if (v0) {
		memcpy(h->vendor_name, &v0->r[CPUID_EBX], 4);
		memcpy(h->vendor_name + 4, &v0->r[CPUID_EDX], 4);
		memcpy(h->vendor_name + 8, &v0->r[CPUID_ECX], 4);
	}
	h->vendor = !strcmp(h->vendor_name, "GenuineIntel")   ? VENDOR_INTEL
		    : !strcmp(h->vendor_name, "AuthenticAMD") ? VENDOR_AMD
							      : VENDOR_OTHER;
	h->max_basic = reg_of(h, 0, 0, CPUID_EAX);
	h->max_ext = reg_of(h, 0x80000000u, 0, CPUID_EAX);
	h->maxphyaddr = 36;
	if (h->max_ext >= 0x80000008u)
		h->maxphyaddr = (u8)reg_of(h, 0x80000008u, 0, CPUID_EAX);
	h->osxsave = cpuid_table__has(&h->t, FEAT_OSXSAVE);
	h->xsave_size = h->xsave_max_size = 512;
	if (h->osxsave && h->max_basic >= 0xd) {
		if (reg_of(h, 0xd, 0, CPUID_EBX) > 512)
			h->xsave_size = reg_of(h, 0xd, 0, CPUID_EBX);
		if (reg_of(h, 0xd, 0, CPUID_ECX) > h->xsave_size)
			h->xsave_max_size = reg_of(h, 0xd, 0, CPUID_ECX);
		else
			h->xsave_max_size = h->xsave_size;
		h->xsaveopt = reg_of(h, 0xd, 1, CPUID_EAX) & 1;
		h->xinuse = (reg_of(h, 0xd, 1, CPUID_EAX) >> 2) & 1;
	}
	if (h->max_basic >= 7)
		h->ospke = (reg_of(h, 7, 0, CPUID_ECX) >> 4) & 1;
}

int host_cpu__parse(struct host_cpu *h, const char *text, char *err,
		    size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (cpuid_table__parse(&h->t, text, err, errlen) < 0)
		return -1;
	host_cpu__derive(h);
	return 0;
}

const struct host_cpu *host_cpu__get(void)
{
	static struct host_cpu *host;

	if (!host) {
		host = malloc(sizeof(*host));
		if (!host)
			abort();
		host_cpu__read(host);
	}
	return host;
}
