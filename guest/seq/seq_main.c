/*
 * The sequencer's run: stage the modules, then for each image print its
 * marker, load it, hand it the CPU with a Multiboot command line naming
 * the way back (popek.seq=ADDR), put the CPU back in the sequencer's
 * state when it returns, and at the end print one summary and end the
 * machine the way the target understands. The serial grammar is in
 * docs/iso.md.
 */
#include "../multiboot.h"
#include "seq.h"
#include "x86.h"

extern u32 seq_mb_magic, seq_mb_info;
/* What the image's runtime counted, handed back with its exit code. */
extern u32 seq_ret_checks, seq_ret_failures;
extern char __seq_start[];

#define MBI_HAS_MEM	    (1u << 0)
#define MBI_HAS_CMDLINE	    (1u << 2)
#define DEBUG_EXIT_PORT	    0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

static struct seq_image images[SEQ_MAX_IMAGES];
static u32 image_mbi[8];
static char image_cmdline[64];
static u64 idt[256];
static ulong boot_cr0, boot_cr4;
static u64 boot_efer;
static bool has_efer;

static void cpuid4(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	struct cpuid r = cpuid(leaf, 0);

	*a = r.a, *b = r.b, *c = r.c, *d = r.d;
}

/* Vendor, family and model as Linux's /proc/cpuinfo shows them, so the
 * report's host class for an ingested capture reads like a live one. */
static void print_cpu(void)
{
	u32 a, b, c, d, vendor[4] = {0}, family, model;

	cpuid4(0, &a, &vendor[0], &vendor[2], &vendor[1]);
	cpuid4(1, &a, &b, &c, &d);
	family = (a >> 8) & 0xf;
	model = (a >> 4) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family >= 6)
		model |= ((a >> 16) & 0xf) << 4;
	seq_print("popek-seq: cpu %s %u %u\n", (const char *)vendor, family,
		  model);
	cpuid4(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		cpuid4(0x80000001, &a, &b, &c, &d);
		/* EFER exists with SYSCALL, NX or long mode. */
		has_efer = d & ((1u << 11) | (1u << 20) | (1u << 29));
	}
}

void seq_unexpected_trap(void)
{
	seq_print("popek-seq: unexpected exception or interrupt in the "
		  "sequencer\npopek-seq: end 3\n");
}

static void idt_init(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) descr = {sizeof(idt) - 1, (u32)idt};
	u32 off = (u32)seq_trap;
	unsigned i;

	for (i = 0; i < 256; i++)
		idt[i] = (off & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
			 ((u64)(off >> 16) << 48);
	asm volatile("lidt %0" : : "m"(descr));
}

/*
 * An interrupt an image left pending in the local APIC (an I/O APIC
 * message it sent with IF=0, say) would reach the next image at its
 * first STI. With the 8259s masked (the runtime's pic_init() masks them
 * too), take whatever the local APIC holds and EOI it, for a bounded
 * while, then give the vectors back to seq_trap.
 */
static void drain_interrupts(void)
{
	u32 a, b, c, d;
	u64 base;

	cpuid4(1, &a, &b, &c, &d);
	/* CPUID.1:EDX.MSR (5) and .APIC (9) */
	if (!(d & (1u << 5)) || !(d & (1u << 9)))
		return;
	base = rdmsr(0x1b); /* IA32_APIC_BASE */
	/* IA32_APIC_BASE.EN (11); the xAPIC page below 4 GiB */
	if (!(base & (1u << 11)) || (base >> 32))
		return;
	seq_lapic_eoi = ((u32)base & 0xfffff000u) + 0xb0;
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	for (unsigned v = 0x20; v < 256; v++)
		idt[v] = ((u32)seq_irq_drain & 0xffff) | (0x08ull << 16) |
			 (0x8eull << 40) |
			 ((u64)((u32)seq_irq_drain >> 16) << 48);
	asm volatile("sti" ::: "memory");
	/* A loop, not STI;NOP;CLI: QEMU's TCG takes interrupts only between
	 * translation blocks. */
	for (unsigned i = 0; i < 20000; i++)
		asm volatile("pause" ::: "memory");
	asm volatile("cli" ::: "memory");
}

/* What an image may have changed and the next one must not inherit. */
static void restore_cpu(void)
{
	write_cr4(boot_cr4);
	write_cr0(boot_cr0);
	if (has_efer)
		wrmsr(MSR_EFER, boot_efer);
	asm volatile("mov %0, %%dr7" : : "r"(0x400ul));
	idt_init();
	drain_interrupts();
	idt_init();
}

static int run_image(struct seq_image *img, u32 mem_upper_kib)
{
	const char *why;
	u32 entry;

	why = seq_load_elf(img, &entry);
	if (why) {
		/* In the image's own words, so the runner's classification
		 * is the usual one: every check an error with this reason. */
		seq_print("TAP version 13\nBail out! popek-seq: %s\n"
			  "popek: exit 2\n",
			  why);
		return 2;
	}
	snprintf(image_cmdline, sizeof(image_cmdline), "popek.seq=%#x %s",
		 (u32)seq_resume, img->name);
	image_mbi[0] = MBI_HAS_MEM | MBI_HAS_CMDLINE;
	image_mbi[1] = 640;
	/* Memory the image may use ends where the sequencer begins. */
	image_mbi[2] = (SEQ_BASE - SEQ_IMAGE_LOW) / 1024u;
	if (mem_upper_kib < image_mbi[2])
		image_mbi[2] = mem_upper_kib;
	image_mbi[4] = (u32)image_cmdline;
	seq_console_drain();
	return seq_enter(entry, (u32)image_mbi);
}

void seq_main(void)
{
	unsigned n = 0, i, counts[4] = {0};
	u32 mem_upper_kib = 0;
	int code, worst = 0, st;

	seq_console_init();
	idt_init();
	boot_cr0 = read_cr0() & ~X86_CR0_PG;
	boot_cr4 = read_cr4();
	/* GRUB leaves its last line unterminated. */
	seq_print("\npopek-seq: start\n");
	print_cpu();
	if (has_efer)
		boot_efer = rdmsr(MSR_EFER) & ~(EFER_LME | EFER_LMA);
	st = seq_mb_magic == MB_BOOT_MAGIC
		     ? seq_stage((const u32 *)seq_mb_info, images, &n,
				 &mem_upper_kib)
		     : -3;
	if (st < 0) {
		seq_print("popek-seq: cannot stage the images (%s)\n"
			  "popek-seq: end 3\n",
			  st == -3   ? "not loaded by a Multiboot loader"
			  : st == -2 ? "not enough memory"
				     : "no module or memory information");
		worst = 3;
		goto end;
	}
	seq_print("popek-seq: images %u\n", n);
	/* The whole plan first: a capture cut short still names every
	 * image it owes (popek ingest). */
	for (i = 0; i < n; i++)
		seq_print("popek-seq: plan %s\n", images[i].name);
	for (i = 0; i < n; i++) {
		seq_print("popek-seq: image %s (%u/%u)\n", images[i].name,
			  i + 1, n);
		seq_ret_checks = seq_ret_failures = 0;
		code = run_image(&images[i], mem_upper_kib);
		restore_cpu();
		seq_print("popek-seq: done %s exit %d (%u checks, %u not ok)\n",
			  images[i].name, code, seq_ret_checks,
			  seq_ret_failures);
		code = code >= 0 && code <= 2 ? code : 3;
		counts[code]++;
		if (code > worst)
			worst = code;
	}
	seq_print("popek-seq: summary %u images: %u exit 0, %u exit 1, "
		  "%u exit 2, %u other\n",
		  n, counts[0], counts[1], counts[2], counts[3]);
	seq_print("popek-seq: end %d\n", worst);
end:
	seq_console_drain();
	outb(DEBUG_EXIT_PORT, (u8)worst);
	for (const char *p = "Shutdown"; *p; p++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*p);
}
