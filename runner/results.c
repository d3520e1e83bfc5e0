/*
 * The results model and merging. Merging keys checks by (target, host
 * class, id): one image owns each id, and shards never overlap, so the only
 * legitimate duplicate is the same file merged twice.
 */
#include "results.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static char *dup0(const char *s)
{
	return xstrdup(s ? s : "");
}

void results_init(struct results *r)
{
	memset(r, 0, sizeof(*r));
}

void results_free(struct results *r)
{
	size_t i;

	if (r->has_host)
		hostinfo_free(&r->host);
	free(r->started);
	free(r->shard);
	free(r->popek_version);
	free(r->popek_commit);
	free(r->interrupted);
	for (i = 0; i < r->ntargets; i++) {
		free(r->targets[i].name);
		free(r->targets[i].host_class);
		free(r->targets[i].reason);
		free(r->targets[i].command);
	}
	free(r->targets);
	for (i = 0; i < r->nimages; i++) {
		struct res_image *im = &r->images[i];

		free(im->target);
		free(im->host_class);
		free(im->image);
		free(im->reason);
		free(im->rerun);
		free(im->command);
		free(im->started);
		free(im->log_serial);
		free(im->log_stderr);
		free(im->log_info);
	}
	free(r->images);
	for (i = 0; i < r->nchecks; i++) {
		struct res_check *c = &r->checks[i];

		free(c->target);
		free(c->host_class);
		free(c->image);
		free(c->id);
		free(c->reason);
		free(c->description);
	}
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

struct res_target *results_add_target(struct results *r, const char *name,
				      const char *host_class, bool available,
				      const char *reason, const char *command)
{
	struct res_target *t;

	VEC_GROW(r->targets, r->ntargets, r->tcap);
	t = &r->targets[r->ntargets++];
	memset(t, 0, sizeof(*t));
	t->name = dup0(name);
	t->host_class = dup0(host_class);
	t->available = available;
	t->reason = dup0(reason);
	t->command = dup0(command);
	return t;
}

struct res_image *results_add_image(struct results *r, const char *target,
				    const char *host_class, const char *image)
{
	struct res_image *im;

	VEC_GROW(r->images, r->nimages, r->icap);
	im = &r->images[r->nimages++];
	memset(im, 0, sizeof(*im));
	im->target = dup0(target);
	im->host_class = dup0(host_class);
	im->image = dup0(image);
	im->ok = true;
	im->reason = dup0(NULL);
	im->exit_code = -1;
	im->rerun = dup0(NULL);
	im->command = dup0(NULL);
	im->started = dup0(NULL);
	im->log_serial = dup0(NULL);
	im->log_stderr = dup0(NULL);
	im->log_info = dup0(NULL);
	return im;
}

struct res_check *results_add_check(struct results *r, const char *target,
				    const char *host_class, const char *image,
				    const char *id, enum check_class cls,
				    const char *reason, const char *description)
{
	struct res_check *c;

	VEC_GROW(r->checks, r->nchecks, r->ccap);
	c = &r->checks[r->nchecks++];
	c->target = dup0(target);
	c->host_class = dup0(host_class);
	c->image = dup0(image);
	c->id = dup0(id);
	c->cls = cls;
	c->reason = dup0(reason);
	c->description = dup0(description);
	return c;
}

struct res_target *results_find_target(struct results *r, const char *name,
				       const char *host_class)
{
	size_t i;

	for (i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i].name, name) == 0 &&
		    strcmp(r->targets[i].host_class, host_class) == 0)
			return &r->targets[i];
	return NULL;
}

static char *key3(const char *a, const char *b, const char *c)
{
	/* Tabs never occur in target names, host classes or ids. */
	return xasprintf("%s\t%s\t%s", a, b, c);
}

int results_merge(struct results *into, const struct results *from,
		  const char *source, struct perr *e)
{
	struct strmap checks = {0}, images = {0};
	size_t i, at, base = into->nchecks;
	struct res_target *t;
	char *k;
	int ret = 0;

	for (i = 0; i < into->nchecks; i++) {
		k = key3(into->checks[i].target, into->checks[i].host_class,
			 into->checks[i].id);
		strmap_put(&checks, k, i);
		free(k);
	}
	for (i = 0; i < into->nimages; i++) {
		k = key3(into->images[i].target, into->images[i].host_class,
			 into->images[i].image);
		strmap_put(&images, k, i);
		free(k);
	}
	/* A merge started when its earliest run did (ISO 8601 sorts). */
	if (from->started && *from->started &&
	    (!into->started || !*into->started ||
	     strcmp(from->started, into->started) < 0)) {
		free(into->started);
		into->started = xstrdup(from->started);
	}
	/* A merge of a cut-short run is cut short too. */
	if (from->interrupted && *from->interrupted &&
	    !(into->interrupted && *into->interrupted)) {
		free(into->interrupted);
		into->interrupted = xstrdup(from->interrupted);
	}
	if (from->popek_version && *from->popek_version &&
	    !(into->popek_version && *into->popek_version)) {
		free(into->popek_version);
		into->popek_version = xstrdup(from->popek_version);
		free(into->popek_commit);
		into->popek_commit = dup0(from->popek_commit);
	}
	for (i = 0; i < from->ntargets; i++) {
		const struct res_target *ft = &from->targets[i];

		t = results_find_target(into, ft->name, ft->host_class);
		if (!t) {
			t = results_add_target(into, ft->name, ft->host_class,
					       ft->available, ft->reason,
					       ft->command);
		} else if (ft->available && !t->available) {
			t->available = true;
			free(t->reason);
			t->reason = xstrdup("");
		}
		t->seconds += ft->seconds;
	}
	for (i = 0; i < from->nimages; i++) {
		const struct res_image *fi = &from->images[i];
		struct res_image *im;

		k = key3(fi->target, fi->host_class, fi->image);
		if (strmap_get(&images, k, &at)) {
			free(k);
			continue;
		}
		strmap_put(&images, k, into->nimages);
		free(k);
		im = results_add_image(into, fi->target, fi->host_class,
				       fi->image);
		im->width = fi->width;
		im->ok = fi->ok;
		free(im->reason);
		im->reason = dup0(fi->reason);
		im->exit_code = fi->exit_code;
		im->seconds = fi->seconds;
		free(im->rerun);
		im->rerun = dup0(fi->rerun);
		free(im->command);
		im->command = dup0(fi->command);
		free(im->started);
		im->started = dup0(fi->started);
		free(im->log_serial);
		im->log_serial = dup0(fi->log_serial);
		free(im->log_stderr);
		im->log_stderr = dup0(fi->log_stderr);
		free(im->log_info);
		im->log_info = dup0(fi->log_info);
	}
	for (i = 0; i < from->nchecks && ret == 0; i++) {
		const struct res_check *fc = &from->checks[i];

		k = key3(fc->target, fc->host_class, fc->id);
		/*
		 * Within one file an id may appear twice (an image reporting
		 * another image's id): both entries are kept.
		 */
		if (strmap_get(&checks, k, &at) && at < base) {
			if (into->checks[at].cls != fc->cls)
				ret = perr_set(
					e,
					"%s: check %s on %s (%s) is "
					"%s, but an earlier file says"
					" %s",
					source, fc->id, fc->target,
					fc->host_class, class_name(fc->cls),
					class_name(into->checks[at].cls));
			free(k);
			continue;
		}
		if (!strmap_get(&checks, k, &at))
			strmap_put(&checks, k, into->nchecks);
		free(k);
		results_add_check(into, fc->target, fc->host_class, fc->image,
				  fc->id, fc->cls, fc->reason, fc->description);
	}
	strmap_free(&checks);
	strmap_free(&images);
	return ret;
}

bool results_all_skipped(const struct results *r)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (r->checks[i].cls != CLS_SKIP)
			return false;
	return r->nchecks > 0;
}

bool results_unexpected(const struct results *r)
{
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		if (class_unexpected(r->checks[i].cls))
			return true;
	for (i = 0; i < r->nimages; i++)
		if (!r->images[i].ok)
			return true;
	return false;
}
