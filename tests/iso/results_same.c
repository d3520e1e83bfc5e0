/*
 * results_same A.json B.json: do two results files say the same thing
 * about the same images? Every image's status, reason and exit code and
 * every check's result and reason must match; what may differ is how the
 * images were run (target name, host class, times, commands). Used to
 * show that an ISO run equals the -kernel run of the same images, and
 * that an ingested capture equals the live run. Exit 0 same, 1 not (each
 * difference on stdout), 2 bad usage or unreadable file.
 */
#include <stdio.h>
#include <string.h>

#include "results.h"
#include "results_json.h"

#define MAX_SHOWN 20

static const struct res_image *find_image(const struct results *r,
					  const char *name)
{
	for (size_t i = 0; i < r->nimages; i++)
		if (!strcmp(r->images[i].image, name))
			return &r->images[i];
	return NULL;
}

static const struct res_check *find_check(const struct results *r,
					  const char *image, const char *id)
{
	for (size_t i = 0; i < r->nchecks; i++)
		if (!strcmp(r->checks[i].image, image) &&
		    !strcmp(r->checks[i].id, id))
			return &r->checks[i];
	return NULL;
}

static size_t diffs;

static void diff(const char *fmt, const char *a, const char *b, const char *c)
{
	if (diffs++ < MAX_SHOWN) {
		printf(fmt, a, b, c);
		putchar('\n');
	}
}

/* Everything in a is in b the same way. */
static void compare(const struct results *a, const struct results *b,
		    const char *an, const char *bn)
{
	char ea[32], eb[32];

	for (size_t i = 0; i < a->nimages; i++) {
		const struct res_image *x = &a->images[i],
				       *y = find_image(b, x->image);

		if (!y) {
			diff("image %s: in %s, not in %s", x->image, an, bn);
			continue;
		}
		snprintf(ea, sizeof(ea), "%d", x->exit_code);
		snprintf(eb, sizeof(eb), "%d", y->exit_code);
		if (x->ok != y->ok || strcmp(x->reason, y->reason))
			diff("image %s: status '%s' vs '%s'", x->image,
			     x->reason, y->reason);
		if (strcmp(ea, eb))
			diff("image %s: exit code %s vs %s", x->image, ea, eb);
	}
	for (size_t i = 0; i < a->nchecks; i++) {
		const struct res_check *x = &a->checks[i],
				       *y = find_check(b, x->image, x->id);

		if (!y) {
			diff("check %s: in %s, not in %s", x->id, an, bn);
			continue;
		}
		if (x->cls != y->cls)
			diff("check %s: %s vs %s", x->id, class_name(x->cls),
			     class_name(y->cls));
		else if (strcmp(x->reason, y->reason))
			diff("check %s: reason '%s' vs '%s'", x->id, x->reason,
			     y->reason);
	}
}

int main(int argc, char **argv)
{
	struct results a, b;
	struct perr e = {{0}};

	if (argc != 3) {
		fputs("usage: results_same A.json B.json\n", stderr);
		return 2;
	}
	if (results_json_load(argv[1], &a, &e) < 0 ||
	    results_json_load(argv[2], &b, &e) < 0) {
		fprintf(stderr, "results_same: %s\n", e.msg);
		return 2;
	}
	compare(&a, &b, argv[1], argv[2]);
	/* and nothing in b that a lacks */
	for (size_t i = 0; i < b.nchecks; i++)
		if (!find_check(&a, b.checks[i].image, b.checks[i].id))
			diff("check %s: in %s, not in %s", b.checks[i].id,
			     argv[2], argv[1]);
	for (size_t i = 0; i < b.nimages; i++)
		if (!find_image(&a, b.images[i].image))
			diff("image %s: in %s, not in %s", b.images[i].image,
			     argv[2], argv[1]);
	if (diffs > MAX_SHOWN)
		printf("... %zu differences in all\n", diffs);
	printf("%s and %s: %zu images, %zu checks, %s\n", argv[1], argv[2],
	       a.nimages, a.nchecks, diffs ? "DIFFERENT" : "the same");
	results_free(&a);
	results_free(&b);
	return diffs ? 1 : 0;
}
