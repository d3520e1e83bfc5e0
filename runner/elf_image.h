/*
 * Probe images: the ELF32 files a target boots. The runner reads only what
 * the protocol puts there for it (docs/protocol.md): the Popek note (width,
 * features, flags) and the declared checks.
 */
#ifndef POPEK_RUNNER_ELF_IMAGE_H
#define POPEK_RUNNER_ELF_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct check_decl {
	char *id;
	char *description;
};

struct image {
	char *name; /* file name without .elf */
	char *path; /* absolute when loaded from a directory */
	uint32_t width, features, flags;
	struct check_decl *checks;
	size_t nchecks, cap;
};

struct image_list {
	struct image *v;
	size_t n, cap;
};

/* True when id is family.group.name[.variant...] per docs/protocol.md. */
bool check_id_valid(const char *id);

/* Parse an image held in memory; messages name `path`. */
int image_parse(const char *path, const uint8_t *data, size_t len,
		struct image *img, struct perr *e);
int image_load(const char *path, struct image *img, struct perr *e);
void image_free(struct image *img);
const struct check_decl *image_find_check(const struct image *img,
					  const char *id);

/*
 * Every *.elf in dir, sorted by name. Self-test images are left out unless
 * include_selftest: they are deliberately broken.
 */
int image_list_load(const char *dir, bool include_selftest,
		    struct image_list *list, struct perr *e);
void image_list_free(struct image_list *list);
/* Does an image match any of the filters (its name or one of its ids)? */
bool image_matches(const struct image *img, char **filters, int nfilters);

#endif
