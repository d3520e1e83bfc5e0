/*
 * gen_access: writes the combination table of one mmu-access image.
 *
 *   gen_access SET WIDTH OUT.c   SET: 2l pae 4l smep-smap smep-smap-pae
 *
 * Each record gets a systematic id (mmu.access.<mode>.<entries>.<who>.
 * <access>.<controls>.<width>) and a description, both string literals:
 * the id goes into the image's .popek_checks section beside the
 * description, so `popek list` knows every combination. The expected
 * result is not generated here: the image computes it at run time with
 * the oracle (access_model.c), so a change of the model changes every
 * image's expectations at once.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_cases.h"

static const char *width;
static unsigned count;
static FILE *rows;
static const char *const mode_id[] = {"2l", "pae", "4l"};
static const char *const mode_name[] = {"2-level", "PAE", "4-level"};
static const char *const level_id[] = {"", "pte", "pde", "pdpte", "pml4e"};
static const char *const acc_id[] = {"read", "write", "fetch", "rw"};
static const char *const acc_name[] = {"read", "write", "fetch",
				       "read then write"};

/* Emits one record: the check declaration and the table entry. */
static void emit(const char *id, const char *desc, unsigned need,
		 const struct mmu_case *c)
{
	printf("static const char rec%u[%zu] __attribute__((section(\".popek_"
	       "checks\"), used)) = \"%s.%s\\t%s\\n\";\n",
	       count, strlen(id) + strlen(width) + 3 + strlen(desc), id, width,
	       desc);
	fprintf(rows,
		"\t{\"%s.%s\", %#x, {%u, %u, %u, %u, %u, %u, %u, %u, "
		"%u, 0, {0, %#llxull, %#llxull, %#llxull, "
		"%#llxull}}},\n",
		id, width, need, c->mode, c->cpl, c->access, c->wp, c->pse,
		c->nxe, c->smep, c->smap, c->ac, (unsigned long long)c->e[1],
		(unsigned long long)c->e[2], (unsigned long long)c->e[3],
		(unsigned long long)c->e[4]);
	count++;
}

/* Steps through every combination: d[i] runs over [0, n[i]). */
static bool odometer(int *d, const int *n, int k)
{
	for (int i = k - 1; i >= 0; i--) {
		if (++d[i] < n[i])
			return true;
		d[i] = 0;
	}
	return false;
}

static char *fmt(const char *f, ...)
{
	static char bufs[4][512];
	static int n;
	char *b = bufs[n++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

#define FULL (MMU_P | MMU_RW_ | MMU_US)
static const char *who(int cpl)
{
	return cpl ? "user" : "sup";
}
static const char *rights(unsigned long long e)
{
	return fmt("R/W=%d U/S=%d%s", !!(e & MMU_RW_), !!(e & MMU_US),
		   e & MMU_NX ? " XD=1" : "");
}

/* A case with every level present and permissive (PAE PDPTE: P only). */
static struct mmu_case base(int mode)
{
	struct mmu_case c = {0};

	c.mode = mode;
	c.wp = 1;
	c.nxe = mode != MMU_2L;
	c.pse = mode == MMU_2L;
	for (int l = 1; l <= 4; l++)
		c.e[l] = FULL;
	if (mode == MMU_PAE)
		c.e[3] = MMU_P;
	if (mode != MMU_4L)
		c.e[4] = 0;
	if (mode == MMU_2L)
		c.e[3] = 0;
	return c;
}

static const char *suffix_note =
	": fault, error code, CR2, A/D per the SDM model";

/* R/W and U/S in the PDE and PTE (and XD where NXE exists). */
static void rights_set(int mode)
{
	int nxv = mode == MMU_2L ? 1 : 3;

	const int num[] = {2, 2, 2, 2, nxv, (mode == MMU_2L ? 1 : 2), 2, 4, 2};
	int dig[9] = {0};

	do {
		int prw = dig[0];
		int pus = dig[1];
		int trw = dig[2];
		int tus = dig[3];
		int xd = dig[4];
		int nxe = dig[5];
		int cpl = dig[6] * 3;
		int acc = dig[7];
		int wp = dig[8];
		struct mmu_case c = base(mode);
		char id[256], desc[512], xdt[64] = "";

		c.e[2] = MMU_P | (prw ? MMU_RW_ : 0) | (pus ? MMU_US : 0);
		c.e[1] = MMU_P | (trw ? MMU_RW_ : 0) | (tus ? MMU_US : 0);
		if (xd)
			c.e[xd] |= MMU_NX; /* 1: PTE, 2: PDE */
		c.nxe = nxe;
		c.cpl = cpl;
		c.access = acc;
		c.wp = wp;
		if (mode != MMU_2L)
			snprintf(xdt, sizeof(xdt), ".xd-%s.nxe%d",
				 xd ? level_id[xd] : "none", nxe);
		snprintf(id, sizeof(id),
			 "mmu.access.%s.pde-rw%dus%d.pte-rw%dus%d%s.%s.%s.wp%d",
			 mode_id[mode], prw, pus, trw, tus, xdt, who(cpl),
			 acc_id[acc], wp);
		snprintf(desc, sizeof(desc),
			 "%s paging, PDE %s, PTE %s%s, %s %s, CR0.WP=%d%s",
			 mode_name[mode], rights(c.e[2]), rights(c.e[1]),
			 mode == MMU_2L ? "" : fmt(", EFER.NXE=%d", nxe),
			 cpl ? "CPL 3" : "CPL 0", acc_name[acc], wp,
			 suffix_note);
		emit(id, desc, nxe ? NEED_NX : 0, &c);
	} while (odometer(dig, num, 9));
}

/* R/W, U/S, XD in the PML4E and PDPTE (4-level), lower levels open. */
static void upper_set(void)
{
	const int num[] = {8, 8, 2, 4, 2};
	int dig[5] = {0};

	do {
		int m = dig[0];
		int d = dig[1];
		int cpl = dig[2] * 3;
		int acc = dig[3];
		int wp = dig[4];
		struct mmu_case c = base(MMU_4L);
		char id[256], desc[512];

		c.e[4] = MMU_P | (m & 1 ? MMU_RW_ : 0) | (m & 2 ? MMU_US : 0) |
			 (m & 4 ? MMU_NX : 0);
		c.e[3] = MMU_P | (d & 1 ? MMU_RW_ : 0) | (d & 2 ? MMU_US : 0) |
			 (d & 4 ? MMU_NX : 0);
		c.cpl = cpl;
		c.access = acc;
		c.wp = wp;
		snprintf(id, sizeof(id),
			 "mmu.access.4l.pml4e-"
			 "rw%dus%dxd%d.pdpte-"
			 "rw%dus%dxd%d."
			 "%s.%s.wp%d",
			 m & 1, !!(m & 2), !!(m & 4), d & 1, !!(d & 2),
			 !!(d & 4), who(cpl), acc_id[acc], wp);
		snprintf(desc, sizeof(desc),
			 "4-level paging, "
			 "PML4E %s, PDPTE %s, "
			 "PDE and PTE "
			 "permissive, "
			 "EFER.NXE=1, %s %s, "
			 "CR0.WP=%d%s",
			 rights(c.e[4]), rights(c.e[3]),
			 cpl ? "CPL 3" : "CPL 0", acc_name[acc], wp,
			 suffix_note);
		emit(id, desc, NEED_NX, &c);
	} while (odometer(dig, num, 5));
}

/* A and D as found before the access: set bits stay set, clear ones are
 * set as the access requires. */
static void ad_set(int mode)
{
	int levels = mode == MMU_2L ? 2 : mode == MMU_PAE ? 3 : 4;

	const int num[] = {(1 << levels), 2, 2, 4};
	int dig[4] = {0};

	do {
		int a = dig[0];
		int d = dig[1];
		int cpl = dig[2] * 3;
		int acc = dig[3];
		struct mmu_case c = base(mode);
		char id[256], desc[512], at[64] = "";

		if (acc == MMU_FETCH)
			continue;
		if (mode == MMU_PAE && (a & 4))
			continue; /* a PAE PDPTE has no
				     A flag */
		for (int l = levels; l >= 1; l--) {
			if (mode == MMU_PAE && l == 3)
				continue;
			if (a & (1 << (l - 1)))
				c.e[l] |= MMU_A;
			snprintf(at + strlen(at), sizeof(at) - strlen(at), "%d",
				 !!(a & (1 << (l - 1))));
		}
		if (d)
			c.e[1] |= MMU_D;
		c.cpl = cpl;
		c.access = acc;
		snprintf(id, sizeof(id),
			 "mmu.access.%s.ad.a%s.d%d.%s.%"
			 "s",
			 mode_id[mode], at, d, who(cpl), acc_id[acc]);
		snprintf(desc, sizeof(desc),
			 "%s paging, permissive "
			 "entries with A flags (top "
			 "level first) %s and PTE D=%d "
			 "before a %s %s: A set "
			 "at every level, D set by a "
			 "write, set flags stay "
			 "set (SDM 4.8)",
			 mode_name[mode], at, d, cpl ? "CPL 3" : "CPL 0",
			 acc_name[acc]);
		emit(id, desc, mode != MMU_2L ? NEED_NX : 0, &c);
	} while (odometer(dig, num, 4));
}

/* Not-present and reserved-bit faults at each level. */
static void walk_set(int mode)
{
	int levels = mode == MMU_2L ? 2 : mode == MMU_PAE ? 3 : 4;
	/* kinds: 0 P=0 (rights open), 1 P=0 with R/W=U/S=0 and bit 51,
	 * 2 reserved bit 51, 3 XD with NXE=0, 4 PS in a PML4E */
	const int num[] = {levels, 5, (mode == MMU_2L ? 1 : 2), 2, 3};
	int dig[5] = {0};

	do {
		int l = 1 + dig[0];
		int kind = dig[1];
		int nxe = dig[2];
		int cpl = dig[3] * 3;
		int acc = dig[4];
		struct mmu_case c = base(mode);
		static const char *const kid[] = {"np", "np-closed", "rsvd51",
						  "xd-nxe0", "ps"};
		static const char *const kname[] = {"P=0",
						    "P=0 with R/W=0, "
						    "U/S=0 and bit "
						    "51 set",
						    "reserved bit 51 "
						    "set",
						    "XD=1 while "
						    "EFER.NXE=0",
						    "PS=1 (reserved "
						    "in a PML4E)"};
		char id[256], desc[512];
		unsigned need = 0;
		bool pdpte = mode == MMU_PAE && l == 3;

		if (mode == MMU_2L && kind >= 1)
			continue; /* 4 KiB
				     2-level
				     entries
				     reserve
				     nothing */
		if (kind == 3 && (nxe || pdpte))
			continue;
		if (kind == 4 && !(mode == MMU_4L && l == 4))
			continue;
		if (pdpte && kind != 0)
			continue; /* PDPTE
				     reserved
				     bits #GP at
				     CR3 load */
		c.nxe = kind == 3 ? 0 : nxe;
		switch (kind) {
		case 0:
			c.e[l] &= ~MMU_P;
			break;
		case 1:
			c.e[l] = 1ull << 51; /* ignored:
						P=0 */
			break;
		case 2:
			c.e[l] |= 1ull << 51;
			need |= NEED_RSVD51;
			break;
		case 3:
			c.e[l] |= MMU_NX;
			break;
		case 4:
			c.e[l] |= MMU_PS;
			break;
		}
		if (c.nxe)
			need |= NEED_NX;
		c.cpl = cpl;
		c.access = acc;
		snprintf(id, sizeof(id),
			 "mmu.access.%s.%s-%s%s."
			 "%s.%s",
			 mode_id[mode], level_id[l], kid[kind],
			 mode == MMU_2L || kind == 3 ? "" : fmt(".nxe%d", nxe),
			 who(cpl), acc_id[acc]);
		snprintf(desc, sizeof(desc),
			 "%s paging, %s %s%s, "
			 "other entries "
			 "permissive, %s "
			 "%s: #PF with P=%d%s, "
			 "W/R, U/S and I/D "
			 "from the access "
			 "(SDM 4.7)",
			 mode_name[mode], level_id[l], kname[kind],
			 mode == MMU_2L ? ""
					: fmt(", "
					      "EFER."
					      "NXE=%d",
					      c.nxe),
			 cpl ? "CPL 3" : "CPL 0", acc_name[acc], kind >= 2,
			 kind >= 2 ? " and RSVD=1" : "");
		emit(id, desc, need, &c);
	} while (odometer(dig, num, 5));
}

/* Large pages: 4 MiB (2-level with CR4.PSE) or 2 MiB (PAE, 4-level). */
static void large_set(int mode)
{
	const char *sz = mode == MMU_2L ? "4 MiB" : "2 MiB";

	const int num[] = {2, 2, (mode == MMU_2L ? 1 : 2), 2, 2, 4, 2};
	int dig[7] = {0};

	do {
		int rw = dig[0];
		int us = dig[1];
		int xd = dig[2];
		int d = dig[3];
		int cpl = dig[4] * 3;
		int acc = dig[5];
		int wp = dig[6];
		struct mmu_case c = base(mode);
		char id[256], desc[512];

		c.e[2] = MMU_P | MMU_PS | (rw ? MMU_RW_ : 0) |
			 (us ? MMU_US : 0) | (xd ? MMU_NX : 0) |
			 (d ? MMU_D : 0);
		c.e[1] = 0; /* not
			       used:
			       the
			       PDE
			       maps
			       the
			       page
			     */
		c.cpl = cpl;
		c.access = acc;
		c.wp = wp;
		snprintf(id, sizeof(id),
			 "mmu."
			 "access"
			 ".%s."
			 "large."
			 "pde-"
			 "rw%"
			 "dus%d%"
			 "s.d%d."
			 "%s.%s."
			 "wp%d",
			 mode_id[mode], rw, us,
			 mode == MMU_2L ? "" : fmt("xd%d", xd), d, who(cpl),
			 acc_id[acc], wp);
		snprintf(desc, sizeof(desc),
			 "%s "
			 "paging"
			 ", %s "
			 "page "
			 "(PDE "
			 "PS=1%"
			 "s) "
			 "%s, "
			 "D=%d, "
			 "%s "
			 "%s, "
			 "CR0."
			 "WP=%d:"
			 " right"
			 "s, "
			 "error "
			 "code "
			 "and "
			 "A/D "
			 "in "
			 "the "
			 "PDE%s",
			 mode_name[mode], sz,
			 mode == MMU_2L ? ", CR4.PSE=1" : ", EFER.NXE=1",
			 rights(c.e[2]), d, cpl ? "CPL 3" : "CPL 0",
			 acc_name[acc], wp, suffix_note);
		emit(id, desc, (mode == MMU_2L ? NEED_PSE : NEED_NX), &c);
	} while (odometer(dig, num, 7));
	/* reserved bits of a large PDE: bit 21 (4 MiB), bit 13 (2 MiB) */
	const int num2[] = {2, 3};
	int dig2[2] = {0};

	do {
		int cpl = dig2[0] * 3;
		int acc = dig2[1];
		struct mmu_case c = base(mode);
		int bit = mode == MMU_2L ? 21 : 13;
		char id[256], desc[512];

		c.e[2] = FULL | MMU_PS | (1ull << bit);
		c.e[1] = 0;
		c.cpl = cpl;
		c.access = acc;
		snprintf(id, sizeof(id), "mmu.access.%s.large.pde-rsvd%d.%s.%s",
			 mode_id[mode], bit, who(cpl), acc_id[acc]);
		snprintf(desc, sizeof(desc),
			 "%s paging, %s PDE with reserved bit %d set, "
			 "%s %s: "
			 "#PF with P=1 and RSVD=1 (SDM 4.7)",
			 mode_name[mode], sz, bit, cpl ? "CPL 3" : "CPL 0",
			 acc_name[acc]);
		emit(id, desc, (mode == MMU_2L ? NEED_PSE : NEED_NX), &c);
	} while (odometer(dig2, num2, 2));
}

/* SMEP, SMAP and EFLAGS.AC against U/S and R/W of the PTE. */
static void smep_smap_set(int mode)
{
	const int num[] = {2, 2, 2, 2, 2, 2, 4, 2};
	int dig[8] = {0};

	do {
		int us = dig[0];
		int rw = dig[1];
		int smep = dig[2];
		int smap = dig[3];
		int ac = dig[4];
		int cpl = dig[5] * 3;
		int acc = dig[6];
		int wp = dig[7];
		struct mmu_case c = base(mode);
		char id[256], desc[512];
		unsigned need = NEED_NX;

		if (cpl == 3 && !(smep && smap))
			continue; /* user accesses: once, with both on */
		c.e[1] = MMU_P | (rw ? MMU_RW_ : 0) | (us ? MMU_US : 0);
		c.smep = smep;
		c.smap = smap;
		c.ac = ac;
		c.cpl = cpl;
		c.access = acc;
		c.wp = wp;
		if (smep)
			need |= NEED_SMEP;
		if (smap)
			need |= NEED_SMAP;
		snprintf(id, sizeof(id),
			 "mmu.access.%s.pte-rw%dus%d.%s.%s.smep%d.smap%d.ac%d."
			 "wp%d",
			 mode_id[mode], rw, us, who(cpl), acc_id[acc], smep,
			 smap, ac, wp);
		snprintf(
			desc, sizeof(desc),
			"%s paging, PTE %s, %s %s, CR4.SMEP=%d CR4.SMAP=%d "
			"EFLAGS.AC=%d CR0.WP=%d: SMEP/SMAP rules (SDM 4.6.1)%s",
			mode_name[mode], rights(c.e[1]),
			cpl ? "CPL 3" : "CPL 0", acc_name[acc], smep, smap, ac,
			wp, suffix_note);
		emit(id, desc, need, &c);
	} while (odometer(dig, num, 8));
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: gen_access SET WIDTH OUT.c\n");
		return 2;
	}
	if (!freopen(argv[3], "w", stdout)) {
		perror(argv[3]);
		return 1;
	}
	width = argv[2];
	printf("/* Generated by gen_access %s %s: do not edit. */\n"
	       "#include \"access_cases.h\"\n\n",
	       argv[1], argv[2]);
	rows = tmpfile();
	if (!rows) {
		perror("gen_access: tmpfile");
		return 1;
	}
	if (!strcmp(argv[1], "2l")) {
		rights_set(MMU_2L);
		ad_set(MMU_2L);
		walk_set(MMU_2L);
		large_set(MMU_2L);
	} else if (!strcmp(argv[1], "pae")) {
		rights_set(MMU_PAE);
		ad_set(MMU_PAE);
		walk_set(MMU_PAE);
		large_set(MMU_PAE);
	} else if (!strcmp(argv[1], "4l")) {
		rights_set(MMU_4L);
		upper_set();
		ad_set(MMU_4L);
		walk_set(MMU_4L);
		large_set(MMU_4L);
	} else if (!strcmp(argv[1], "smep-smap-pae")) {
		smep_smap_set(MMU_PAE);
	} else if (!strcmp(argv[1], "smep-smap")) {
		smep_smap_set(MMU_4L);
	} else {
		fprintf(stderr, "gen_access: unknown set '%s'\n", argv[1]);
		return 2;
	}
	printf("\nconst struct access_record access_records[] = {\n");
	rewind(rows);
	for (int ch; (ch = fgetc(rows)) != EOF;)
		putchar(ch);
	printf("};\nconst unsigned access_record_count = %u;\n", count);
	return ferror(stdout) ? 1 : 0;
}
