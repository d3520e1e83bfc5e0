/*
 * platform.pc: the PC platform a guest written for QEMU's `pc` machine
 * finds, and the segment selectors such a guest's kernel uses.
 *
 * - fw_cfg (QEMU's docs/specs/fw_cfg.rst): signature "QEMU" and one CPU
 *   through the legacy ports 0x510 (16-bit selector) / 0x511 (data), and
 *   the file directory naming etc/e820, which has RAM at address 0.
 * - PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
 *   3.2.2.3.2): CONFIG_ADDRESS reads back, the i440FX host bridge at
 *   00:00.0 (8086:1237, class 060000, revision 2, header type 0, vendor
 *   read-only), all ones for an absent function and with the enable bit
 *   clear.
 * - The I/O APIC at 0xfec00000 (82093AA datasheet): the version register
 *   of QEMU's 24-pin I/O APIC version 0x20, pin 0 masked, and remote IRR
 *   set by a level-triggered pin (ISA IRQ 10, raised through pc-testdev).
 * - Selectors 0x23, 0x2b, 0x33 and 0x7b from the image's own GDT (entries
 *   4, 5, 6 and 15: flat DPL-3 code, data, code, data, as a 64-bit Linux
 *   host lays out its own) loaded into DS, ES, FS and GS at CPL 0: MOV
 *   from the segment register gives the selector back and memory is
 *   reached through it (SDM Vol. 2A MOV; Vol. 3A 3.4.2, 5.6). A monitor
 *   that runs the guest beside a host whose selectors these are must
 *   still show the guest its own.
 */
#include "common.h"

POPEK_IMAGE(0, 0);

#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511
#define FW_CFG_FILE_DIR 0x19

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_EN	 0x80000000u

#define IOAPIC	       ((volatile u32 *)0xfec00000u)
#define RTE_REMOTE_IRR 0x4000u
#define RTE_LEVEL      0x8000u
#define RTE_MASKED     0x10000u
/* pc-testdev's IRQ line ports: a write sets the level of ISA IRQ n. */
#define TESTDEV_IRQ 0x2000

static void fw_cfg_read(u16 key, void *buf, u32 n)
{
	u8 *p = buf;

	outw(FW_CFG_SEL, key);
	while (n--)
		*p++ = inb(FW_CFG_DATA);
}

/* Big-endian, as the file directory stores its numbers. */
static u32 be(const u8 *p, int n)
{
	u32 v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void check_fw_cfg(void)
{
	u8 sig[4], cpus[2], count[4], e[64], ent[20];
	bool ram0 = false;
	u32 n, size = 0;
	u16 key = 0;

	fw_cfg_read(0, sig, 4);
	report("platform.pc.fw_cfg.signature",
	       "fw_cfg item 0 read through ports 0x510/0x511 is \"QEMU\"",
	       !memcmp(sig, "QEMU", 4), "saw %02x %02x %02x %02x", sig[0],
	       sig[1], sig[2], sig[3]);
	fw_cfg_read(5, cpus, 2);
	report_eq("platform.pc.fw_cfg.nb-cpus",
		  "fw_cfg FW_CFG_NB_CPUS (5) is 1, 16-bit little-endian", 1,
		  cpus[0] | cpus[1] << 8);

	/* The directory: a count, then 64-byte entries (size, selector,
	 * reserved, name), all big-endian. */
	fw_cfg_read(FW_CFG_FILE_DIR, count, 4);
	n = be(count, 4);
	for (u32 i = 0; i < n && i < 64; i++) {
		for (int j = 0; j < 64; j++)
			e[j] = inb(FW_CFG_DATA);
		if (!strcmp((const char *)e + 8, "etc/e820")) {
			size = be(e, 4);
			key = (u16)be(e + 4, 2);
		}
	}
	report("platform.pc.fw_cfg.e820-file",
	       "the fw_cfg file directory names etc/e820, a whole number of "
	       "20-byte entries",
	       key >= 0x20 && size >= 20 && size % 20 == 0,
	       "%u files; etc/e820 at selector 0x%x, %u bytes", n, key, size);
	/* Not necessarily the first entry: QEMU 7.2 lists the reserved
	 * range below 1 TiB (AMD's HyperTransport window) before it. */
	if (key)
		outw(FW_CFG_SEL, key);
	for (u32 k = 0; k < size / 20 && !ram0; k++) {
		for (int j = 0; j < 20; j++)
			ent[j] = inb(FW_CFG_DATA);
		ram0 = !(ent[0] | ent[1] | ent[2] | ent[3] | ent[4] | ent[5] |
			 ent[6] | ent[7]) &&
		       ent[16] == 1 && (ent[8] | ent[9] | ent[10] | ent[11]);
	}
	report("platform.pc.fw_cfg.e820-ram-at-0",
	       "etc/e820 has a RAM entry (type 1) at address 0", ram0,
	       "none among its %u entries", size / 20);
}

static u32 pci_read(u32 bdf, u32 reg)
{
	outl(PCI_ADDR, PCI_EN | bdf << 8 | reg);
	return inl(PCI_DATA);
}

static void check_pci(void)
{
	outl(PCI_ADDR, PCI_EN);
	report_eq("platform.pc.pci.config-address",
		  "CONFIG_ADDRESS (0xcf8) reads back 0x80000000 as written",
		  PCI_EN, inl(PCI_ADDR));
	report_eq("platform.pc.pci.host-bridge.id",
		  "00:00.0 is the i440FX host bridge, vendor 0x8086 device "
		  "0x1237",
		  0x12378086, pci_read(0, 0x00));
	report_eq("platform.pc.pci.host-bridge.class",
		  "00:00.0 class 0x060000 (host bridge), revision 2",
		  0x06000002, pci_read(0, 0x08));
	outl(PCI_ADDR, PCI_EN | 0x0c);
	report_eq("platform.pc.pci.host-bridge.header-type",
		  "00:00.0 header type 0, read as the byte at 0xcfe", 0,
		  inb(PCI_DATA + 2));
	outl(PCI_ADDR, PCI_EN);
	report_eq("platform.pc.pci.host-bridge.word",
		  "a word read at 0xcfe gives the device id 0x1237", 0x1237,
		  inw(PCI_DATA + 2));
	outl(PCI_DATA, 0);
	report_eq("platform.pc.pci.host-bridge.read-only",
		  "writing 0 to the vendor and device ids changes nothing",
		  0x12378086, pci_read(0, 0x00));
	outl(PCI_ADDR, PCI_EN | 0x1f << 11);
	report_eq("platform.pc.pci.absent",
		  "an absent function (00:1f.0) reads vendor 0xffff", 0xffff,
		  inw(PCI_DATA));
	outl(PCI_ADDR, 0);
	report_eq("platform.pc.pci.disabled",
		  "with CONFIG_ADDRESS bit 31 clear, 0xcfc reads all ones",
		  0xffffffff, inl(PCI_DATA));
}

static u32 ioapic_read(u32 reg)
{
	IOAPIC[0] = reg;
	return IOAPIC[4];
}

static void ioapic_write(u32 reg, u32 v)
{
	IOAPIC[0] = reg;
	IOAPIC[4] = v;
}

static void check_ioapic(void)
{
	u32 rte;

	report_eq("platform.pc.ioapic.version",
		  "I/O APIC register 1 is 0x00170020: version 0x20, "
		  "redirection entries 0-23",
		  0x00170020, ioapic_read(1));
	report("platform.pc.ioapic.pin0-masked",
	       "I/O APIC redirection entry 0 is masked (bit 16)",
	       ioapic_read(0x10) & 0x10000, "saw 0x%08x", ioapic_read(0x10));

	/* Pin 10 level-triggered and unmasked, then ISA IRQ 10 raised through
	 * pc-testdev: the message goes out (to a local APIC, with IF=0 it
	 * stays pending there) and remote IRR stays set until an EOI. */
	ioapic_write(0x10 + 2 * 10 + 1, 0); /* destination: APIC ID 0 */
	ioapic_write(0x10 + 2 * 10, RTE_LEVEL | 0xe0);
	outb(TESTDEV_IRQ + 10, 1);
	rte = ioapic_read(0x10 + 2 * 10);
	outb(TESTDEV_IRQ + 10, 0);
	ioapic_write(0x10 + 2 * 10, RTE_MASKED | 0xe0);
	report_eq("platform.pc.ioapic.level-remote-irr",
		  "a level pin raised while unmasked sends and sets remote "
		  "IRR (bit 14) in its entry",
		  RTE_LEVEL | RTE_REMOTE_IRR | 0xe0, rte);
}

struct seg_try {
	u16 sel;
	u16 readback;
	u32 value;
	volatile u32 *cell;
};

/* The word each segment reaches; the data segments overwrite it. */
static volatile u32 cells[4];
#define CELL_INIT  0x5eed1234u
#define CELL_STORE 0x600dc0deu

/*
 * Loads the selector, stores through it when it is data, reads through
 * it, reads the selector back, and puts back what was there, all before
 * any compiled code could use DS or ES.
 */
#define SEG_PROBE(name, seg, store)                                            \
	PROBE name(void *arg)                                                  \
	{                                                                      \
		struct seg_try *t = arg;                                       \
		u32 v;                                                         \
		u16 r, old;                                                    \
                                                                               \
		asm volatile("mov %%" #seg ", %[old]\n\t"                      \
			     "mov %[sel], %%" #seg "\n\t" store "mov %%" #seg  \
			     ":(%[p]), %[v]\n\t"                               \
			     "mov %%" #seg ", %[r]\n\t"                        \
			     "mov %[old], %%" #seg                             \
			     : [v] "=&r"(v), [r] "=&r"(r), [old] "=&r"(old)    \
			     : [sel] "r"(t->sel), [p] "r"(t->cell)             \
			     : "memory");                                      \
		t->value = v;                                                  \
		t->readback = r;                                               \
	}
#define STORE(seg) "movl $0x600dc0de, %%" #seg ":(%[p])\n\t"

SEG_PROBE(seg_ds, ds, "")
SEG_PROBE(seg_es, es, STORE(es))
SEG_PROBE(seg_fs, fs, "")
SEG_PROBE(seg_gs, gs, STORE(gs))

static void check_selectors(void)
{
	static void (*const fn[4])(void *) = {seg_ds, seg_es, seg_fs, seg_gs};
	static const int index[4] = {4, 5, 6, 15};
	/* Readable code (type 0xb) for 4 and 6, writable data (3) for 5
	 * and 15; present, DPL 3, 4 GiB, 32-bit. */
	static const u8 access[4] = {0xfb, 0xf3, 0xfb, 0xf3};
	u16 ds = read_ds(), es, fs, gs;
	char id[CHECK_ID_MAX];

	asm volatile("mov %%es, %0; mov %%fs, %1; mov %%gs, %2"
		     : "=r"(es), "=r"(fs), "=r"(gs));
	for (int i = 0; i < 4; i++)
		gdt_set(index[i], 0, 0xfffff, access[i], 0xc);
	load_gdt();

	for (int i = 0; i < 4; i++) {
		struct seg_try t = {(u16)(index[i] << 3 | 3), 0, 0, &cells[i]};
		bool data = access[i] == 0xf3;
		struct fault f;
		u32 want = data ? CELL_STORE : CELL_INIT;

		cells[i] = CELL_INIT;
		try_call(fn[i], &t, &f);
		/* A fault left the register loaded: put everything back. */
		asm volatile("mov %0, %%ds; mov %1, %%es; mov %2, %%fs; "
			     "mov %3, %%gs"
			     :
			     : "r"(ds), "r"(es), "r"(fs), "r"(gs));
		check_fault(CHECK_ID(id,
				     "platform.pc.selectors.{ds,es,fs,gs}.load",
				     "MOV {1:DS,ES,FS,GS} of "
				     "{1:0x23,0x2b,0x33,0x7b} (own GDT entry, "
				     "DPL 3) and an access through it at CPL 0 "
				     "raise nothing",
				     i),
			    NO_FAULT, 0, &f);
		report_equal(
			CHECK_ID(id,
				 "platform.pc.selectors.{ds,es,fs,gs}.readback",
				 "MOV from {1:DS,ES,FS,GS} gives back "
				 "{1:0x23,0x2b,0x33,0x7b}",
				 i),
			t.sel, f.vector == NO_FAULT ? t.readback : 0xdead);
		report_result(
			CHECK_ID(id,
				 "platform.pc.selectors.{ds,es,fs,gs}.access",
				 "a flat {1:DS,ES,FS,GS} of "
				 "{1:0x23,0x2b,0x33,0x7b} reaches the guest's "
				 "memory (data: a store lands there too)",
				 i),
			f.vector == NO_FAULT && t.value == want &&
				cells[i] == want,
			"expected 0x%x through the segment and in memory, saw "
			"0x%x and 0x%x",
			want, t.value, cells[i]);
	}
}

void probe_main(void)
{
	check_fw_cfg();
	check_pci();
	check_ioapic();
	check_selectors();
}
