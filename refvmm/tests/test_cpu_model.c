/*
 * The virtual CPU (refvmm/core/cpu_model.c) built from real host CPUID
 * dumps (tests/cpuid/: an AMD Zen 3, a Zen 4 and an Intel Ice Lake,
 * copied from public dumps) and from this host. Expected values are the
 * dump's registers filtered through the feature lists of docs/refvmm.md
 * ("The virtual CPU"), written out here bit by bit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/cpu_model.h"
#include "refvmm/x86_regs.h"

static struct host_cpu host;
static struct cpu_model model;

static void load(const char *name)
{
	char path[512], err[160], *text;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s.txt", REFVMM_TEST_CPUID_DIR, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	cr_assert_eq(host_cpu__parse(&host, text, err, sizeof(err)), 0,
		     "%s: %s", name, err);
	free(text);
	cpu_model__build(&model, &host);
}

static struct cpuid_regs q(u32 leaf, u32 sub)
{
	return cpu_model__cpuid(&model, leaf, sub);
}

static void expect_regs(u32 leaf, u32 sub, u32 a, u32 b, u32 c, u32 d)
{
	struct cpuid_regs v = q(leaf, sub);

	cr_expect_eq(v.r[CPUID_EAX], a, "leaf %#x.%u EAX %#x, want %#x", leaf,
		     sub, v.r[CPUID_EAX], a);
	cr_expect_eq(v.r[CPUID_EBX], b, "leaf %#x.%u EBX %#x, want %#x", leaf,
		     sub, v.r[CPUID_EBX], b);
	cr_expect_eq(v.r[CPUID_ECX], c, "leaf %#x.%u ECX %#x, want %#x", leaf,
		     sub, v.r[CPUID_ECX], c);
	cr_expect_eq(v.r[CPUID_EDX], d, "leaf %#x.%u EDX %#x, want %#x", leaf,
		     sub, v.r[CPUID_EDX], d);
}

/* What every model hides, whatever the host has. */
static void expect_hidden(void)
{
	const struct cpuid_feature hidden[] = {
		FEAT_VME,
		FEAT_MCE,
		FEAT_VMX,
		FEAT_PCID,
		FEAT_XSAVE,
		FEAT_OSXSAVE,
		FEAT_AVX,
		FEAT_FSGSBASE,
		FEAT_AVX512F,
		FEAT_PKU,
		FEAT_RDPID,
		FEAT_MOVDIRI,
		FEAT_LM,
		CPUID_FEATURE(1, 0, CPUID_EDX, 12, "mtrr"),
		CPUID_FEATURE(1, 0, CPUID_ECX, 21, "x2apic"),
		CPUID_FEATURE(7, 0, CPUID_EBX, 5, "avx2"),
		CPUID_FEATURE(0x80000001, 0, CPUID_EDX, 11, "syscall"),
	};

	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		cr_expect(!cpu_model__has(&model, hidden[i]), "%s shown",
			  hidden[i].name);
	cr_expect(cpu_model__has(&model, FEAT_HYPERVISOR));
	/* the local APIC device (devices/lapic.c) and its base MSR */
	cr_expect(cpu_model__has(&model, FEAT_APIC));
	cr_expect(cpu_model__has_msr(&model, MSR_IA32_APIC_BASE));
}

static void expect_common(const char *vendor, u32 max_basic_host)
{
	struct cpuid_regs v0 = q(0, 0), hv = q(0x40000000, 0);
	char name[13] = {0};

	memcpy(name, &v0.r[CPUID_EBX], 4);
	memcpy(name + 4, &v0.r[CPUID_EDX], 4);
	memcpy(name + 8, &v0.r[CPUID_ECX], 4);
	cr_expect_str_eq(name, vendor);
	cr_expect_eq(host.max_basic, max_basic_host);
	cr_expect_eq(v0.r[CPUID_EAX], 7, "max basic leaf %#x", v0.r[CPUID_EAX]);
	cr_expect_eq(q(0x80000000, 0).r[CPUID_EAX], 0x80000008);
	cr_expect_eq(hv.r[CPUID_EAX], 0x40000000);
	cr_expect(!memcmp(&hv.r[CPUID_EBX], "Pope", 4));
	cr_expect(!memcmp(&hv.r[CPUID_ECX], "k re", 4));
	cr_expect(!memcmp(&hv.r[CPUID_EDX], "fvmm", 4));
	/* TSD DE PSE PAE PGE PCE OSFXSR OSXMMEXCPT UMIP SMEP SMAP */
	cr_expect_eq(model.cr4_valid, 0x300fbcu, "CR4 valid %#x",
		     model.cr4_valid);
	/* AMD: EFER.SCE exists only with SYSCALL, which the model hides */
	cr_expect_eq(model.efer_valid, strcmp(vendor, "AuthenticAMD")
					       ? EFER_SCE | EFER_NXE
					       : EFER_NXE);
	expect_hidden();
}

Test(cpu_model, zen3_epyc_7763)
{
	load("zen3");
	expect_common("AuthenticAMD", 0x10);
	/* leaf 1: signature; CLFLUSH 8; features as listed */
	expect_regs(1, 0, 0x00a00f11, 0x00000800, 0xc2d82203, 0x078bab7d);
	/* BMI1 SMEP BMI2 ERMS RDSEED ADX SMAP CLFLUSHOPT CLWB SHA; UMIP */
	expect_regs(7, 0, 0, 0x219c0388, 0x00000004, 0);
	expect_regs(0x80000001, 0, 0x00a00f11, 0, 0x000001e1, 0x09d3a37d);
	expect_regs(0x80000008, 0, 0x3030, 0, 0, 0);
	cr_expect_eq(model.maxphyaddr, 48);
	cr_expect(cpu_model__has(&model, FEAT_RDTSCP));
	/* the world switch's XSAVE area: CPUID.0xD.0 EBX and ECX */
	cr_expect_eq(host.xsave_size, 0x340);
	cr_expect_eq(host.xsave_max_size, 0x988);
	/* AMD: beyond the model's ranges, zeros (APM Vol. 3 CPUID) */
	expect_regs(0x10, 0, 0, 0, 0, 0);
	expect_regs(0x40000001, 0, 0, 0, 0, 0);
	expect_regs(0x80000020, 0, 0, 0, 0, 0);
	cr_expect(cpu_model__has_msr(&model, MSR_AMD_HWCR));
	cr_expect(!cpu_model__has_msr(&model, MSR_IA32_MISC_ENABLE));
	cr_expect(cpu_model__has_msr(&model, MSR_TSC_AUX));
	cr_expect(cpu_model__has_msr(&model, MSR_BIOS_SIGN_ID));
	cr_expect(!cpu_model__has_msr(&model, 0x3b)); /* IA32_TSC_ADJUST */
}

Test(cpu_model, zen4_epyc_9654)
{
	load("zen4");
	expect_common("AuthenticAMD", 0x10);
	cr_expect(cpuid_table__has(&host.t, FEAT_AVX512F));
	expect_regs(1, 0, 0x00a10f11, 0x00000800, 0xc2d82203, 0x078bab7d);
	/* leaf 7's last subleaf (host: 1) is 0 in the model; GFNI kept */
	expect_regs(7, 0, 0, 0x219c0388, 0x00000104, 0);
	expect_regs(0x80000001, 0, 0x00a10f11, 0, 0x000001e1, 0x09d3a37d);
	expect_regs(0x80000008, 0, 0x3934, 0, 0, 0);
	cr_expect_eq(model.maxphyaddr, 52);
	cr_expect_eq(host.xsave_size, 0x980);
	cr_expect_eq(host.xsave_max_size, 0x988);
	expect_regs(0x80000020, 1, 0, 0, 0, 0);
}

Test(cpu_model, icelake_xeon_8351n)
{
	const struct cpuid_regs *h;
	struct cpuid_regs v;
	u32 s;

	load("icelake");
	expect_common("GenuineIntel", 0x1b);
	expect_regs(1, 0, 0x000606a6, 0x00000800, 0xc2d82203, 0x078bab7d);
	expect_regs(7, 0, 0, 0x219c23c8, 0x00000104, 0);
	expect_regs(0x80000001, 0, 0, 0, 0x00000121, 0x08100000);
	expect_regs(0x80000008, 0, 0x392e, 0, 0, 0);
	cr_expect_eq(model.maxphyaddr, 46);
	cr_expect_eq(host.xsave_size, 0xa80);
	cr_expect_eq(host.xsave_max_size, 0xa88);
	/* Intel: beyond the ranges, the highest basic leaf (SDM Vol. 2A
	 * CPUID) -- leaf 7 with the same subleaf */
	v = q(7, 0);
	expect_regs(0x10, 0, v.r[0], v.r[1], v.r[2], v.r[3]);
	expect_regs(0x40000005, 0, v.r[0], v.r[1], v.r[2], v.r[3]);
	expect_regs(0x80000009, 0, v.r[0], v.r[1], v.r[2], v.r[3]);
	/* leaf 4: every host subleaf, one core and one thread each */
	for (s = 0; (h = cpuid_table__find(&host.t, 4, s)); s++)
		expect_regs(4, s, h->r[0] & 0x3fff, h->r[1], h->r[2], h->r[3]);
	cr_expect_eq(s, 4, "leaf 4 subleaves in the dump: %u", s);
	cr_expect(cpu_model__has_msr(&model, MSR_IA32_MISC_ENABLE));
	cr_expect(!cpu_model__has_msr(&model, MSR_AMD_HWCR));
	cr_expect(cpu_model__has_msr(&model, MSR_BIOS_SIGN_ID));
}

Test(cpu_model, parse_errors_are_one_line)
{
	char err[160];

	cr_expect_eq(host_cpu__parse(&host, "0x0 0x0 0x1 0x2 0x3\n", err,
				     sizeof(err)),
		     -1);
	cr_expect_str_eq(err, "line 1: expected 'leaf subleaf eax ebx ecx "
			      "edx' in hex");
	cr_expect_eq(host_cpu__parse(&host, "# only a comment\n0x1 0 0 0 0 0\n",
				     err, sizeof(err)),
		     -1);
	cr_expect_str_eq(err, "no leaf 0");
}

/* This host, read by the one CPUID in refvmm: its vendor is the one
 * /proc/cpuinfo names, and the model built from it is consistent. */
Test(cpu_model, this_host)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], vendor[64] = "";

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "vendor_id : %63s", vendor) == 1)
			break;
	fclose(f);
	host_cpu__read(&host);
	cr_expect_str_eq(host.vendor_name, vendor);
	cr_expect_geq(host.max_basic, 1);
	cpu_model__build(&model, &host);
	cr_expect(cpu_model__has(&model, FEAT_HYPERVISOR));
	cr_expect(cpu_model__has(&model, FEAT_PAE));
	expect_hidden();
	cr_expect_eq(host.xsave_size >= 512, true);
	cr_expect_geq(host.xsave_max_size, host.xsave_size);
}
