/*
 * From the Multiboot entry to probe_main(): descriptor tables, the page
 * pool, the TAP header, and the image's feature requirements.
 */
#include "desc.h"
#include "multiboot.h"
#include "paging.h"
#include "report.h"
#include "skip.h"
#include "x86.h"

void uart_init(void);
void page_pool_init(void);
void __noreturn report_finish(void);
void __noreturn report_skip_all(const char *reason);

extern u32 mb_magic, mb_info;

/* Where guest_exit() returns to when an ISO sequencer started us. */
u32 seq_return_addr;

/*
 * "popek.seq=ADDR" on the Multiboot command line: we were started by the
 * ISO sequencer (docs/iso.md) and go back to it instead of halting.
 * "popek.skip=N,..." lists checks a restarted image must not run (skip.h).
 */
static void parse_cmdline(void)
{
	static const char key[] = "popek.seq=";
	const u32 *mbi = (const u32 *)(ulong)mb_info;
	const char *p;
	u32 v = 0;

	if (mb_magic != MB_BOOT_MAGIC || !mbi || !(mbi[0] & (1u << 2)))
		return;
	skip_parse((const char *)(ulong)mbi[4]);
	for (p = (const char *)(ulong)mbi[4]; *p; p++)
		if (!memcmp(p, key, sizeof(key) - 1))
			break;
	if (!*p)
		return;
	p += sizeof(key) - 1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p && *p != ' '; p++) {
		unsigned d =
			*p >= '0' && *p <= '9'	 ? (unsigned)(*p - '0')
			: *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a' + 10)
			: *p >= 'A' && *p <= 'F' ? (unsigned)(*p - 'A' + 10)
						 : 16u;
		if (d > 15)
			return;
		v = v * 16 + d;
	}
	seq_return_addr = v;
}

/* POPEK_FEAT_* bit -> CPUID feature, in bit order. */
static const struct {
	u32 bit;
	struct x86_feature feat;
} required[] = {
	{POPEK_FEAT_LM, FEAT_LM},     {POPEK_FEAT_PAE, FEAT_PAE},
	{POPEK_FEAT_PSE, FEAT_PSE},   {POPEK_FEAT_NX, FEAT_NX},
	{POPEK_FEAT_PGE, FEAT_PGE},   {POPEK_FEAT_SMEP, FEAT_SMEP},
	{POPEK_FEAT_SMAP, FEAT_SMAP}, {POPEK_FEAT_UMIP, FEAT_UMIP},
	{POPEK_FEAT_SSE2, FEAT_SSE2}, {POPEK_FEAT_TSC, FEAT_TSC},
	{POPEK_FEAT_APIC, FEAT_APIC},
};

static void check_required_features(void)
{
	u32 need = popek_image_note.desc.features;
	char reason[64];

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!(need & required[i].bit) || this_cpu_has(required[i].feat))
			continue;
		snprintf(reason, sizeof(reason), "CPU lacks %s",
			 required[i].feat.name);
		report_skip_all(reason);
	}
}

void __noreturn guest_start(void)
{
	uart_init();
	parse_cmdline();
	desc_init();
	printf("TAP version 13\n");
	if (mb_magic != MB_BOOT_MAGIC)
		report_diag("loaded without Multiboot magic (EAX=%#x)",
			    mb_magic);
	page_pool_init();
	check_required_features();
	probe_main();
	report_finish();
}
