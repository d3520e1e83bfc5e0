/* A fake image and target for runner unit tests (fake_image.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "fake_image.h"

void fake_image(struct image *img, const char *const *ids)
{
	memset(img, 0, sizeof(*img));
	img->name = xstrdup("img");
	img->path = xstrdup("/x/img.elf");
	img->width = 32;
	for (; *ids; ids++) {
		VEC_GROW(img->checks, img->nchecks, img->cap);
		img->checks[img->nchecks].id = xstrdup(*ids);
		img->checks[img->nchecks].description =
			xasprintf("desc of %s", *ids);
		img->nchecks++;
	}
}

void fake_target(struct target *tgt, const char *text)
{
	struct perr e;

	cr_assert_eq(target_parse("/t/fake.conf", text, tgt, &e), 0, "%s",
		     e.msg);
}
