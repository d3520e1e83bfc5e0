/*
 * How many CPUs there are: the ACPI MADT's enabled processor entries
 * (ACPI 6.5 5.2.12, Processor Local APIC and Local x2APIC structures).
 * Firmware lists every processor there, so no AP is started blind: a
 * broadcast INIT-SIPI-SIPI with a bounded wait would also find them, but
 * pokes the APIC of targets that have none worth poking, and CPUID.1:
 * EBX[23:16] counts logical processors per package, not in the system.
 * The RSDP is looked for in the BIOS area 0xE0000-0xFFFFF, where SeaBIOS
 * and the Bochs BIOS put it (ACPI 6.5 5.2.5.1; the EBDA is not read: a
 * Multiboot loader may not keep the BDA's pointer to it).
 */
#include "smp.h"
#include "x86.h"

static u32 ids[SMP_MAX_CPUS];
static int ncpus;
static bool scanned;
static const char *reason;

static bool checksum_ok(const u8 *p, u32 len)
{
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

static const u8 *find_rsdp(void)
{
	for (ulong a = 0xe0000; a < 0x100000; a += 16) {
		const u8 *p = (const u8 *)a;

		if (!memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20))
			return p;
	}
	return NULL;
}

static const u8 *find_madt(const u8 *rsdp)
{
	u32 rsdt_addr, len;
	const u8 *rsdt;

	memcpy(&rsdt_addr, rsdp + 16, 4);
	rsdt = (const u8 *)(ulong)rsdt_addr;
	if (memcmp(rsdt, "RSDT", 4))
		return NULL;
	memcpy(&len, rsdt + 4, 4);
	for (u32 off = 36; off + 4 <= len; off += 4) {
		u32 t;

		memcpy(&t, rsdt + off, 4);
		if (!memcmp((const u8 *)(ulong)t, "APIC", 4))
			return (const u8 *)(ulong)t;
	}
	return NULL;
}

static void add(u32 id)
{
	if (ncpus < SMP_MAX_CPUS)
		ids[ncpus++] = id;
}

static void parse_madt(const u8 *madt)
{
	u32 len, bsp = lapic_id(), flags;

	memcpy(&len, madt + 4, 4);
	add(bsp);
	for (u32 off = 44; off + 2 <= len && madt[off + 1];
	     off += madt[off + 1]) {
		const u8 *e = madt + off;
		u32 id;

		if (e[0] == 0) { /* Processor Local APIC */
			id = e[3];
			memcpy(&flags, e + 4, 4);
		} else if (e[0] == 9) { /* Processor Local x2APIC */
			memcpy(&id, e + 4, 4);
			memcpy(&flags, e + 8, 4);
		} else {
			continue;
		}
		if ((flags & 1) && id != bsp && id < 0xff)
			add(id);
	}
}

/* refvmm names itself in CPUID leaf 0x40000000 (docs/refvmm.md). */
static bool on_refvmm(void)
{
	struct cpuid r;
	char sig[13];

	if (!(cpuid(1, 0).c & (1u << 31)))
		return false;
	r = cpuid(0x40000000, 0);
	memcpy(sig, &r.b, 4);
	memcpy(sig + 4, &r.c, 4);
	memcpy(sig + 8, &r.d, 4);
	sig[12] = 0;
	return !strcmp(sig, "Popek refvmm");
}

static void scan(void)
{
	const u8 *rsdp, *madt;

	if (scanned)
		return;
	scanned = true;
	if (on_refvmm()) {
		reason =
			"one CPU: refvmm runs one vCPU (its software modes are "
			"uniprocessor by design, its hw mode has one vCPU "
			"today; docs/refvmm.md)";
		return;
	}
	if (!(cpuid(1, 0).d & (1u << 9))) {
		reason = "one CPU: the target has no local APIC "
			 "(CPUID.1:EDX.APIC "
			 "= 0), so no application processor can be started";
		return;
	}
	rsdp = find_rsdp();
	madt = rsdp ? find_madt(rsdp) : NULL;
	if (!madt) {
		reason = "one CPU: the target has no application processor (no "
			 "ACPI MADT describes another)";
		return;
	}
	parse_madt(madt);
	if (ncpus < 2)
		reason =
			"one CPU: the target has no application processor (the "
			"ACPI MADT lists one enabled processor)";
}

const char *smp_uniprocessor_reason(void)
{
	scan();
	return reason;
}

int smp_cpus(void)
{
	scan();
	return reason ? 1 : ncpus;
}

u32 smp_apic_id(int cpu)
{
	return ids[cpu];
}

int smp_this_cpu(void)
{
	u32 id = lapic_id();

	for (int i = 0; i < ncpus; i++)
		if (ids[i] == id)
			return i;
	return -1;
}
