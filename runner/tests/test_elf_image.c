/*
 * Image parsing against synthetic ELF files built here: a good one and
 * each kind of damage a broken build (or a stray file) can produce.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <popek/check_pattern.h>
#include <popek/image.h>

#include "elf_image.h"

struct elf_spec {
	bool with_note;
	uint32_t width, flags;
	const char *checks; /* NULL: no .popek_checks section */
	size_t checks_len;
};

/* ELF header, section contents, then the section header table. */
static uint8_t *build_elf(const struct elf_spec *s, size_t *len)
{
	static const char shstr[] = "\0.note.popek\0.popek_checks\0"
				    ".shstrtab";
	uint8_t *buf = calloc(1, 4096);
	Elf32_Ehdr eh = {0};
	Elf32_Shdr sh[4] = {0};
	Elf32_Nhdr nh = {sizeof(POPEK_NOTE_NAME),
			 sizeof(struct popek_image_note), POPEK_NOTE_IMAGE};
	struct popek_image_note note = {s->width, 0x3, s->flags, 0};
	size_t off = sizeof(eh), n = 1;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf32_Shdr);

	if (s->with_note) {
		sh[n].sh_name = 1;
		sh[n].sh_type = SHT_NOTE;
		sh[n].sh_offset = off;
		memcpy(buf + off, &nh, sizeof(nh));
		memcpy(buf + off + sizeof(nh), "Popek\0\0\0", 8);
		memcpy(buf + off + sizeof(nh) + 8, &note, sizeof(note));
		sh[n].sh_size = sizeof(nh) + 8 + sizeof(note);
		off += sh[n].sh_size;
		n++;
	}
	if (s->checks) {
		sh[n].sh_name = 13;
		sh[n].sh_type = SHT_PROGBITS;
		sh[n].sh_offset = off;
		sh[n].sh_size = s->checks_len;
		memcpy(buf + off, s->checks, s->checks_len);
		off += s->checks_len;
		n++;
	}
	sh[n].sh_name = 27;
	sh[n].sh_type = SHT_STRTAB;
	sh[n].sh_offset = off;
	sh[n].sh_size = sizeof(shstr);
	memcpy(buf + off, shstr, sizeof(shstr));
	off += sizeof(shstr);
	eh.e_shstrndx = n++;
	off = (off + 3) & ~(size_t)3;
	eh.e_shoff = off;
	eh.e_shnum = n;
	memcpy(buf + off, sh, n * sizeof(Elf32_Shdr));
	off += n * sizeof(Elf32_Shdr);
	memcpy(buf, &eh, sizeof(eh));
	*len = off;
	return buf;
}

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/popek-elf-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(elf_image, .init = setup, .fini = teardown);

static char *write_file(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static const char good_checks[] =
	"runtime.exception.de.vector\t#DE goes through vector 0\n"
	"\0\0\0"
	"runtime.exception.gp.errcode\t#GP error code is 0\r\n"
	"runtime.paging.pae.enable_1\t\n";

static const struct elf_spec good = {true, 64, 0, good_checks,
				     sizeof(good_checks) - 1};

/* Load an image built from spec; returns the error or "" when loaded. */
static char *load(const struct elf_spec *s, size_t truncate_to)
{
	static struct perr e;
	struct image img;
	size_t len;
	uint8_t *data = build_elf(s, &len);
	char *path;

	if (truncate_to)
		len = truncate_to;
	path = write_file("x.elf", data, len);
	free(data);
	e.msg[0] = '\0';
	if (image_load(path, &img, &e) == 0)
		image_free(&img);
	free(path);
	return e.msg;
}

Test(elf_image, good)
{
	struct image img;
	struct perr e;
	size_t len;
	uint8_t *data = build_elf(&good, &len);
	char *path = write_file("runtime-exceptions-64.elf", data, len);

	free(data);
	cr_assert_eq(image_load(path, &img, &e), 0, "%s", e.msg);
	cr_assert_str_eq(img.name, "runtime-exceptions-64");
	cr_assert_str_eq(img.path, path);
	cr_assert_eq(img.width, 64);
	cr_assert_eq(img.features, 0x3);
	cr_assert_eq(img.flags, 0);
	cr_assert_eq(img.nchecks, 3);
	cr_assert_str_eq(img.checks[0].id, "runtime.exception.de.vector");
	cr_assert_str_eq(img.checks[0].description,
			 "#DE goes through vector 0");
	cr_assert_str_eq(img.checks[1].id, "runtime.exception.gp.errcode");
	cr_assert_str_eq(img.checks[1].description, "#GP error code is 0");
	cr_assert_str_eq(img.checks[2].id, "runtime.paging.pae.enable_1");
	cr_assert_str_eq(img.checks[2].description, "");
	cr_assert_not_null(
		image_find_check(&img, "runtime.exception.gp.errcode"));
	cr_assert_null(image_find_check(&img, "runtime.exception"));
	image_free(&img);
	free(path);
}

Test(elf_image, not_elf)
{
	char *path = write_file("x.elf", "#!/bin/sh\necho hi\n", 18);
	struct image img;
	struct perr e;

	cr_assert_eq(image_load(path, &img, &e), -1);
	cr_assert(str_ends(e.msg, "x.elf: not an ELF file"), "%s", e.msg);
	free(path);
	path = write_file("y.elf", "", 0);
	cr_assert_eq(image_load(path, &img, &e), -1);
	cr_assert(str_ends(e.msg, "y.elf: not an ELF file"), "%s", e.msg);
	free(path);
}

Test(elf_image, elf64)
{
	uint8_t buf[128] = {0};
	char *path;
	struct image img;
	struct perr e;

	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = ELFCLASS64;
	buf[EI_DATA] = ELFDATA2LSB;
	path = write_file("x.elf", buf, sizeof(buf));
	cr_assert_eq(image_load(path, &img, &e), -1);
	cr_assert(str_ends(e.msg, "x.elf: ELF64 file; probe images are ELF32 "
				  "(objcopy -O elf32-i386)"),
		  "%s", e.msg);
	free(path);
}

Test(elf_image, truncated_everywhere)
{
	size_t len, cut;
	uint8_t *data = build_elf(&good, &len);

	free(data);
	/* Every prefix is rejected with a message, never a crash. */
	for (cut = 1; cut < len; cut++) {
		const char *msg = load(&good, cut);

		cr_assert_neq(strlen(msg), 0, "cut at %zu accepted", cut);
	}
	cr_assert(strstr(load(&good, 20), "truncated ELF header"));
	cr_assert(strstr(load(&good, len - 1),
			 "truncated: section headers extend beyond end of "
			 "file"));
}

Test(elf_image, missing_note)
{
	struct elf_spec s = good;

	s.with_note = false;
	cr_assert(str_ends(load(&s, 0), "x.elf: no .note.popek section (not a "
					"Popek probe image?)"));
}

Test(elf_image, missing_checks_section)
{
	struct elf_spec s = good;

	s.checks = NULL;
	cr_assert(str_ends(load(&s, 0), "x.elf: no .popek_checks section"));
}

Test(elf_image, bad_width)
{
	struct elf_spec s = good;

	s.width = 16;
	cr_assert(str_ends(load(&s, 0), "x.elf: Popek note gives width 16, "
					"expected 32 or 64"));
}

static const char *load_checks(const char *text)
{
	struct elf_spec s = good;

	s.checks = text;
	s.checks_len = strlen(text);
	return load(&s, 0);
}

Test(elf_image, bad_check_records)
{
	cr_assert(str_ends(load_checks("a.b.c no tab\n"),
			   "x.elf: bad check record 1 in .popek_checks: no tab "
			   "between id and description"));
	cr_assert(str_ends(load_checks("a.b.c\tok\n\tdesc\n"),
			   "x.elf: bad check record 2 in .popek_checks: empty "
			   "id"));
	cr_assert(str_ends(load_checks("a.b\tdesc\n"),
			   "x.elf: bad check record 1 in .popek_checks: id "
			   "'a.b' is not family.group.name[.variant] "
			   "([a-z0-9_-] components)"));
	cr_assert(strstr(load_checks("A.b.c\td\n"), "id 'A.b.c' is not"));
	cr_assert(strstr(load_checks("a..c.d\td\n"), "id 'a..c.d' is not"));
	cr_assert(strstr(load_checks("a.b.c.\td\n"), "id 'a.b.c.' is not"));
	cr_assert(strstr(load_checks("a.b c.d\td\n"), "id 'a.b c.d' is not"));
	cr_assert(str_ends(load_checks("a.b.c\td\na.b.c\te\n"),
			   "x.elf: check a.b.c declared twice with different "
			   "descriptions"));
}

Test(elf_image, same_check_declared_twice_alike)
{
	/* One check reported on two code paths declares itself twice. */
	cr_assert_str_eq(load_checks("a.b.c\td\na.b.c\td\n"), "");
}

/* Loads an image whose .popek_checks is text; the caller frees img. */
static void load_family(const char *text, struct image *img)
{
	struct elf_spec s = good;
	struct perr e;
	size_t len;
	uint8_t *data;
	char *path;

	s.checks = text;
	s.checks_len = strlen(text);
	data = build_elf(&s, &len);
	path = write_file("x.elf", data, len);
	free(data);
	cr_assert_eq(image_load(path, img, &e), 0, "%s", e.msg);
	free(path);
}

static void assert_check(const struct image *img, size_t i, const char *id,
			 const char *desc)
{
	cr_assert_str_eq(img->checks[i].id, id);
	cr_assert_str_eq(img->checks[i].description, desc);
}

Test(elf_image, family_expands_in_order)
{
	struct image img;

	/* Lists and ranges multiply, the leftmost group slowest; {N} is
	 * group N's text, {N:..} the entry at group N's position. */
	load_family("conformance.{popf,iret}.cpl{0..1}.iopl{0,3}.iopl.64\t"
		    "{1:POPF,IRET} loading IOPL 3-{3} at CPL {2}\n",
		    &img);
	cr_assert_eq(img.nchecks, 8);
	assert_check(&img, 0, "conformance.popf.cpl0.iopl0.iopl.64",
		     "POPF loading IOPL 3-0 at CPL 0");
	assert_check(&img, 1, "conformance.popf.cpl0.iopl3.iopl.64",
		     "POPF loading IOPL 3-3 at CPL 0");
	assert_check(&img, 2, "conformance.popf.cpl1.iopl0.iopl.64",
		     "POPF loading IOPL 3-0 at CPL 1");
	assert_check(&img, 3, "conformance.popf.cpl1.iopl3.iopl.64",
		     "POPF loading IOPL 3-3 at CPL 1");
	assert_check(&img, 4, "conformance.iret.cpl0.iopl0.iopl.64",
		     "IRET loading IOPL 3-0 at CPL 0");
	assert_check(&img, 7, "conformance.iret.cpl1.iopl3.iopl.64",
		     "IRET loading IOPL 3-3 at CPL 1");
	image_free(&img);
}

Test(elf_image, family_with_plain_records)
{
	struct image img;

	/* A group's alternatives may hold dots; a one-entry list is a
	 * family of one; a member declared again alike is one check. */
	load_family("runtime.paging.4level.{boot,4k}.invlpg.64\tINVLPG\n"
		    "runtime.paging.{pae}.enable.32\tPAE on\n"
		    "runtime.cpl.{1..3}.hlt.32\tHLT at CPL {1} raises #GP(0)\n"
		    "runtime.cpl.3.hlt.32\tHLT at CPL 3 raises #GP(0)\n"
		    "runtime.cpl.{a.b,c}.x.32\t{1}\n",
		    &img);
	cr_assert_eq(img.nchecks, 8);
	assert_check(&img, 0, "runtime.paging.4level.boot.invlpg.64", "INVLPG");
	assert_check(&img, 1, "runtime.paging.4level.4k.invlpg.64", "INVLPG");
	assert_check(&img, 2, "runtime.paging.pae.enable.32", "PAE on");
	assert_check(&img, 3, "runtime.cpl.1.hlt.32",
		     "HLT at CPL 1 raises #GP(0)");
	assert_check(&img, 5, "runtime.cpl.3.hlt.32",
		     "HLT at CPL 3 raises #GP(0)");
	assert_check(&img, 6, "runtime.cpl.a.b.x.32", "a.b");
	assert_check(&img, 7, "runtime.cpl.c.x.32", "c");
	cr_assert_not_null(image_find_check(&img, "runtime.cpl.2.hlt.32"));
	cr_assert_null(image_find_check(&img, "runtime.cpl.{1..3}.hlt.32"));
	cr_assert_null(image_find_check(&img, "runtime.cpl.0.hlt.32"));
	image_free(&img);
}

Test(elf_image, malformed_families)
{
	cr_assert(str_ends(load_checks("a.{b,c.d\tx\n"),
			   "x.elf: bad check record 1 in .popek_checks: "
			   "pattern 'a.{b,c.d': '{' without '}'"));
	cr_assert(str_ends(load_checks("a.b},c.d\tx\n"),
			   "pattern 'a.b},c.d': '}' without '{'"));
	cr_assert(str_ends(load_checks("a.{b,{c}}.d\tx\n"),
			   "pattern 'a.{b,{c}}.d': groups do not nest"));
	cr_assert(str_ends(load_checks("a.{b,,c}.d\tx\n"),
			   "pattern 'a.{b,,c}.d': a list group has an empty "
			   "alternative"));
	cr_assert(str_ends(load_checks("a.{}.d\tx\n"),
			   "a list group has an empty alternative"));
	cr_assert(str_ends(load_checks("a.b{3..1}.d\tx\n"),
			   "pattern 'a.b{3..1}.d': a range group is "
			   "{FIRST..LAST}, decimal, FIRST <= LAST"));
	cr_assert(str_ends(load_checks("a.b{0..x}.d\tx\n"),
			   "a range group is {FIRST..LAST}, decimal, FIRST <= "
			   "LAST"));
	cr_assert(str_ends(load_checks("a{0,1}{0,1}{0,1}{0,1}{0,1}{0,1}{0,1}"
				       "{0,1}{0,1}.b.c\tx\n"),
			   "more than 8 groups"));
	cr_assert(str_ends(load_checks("a.b{0..999}.c{0..999}\tx\n"),
			   "pattern 'a.b{0..999}.c{0..999}': expands to more "
			   "than 65536 ids"));
	/* The description's placeholders name the id's groups. */
	cr_assert(str_ends(load_checks("a.b.c{0..3}\tat {2}\n"),
			   "description of 'a.b.c{0..3}': a description "
			   "placeholder "
			   "is {N} or {N:x,y,...}, N a group of the id"));
	cr_assert(str_ends(load_checks("a.b.c{0..3}\tat {x}\n"),
			   "a description placeholder is {N} or {N:x,y,...}, "
			   "N a group of the id"));
	cr_assert(str_ends(load_checks("a.b.{x,y}\t{1:X,Y,Z}\n"),
			   "description of 'a.b.{x,y}': a description list "
			   "{N:x,y,...} needs one entry per alternative of "
			   "group N"));
	cr_assert(str_ends(load_checks("a.b.{x,y}\t{1\n"),
			   "description of 'a.b.{x,y}': '{' without '}'"));
	cr_assert(str_ends(load_checks("a.b.c\tplain }\n"),
			   "description of 'a.b.c': '}' without '{'"));
	/* Each member is an id like any other. */
	cr_assert(str_ends(load_checks("a.b.{c,D}\tx\n"),
			   "x.elf: bad check record 1 in .popek_checks: id "
			   "'a.b.D' is not family.group.name[.variant] "
			   "([a-z0-9_-] components)"));
	cr_assert(str_ends(load_checks("a.b.{c,d}\tx\na.b.d\ty\n"),
			   "x.elf: check a.b.d declared twice with different "
			   "descriptions"));
}

/* The guest's side: naming one member by its selectors. */
Test(elf_image, pattern_member_by_selectors)
{
	static const char pat[] = "c.{sgdt,sidt}.cpl{1..3}.iopl{0,3}.32";
	struct popek_group g[POPEK_PATTERN_MAX_GROUPS];
	const char *err = NULL;
	char out[64], small[8];
	int n = popek_pattern_groups(pat, strlen(pat), g, &err);
	int sel[3] = {1, 2, 1}, bad[3] = {1, 0, 1};

	cr_assert_eq(n, 3);
	cr_assert_eq(g[1].range, true);
	cr_assert_eq(g[1].first, 1);
	cr_assert_eq(g[1].last, 3);
	cr_assert_eq(g[2].last, 1);
	cr_assert_eq(popek_pattern_expand(out, sizeof(out), pat, strlen(pat),
					  false, g, n, sel, &err),
		     20);
	cr_assert_str_eq(out, "c.sidt.cpl2.iopl3.32");
	cr_assert_eq(popek_pattern_expand(out, sizeof(out), pat, strlen(pat),
					  false, g, n, bad, &err),
		     -1);
	cr_assert_str_eq(err, "a selector is out of its group's range");
	cr_assert_eq(popek_pattern_expand(small, sizeof(small), pat,
					  strlen(pat), false, g, n, sel, &err),
		     -1);
	cr_assert_str_eq(err, "the expansion is too long");
	/* Expansion order, from popek_pattern_first(). */
	popek_pattern_first(g, n, sel);
	cr_assert(sel[0] == 0 && sel[1] == 1 && sel[2] == 0);
	cr_assert(popek_pattern_next(g, n, sel));
	cr_assert(sel[0] == 0 && sel[1] == 1 && sel[2] == 1);
	cr_assert(popek_pattern_next(g, n, sel));
	cr_assert(sel[0] == 0 && sel[1] == 2 && sel[2] == 0);
	sel[0] = 1, sel[1] = 3, sel[2] = 1;
	cr_assert(!popek_pattern_next(g, n, sel));
}

Test(elf_image, check_id_rules)
{
	cr_assert(check_id_valid("conformance.trap.popf-if.cpl3"));
	cr_assert(check_id_valid("a.b.c.d.e_f-9"));
	cr_assert(!check_id_valid(""));
	cr_assert(!check_id_valid("a.b"));
	cr_assert(!check_id_valid(".a.b.c"));
	cr_assert(!check_id_valid("a.b.C"));
	cr_assert(!check_id_valid("a.b.c:d"));
}

Test(elf_image, garbage_section_headers)
{
	size_t len;
	uint8_t *data = build_elf(&good, &len);
	Elf32_Ehdr eh;
	struct image img;
	struct perr e;
	char *path;

	memcpy(&eh, data, sizeof(eh));
	eh.e_shstrndx = 99;
	memcpy(data, &eh, sizeof(eh));
	path = write_file("x.elf", data, len);
	cr_assert_eq(image_load(path, &img, &e), -1);
	cr_assert(strstr(e.msg, "bad section name table index 99"));
	free(path);

	memcpy(&eh, data, sizeof(eh));
	eh.e_shstrndx = eh.e_shnum - 1;
	eh.e_shoff = 0xfffffff0u;
	memcpy(data, &eh, sizeof(eh));
	path = write_file("x.elf", data, len);
	cr_assert_eq(image_load(path, &img, &e), -1);
	cr_assert(strstr(e.msg, "truncated: section headers"));
	free(path);
	free(data);
}

Test(elf_image, directory_sorted_and_selftest_filtered)
{
	struct elf_spec st = good;
	struct image_list list;
	struct perr e;
	size_t len;
	uint8_t *data;
	char *p;

	data = build_elf(&good, &len);
	free(write_file("b-image.elf", data, len));
	free(write_file("a-image.elf", data, len));
	free(write_file("notes.txt", "x", 1));
	free(data);
	st.flags = POPEK_IMAGE_SELFTEST;
	data = build_elf(&st, &len);
	free(write_file("c-selftest.elf", data, len));
	free(data);

	cr_assert_eq(image_list_load(dir, false, &list, &e), 0, "%s", e.msg);
	cr_assert_eq(list.n, 2);
	cr_assert_str_eq(list.v[0].name, "a-image");
	cr_assert_str_eq(list.v[1].name, "b-image");
	image_list_free(&list);
	cr_assert_eq(image_list_load(dir, true, &list, &e), 0, "%s", e.msg);
	cr_assert_eq(list.n, 3);
	cr_assert_str_eq(list.v[2].name, "c-selftest");
	image_list_free(&list);

	p = xasprintf("%s/nope", dir);
	cr_assert_eq(image_list_load(p, false, &list, &e), -1);
	cr_assert(str_ends(e.msg, "nope: No such file or directory"));
	free(p);
}
