/*
 * QEMU's fw_cfg on ports 0x510/0x511 (fw_cfg.h) with the items QEMU's
 * pc machine gives a one-CPU guest and that refvmm can tell truthfully:
 * the signature, the interface version (traditional only), the RAM size,
 * the CPU counts and the file directory holding "etc/e820". Everything
 * else QEMU adds (ACPI tables, SMBIOS, boot order, the arch table at
 * 0x8000) is absent and reads as zeros, as an item QEMU leaves empty.
 *
 * The access rules are QEMU's combined I/O region (fw_cfg_comb_ops):
 * the two ports form one 2-byte region where a 16-bit write selects and
 * resets the offset, a byte read from either port returns the next data
 * byte (zero past the item's end or for an unknown key), byte writes
 * are dropped, and a wider read reads 0 and consumes nothing (QEMU 7.2
 * on the pc machine, observed: inw(0x510) gives 0, the next inb 'Q').
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refvmm/device.h"
#include "refvmm/e820.h"
#include "refvmm/fw_cfg.h"
#include "refvmm/machine.h"

/* Generic items 0 .. FILE_FIRST + FILE_SLOTS - 1 exist; any other index
 * selects nothing (QEMU's fw_cfg_max_entry). */
#define NR_ITEMS  (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)
#define DIR_LEN	  (4 + FW_CFG_FILE_SLOTS * FW_CFG_FILE_ENTRY_LEN)
#define E820_FILE "etc/e820"

struct fw_cfg_item {
	const u8 *data;
	u32 len;
};

struct fw_cfg {
	struct fw_cfg_item items[NR_ITEMS];
	const struct fw_cfg_item *cur; /* NULL: no item selected */
	u32 offset;

	u8 signature[4];
	u8 id[4];
	u8 ram_size[8];
	u8 nb_cpus[2];
	u8 max_cpus[2];
	u8 dir[DIR_LEN];
	struct e820_entry e820[E820_PC_ENTRIES];
};

static void put_be(u8 *p, u32 len, u64 v)
{
	while (len--) {
		p[len] = (u8)v;
		v >>= 8;
	}
}

static void fw_cfg__select(struct fw_cfg *f, u16 key)
{
	f->offset = 0;
	/* The arch table (bit 15) is empty here, so its items read 0. */
	if ((key & FW_CFG_ENTRY_MASK) >= NR_ITEMS || (key & FW_CFG_ARCH_LOCAL))
		f->cur = NULL;
	else
		f->cur = &f->items[key & FW_CFG_ENTRY_MASK];
}

static u8 fw_cfg__next(struct fw_cfg *f)
{
	if (!f->cur || f->offset >= f->cur->len)
		return 0;
	return f->cur->data[f->offset++];
}

static int fw_cfg__io(struct vcpu *vcpu, u64 addr, u8 *data, u32 len,
		      bool is_write, void *ptr)
{
	struct fw_cfg *f = ptr;

	(void)vcpu;
	if (!is_write) {
		/* A wider read is refused by QEMU's region and reads 0. */
		memset(data, 0, len);
		if (len == 1)
			data[0] = fw_cfg__next(f);
	} else if (len == 2 && addr == FW_CFG_PORT_SEL) {
		fw_cfg__select(f, (u16)io__get(data, 2));
	}
	return 0;
}

static void fw_cfg__set(struct fw_cfg *f, u16 key, const void *data, u32 len)
{
	f->items[key] = (struct fw_cfg_item){data, len};
}

/* A file: the next free selector from FILE_FIRST and a directory entry
 * (big-endian size and selector, NUL-padded name). */
static void fw_cfg__add_file(struct fw_cfg *f, const char *name,
			     const void *data, u32 len)
{
	u32 n = (u32)f->dir[3];
	u8 *e = f->dir + 4 + n * FW_CFG_FILE_ENTRY_LEN;
	u16 key = (u16)(FW_CFG_FILE_FIRST + n);

	put_be(e, 4, len);
	put_be(e + 4, 2, key);
	strncpy((char *)e + 8, name, FW_CFG_FILE_NAME_LEN - 1);
	put_be(f->dir, 4, n + 1);
	fw_cfg__set(f, key, data, len);
}

static int fw_cfg__init(struct machine *m, void **priv)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));
	unsigned int n;

	if (!f)
		return -ENOMEM;
	*priv = f;
	memcpy(f->signature, "QEMU", 4);
	fw_cfg__set(f, FW_CFG_SIGNATURE, f->signature, 4);
	/* Little-endian numbers, as fw_cfg_add_i16/i32/i64 store them. */
	io__put(f->id, 4, 1); /* bit 0: traditional interface; no DMA */
	fw_cfg__set(f, FW_CFG_ID, f->id, 4);
	io__put(f->ram_size, 8, m->ram_size);
	fw_cfg__set(f, FW_CFG_RAM_SIZE, f->ram_size, 8);
	io__put(f->nb_cpus, 2, 1);
	fw_cfg__set(f, FW_CFG_NB_CPUS, f->nb_cpus, 2);
	/* QEMU gives the APIC ID limit here: 1 for one CPU with ID 0. */
	io__put(f->max_cpus, 2, 1);
	fw_cfg__set(f, FW_CFG_MAX_CPUS, f->max_cpus, 2);
	fw_cfg__set(f, FW_CFG_FILE_DIR, f->dir, DIR_LEN);
	n = e820__pc_map(m->ram_size, f->e820);
	fw_cfg__add_file(f, E820_FILE, f->e820,
			 (u32)(n * sizeof(struct e820_entry)));
	return io_bus__register(&m->pio, FW_CFG_PORT_SEL, 2, fw_cfg__io, f,
				"fw_cfg");
}

static void fw_cfg__exit(struct machine *m, void *priv)
{
	(void)m;
	free(priv);
}

static struct device_type fw_cfg_device = {
	.name = "fw_cfg",
	.prio = DEVICE_PRIO_DEFAULT,
	.init = fw_cfg__init,
	.exit = fw_cfg__exit,
};
DEVICE_REGISTER(fw_cfg_device)
