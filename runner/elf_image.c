/*
 * ELF32 reading for probe images. Images come from a build we may be
 * debugging, so every offset and size is checked against the file before
 * it is used: a malformed image gives one line of error, never a crash.
 */
#include "elf_image.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <popek/check_pattern.h>
#include <popek/image.h>

static bool id_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

bool check_id_valid(const char *id)
{
	size_t comp_len = 0;
	int comps = 1;

	if (!*id)
		return false;
	for (; *id; id++) {
		if (*id == '.') {
			if (comp_len == 0)
				return false;
			comps++;
			comp_len = 0;
			continue;
		}
		if (!id_char_ok(*id))
			return false;
		comp_len++;
	}
	return comp_len > 0 && comps >= 3;
}

/* Bounds test without overflow: [off, off + size) inside [0, len). */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

struct section {
	const char *name;
	uint32_t type;
	uint32_t offset, size;
};

static int find_section(const char *path, const uint8_t *data, size_t len,
			const Elf32_Ehdr *eh, const char *want,
			struct section *out, struct perr *e)
{
	Elf32_Shdr strsh, sh;
	uint32_t i;

	memcpy(&strsh,
	       data + eh->e_shoff + (uint64_t)eh->e_shstrndx * eh->e_shentsize,
	       sizeof(strsh));
	if (!in_file(strsh.sh_offset, strsh.sh_size, len))
		return perr_set(e,
				"%s: truncated: section name table "
				"extends beyond end of file",
				path);
	for (i = 0; i < eh->e_shnum; i++) {
		const char *names = (const char *)data + strsh.sh_offset;

		memcpy(&sh, data + eh->e_shoff + (uint64_t)i * eh->e_shentsize,
		       sizeof(sh));
		if (sh.sh_name >= strsh.sh_size ||
		    !memchr(names + sh.sh_name, '\0',
			    strsh.sh_size - sh.sh_name))
			return perr_set(e,
					"%s: section %u has a bad name "
					"offset",
					path, i);
		if (strcmp(names + sh.sh_name, want) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return perr_set(e, "%s: section %s has no contents",
					path, want);
		if (!in_file(sh.sh_offset, sh.sh_size, len))
			return perr_set(e,
					"%s: truncated: section %s "
					"extends beyond end of file",
					path, want);
		out->name = want;
		out->type = sh.sh_type;
		out->offset = sh.sh_offset;
		out->size = sh.sh_size;
		return 1;
	}
	return 0;
}

static uint64_t align4(uint64_t n)
{
	return (n + 3u) & ~(uint64_t)3u;
}

static int parse_note(const char *path, const uint8_t *data,
		      const struct section *s, struct image *img,
		      struct perr *e)
{
	const uint8_t *p = data + s->offset;
	uint64_t left = s->size;
	static const char want[] = POPEK_NOTE_NAME;

	while (left >= sizeof(Elf32_Nhdr)) {
		struct popek_image_note note;
		uint64_t name_sz, desc_sz;
		Elf32_Nhdr nh;

		memcpy(&nh, p, sizeof(nh));
		p += sizeof(nh);
		left -= sizeof(nh);
		name_sz = align4(nh.n_namesz);
		desc_sz = align4(nh.n_descsz);
		/* The last descriptor's padding may be cut off by the section.
		 */
		if (name_sz + nh.n_descsz > left)
			return perr_set(e, "%s: truncated note in .note.popek",
					path);
		if (nh.n_namesz == sizeof(want) &&
		    nh.n_type == POPEK_NOTE_IMAGE &&
		    memcmp(p, want, sizeof(want)) == 0) {
			if (nh.n_descsz < sizeof(note))
				return perr_set(e,
						"%s: Popek note is %u bytes,"
						" expected %zu",
						path, nh.n_descsz,
						sizeof(note));
			memcpy(&note, p + name_sz, sizeof(note));
			if (note.width != 32 && note.width != 64)
				return perr_set(e,
						"%s: Popek note gives width "
						"%u, expected 32 or 64",
						path, note.width);
			img->width = note.width;
			img->features = note.features;
			img->flags = note.flags;
			return 0;
		}
		if (name_sz + desc_sz >= left)
			break;
		p += name_sz + desc_sz;
		left -= name_sz + desc_sz;
	}
	return perr_set(e,
			"%s: .note.popek holds no note named \"%s\" of "
			"type %d",
			path, POPEK_NOTE_NAME, POPEK_NOTE_IMAGE);
}

const struct check_decl *image_find_check(const struct image *img,
					  const char *id)
{
	size_t i;

	for (i = 0; i < img->nchecks; i++)
		if (strcmp(img->checks[i].id, id) == 0)
			return &img->checks[i];
	return NULL;
}

/* One concrete check: a plain record, or one member of a family. */
static int add_check(const char *path, size_t recno, const char *id,
		     const char *desc, struct image *img, struct perr *e)
{
	struct check_decl *d;

	if (!check_id_valid(id))
		return perr_set(e,
				"%s: bad check record %zu in %s: id '%.80s'"
				" is not family.group.name[.variant] "
				"([a-z0-9_-] components)",
				path, recno, POPEK_CHECKS_SECTION, id);
	d = (struct check_decl *)image_find_check(img, id);
	/* One check reported from two paths (pass, or skip) is declared
	 * twice with the same words; different words are two meanings. */
	if (d && strcmp(d->description, desc) == 0)
		return 0;
	if (d)
		return perr_set(e,
				"%s: check %s declared twice with different "
				"descriptions",
				path, id);
	VEC_GROW(img->checks, img->nchecks, img->cap);
	d = &img->checks[img->nchecks++];
	d->id = xstrdup(id);
	d->description = xstrdup(desc);
	return 0;
}

/* More would be a typing slip, not a family. */
#define MAX_FAMILY 65536

/* A record: an id, or an id pattern standing for a family of checks. */
static int parse_record(const char *path, char *line, size_t recno,
			struct image *img, struct perr *e)
{
	struct popek_group g[POPEK_PATTERN_MAX_GROUPS];
	int sel[POPEK_PATTERN_MAX_GROUPS], n, i;
	char *tab = strchr(line, '\t'), *desc;
	const char *err;
	size_t members = 1;

	if (!tab)
		return perr_set(e,
				"%s: bad check record %zu in %s: no tab "
				"between id and description",
				path, recno, POPEK_CHECKS_SECTION);
	*tab = '\0';
	desc = str_trim(tab + 1);
	if (!*line)
		return perr_set(e, "%s: bad check record %zu in %s: empty id",
				path, recno, POPEK_CHECKS_SECTION);
	n = popek_pattern_groups(line, strlen(line), g, &err);
	for (i = 0; i < n && members <= MAX_FAMILY; i++)
		members *= (size_t)(g[i].last - g[i].first + 1);
	if (n >= 0 && members > MAX_FAMILY) {
		n = -1;
		err = "expands to more than 65536 ids";
	}
	if (n < 0)
		goto bad_pattern;
	popek_pattern_first(g, n, sel);
	do {
		char id[256], d[1024];

		if (popek_pattern_expand(id, sizeof(id), line, strlen(line),
					 false, g, n, sel, &err) < 0)
			goto bad_pattern;
		if (popek_pattern_expand(d, sizeof(d), desc, strlen(desc), true,
					 g, n, sel, &err) < 0)
			return perr_set(e,
					"%s: bad check record %zu in %s: "
					"description of '%.80s': %s",
					path, recno, POPEK_CHECKS_SECTION, line,
					err);
		if (add_check(path, recno, id, d, img, e) < 0)
			return -1;
	} while (popek_pattern_next(g, n, sel));
	return 0;

bad_pattern:
	return perr_set(e,
			"%s: bad check record %zu in %s: pattern '%.80s': %s",
			path, recno, POPEK_CHECKS_SECTION, line, err);
}

static int parse_checks(const char *path, const uint8_t *data,
			const struct section *s, struct image *img,
			struct perr *e)
{
	char *text = xmalloc((size_t)s->size + 1), *line, *nl;
	size_t n = 0, recno = 0;
	uint32_t i;
	int ret = 0;

	/* NUL bytes are the linker's padding between records. */
	for (i = 0; i < s->size; i++)
		if (data[s->offset + i])
			text[n++] = (char)data[s->offset + i];
	text[n] = '\0';
	for (line = text; *line && ret == 0; line = nl) {
		size_t l;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		recno++;
		l = strlen(line);
		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		if (l == 0)
			continue;
		ret = parse_record(path, line, recno, img, e);
	}
	free(text);
	return ret;
}

int image_parse(const char *path, const uint8_t *data, size_t len,
		struct image *img, struct perr *e)
{
	Elf32_Ehdr eh;
	struct section note, checks;
	int r;

	memset(img, 0, sizeof(*img));
	if (len < SELFMAG || memcmp(data, ELFMAG, SELFMAG) != 0)
		return perr_set(e, "%s: not an ELF file", path);
	if (len < EI_NIDENT)
		return perr_set(e, "%s: truncated ELF header", path);
	if (data[EI_CLASS] == ELFCLASS64)
		return perr_set(e,
				"%s: ELF64 file; probe images are ELF32 "
				"(objcopy -O elf32-i386)",
				path);
	if (data[EI_CLASS] != ELFCLASS32)
		return perr_set(e, "%s: unknown ELF class %u", path,
				data[EI_CLASS]);
	if (data[EI_DATA] != ELFDATA2LSB)
		return perr_set(e, "%s: not a little-endian ELF file", path);
	if (len < sizeof(eh))
		return perr_set(e, "%s: truncated ELF header", path);
	memcpy(&eh, data, sizeof(eh));
	if (eh.e_machine != EM_386)
		return perr_set(e, "%s: ELF machine %u, expected EM_386 (3)",
				path, eh.e_machine);
	if (eh.e_shnum == 0 || eh.e_shoff == 0)
		return perr_set(e, "%s: no section headers", path);
	if (eh.e_shentsize < sizeof(Elf32_Shdr))
		return perr_set(e, "%s: section header size %u, expected %zu",
				path, eh.e_shentsize, sizeof(Elf32_Shdr));
	if (!in_file(eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize, len))
		return perr_set(e,
				"%s: truncated: section headers extend "
				"beyond end of file",
				path);
	if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
		return perr_set(e, "%s: bad section name table index %u", path,
				eh.e_shstrndx);

	r = find_section(path, data, len, &eh, ".note.popek", &note, e);
	if (r < 0)
		return r;
	if (r == 0)
		return perr_set(e,
				"%s: no .note.popek section (not a Popek "
				"probe image?)",
				path);
	r = find_section(path, data, len, &eh, POPEK_CHECKS_SECTION, &checks,
			 e);
	if (r < 0)
		return r;
	if (r == 0)
		return perr_set(e, "%s: no %s section", path,
				POPEK_CHECKS_SECTION);
	if (parse_note(path, data, &note, img, e) < 0 ||
	    parse_checks(path, data, &checks, img, e) < 0) {
		image_free(img);
		return -1;
	}
	return 0;
}

int image_load(const char *path, struct image *img, struct perr *e)
{
	const char *base = strrchr(path, '/');
	size_t len;
	char *data;
	int r;

	data = read_whole_file(path, &len, e);
	if (!data)
		return -1;
	r = image_parse(path, (const uint8_t *)data, len, img, e);
	free(data);
	if (r < 0)
		return r;
	base = base ? base + 1 : path;
	img->name = str_ends(base, ".elf") ? xstrndup(base, strlen(base) - 4)
					   : xstrdup(base);
	img->path = xstrdup(path);
	return 0;
}

void image_free(struct image *img)
{
	size_t i;

	for (i = 0; i < img->nchecks; i++) {
		free(img->checks[i].id);
		free(img->checks[i].description);
	}
	free(img->checks);
	free(img->name);
	free(img->path);
	memset(img, 0, sizeof(*img));
}

static int image_cmp(const void *a, const void *b)
{
	return strcmp(((const struct image *)a)->name,
		      ((const struct image *)b)->name);
}

int image_list_load(const char *dir, bool include_selftest,
		    struct image_list *list, struct perr *e)
{
	char absdir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	memset(list, 0, sizeof(*list));
	if (!realpath(dir, absdir))
		return perr_set(e, "images directory %s: %s", dir,
				strerror(errno));
	d = opendir(absdir);
	if (!d)
		return perr_set(e, "images directory %s: %s", dir,
				strerror(errno));
	while ((de = readdir(d))) {
		struct image img;
		char *path;
		int r;

		if (de->d_name[0] == '.' || !str_ends(de->d_name, ".elf"))
			continue;
		path = xasprintf("%s/%s", absdir, de->d_name);
		r = image_load(path, &img, e);
		free(path);
		if (r < 0) {
			closedir(d);
			image_list_free(list);
			return r;
		}
		if ((img.flags & POPEK_IMAGE_SELFTEST) && !include_selftest) {
			image_free(&img);
			continue;
		}
		VEC_GROW(list->v, list->n, list->cap);
		list->v[list->n++] = img;
	}
	closedir(d);
	qsort(list->v, list->n, sizeof(*list->v), image_cmp);
	return 0;
}

void image_list_free(struct image_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		image_free(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

bool image_matches(const struct image *img, char **filters, int nfilters)
{
	size_t j;
	int i;

	if (nfilters == 0)
		return true;
	for (i = 0; i < nfilters; i++) {
		if (fnmatch(filters[i], img->name, 0) == 0)
			return true;
		for (j = 0; j < img->nchecks; j++)
			if (fnmatch(filters[i], img->checks[j].id, 0) == 0)
				return true;
	}
	return false;
}
