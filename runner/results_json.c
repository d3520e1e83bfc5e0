/*
 * JSON in and out. Result files travel between hosts and outlive the
 * binary that wrote them, so loading validates every member and names the
 * file and the offending entry in its message.
 */
#include "results_json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "outpath.h"
#include "version.h"

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *host_json(const struct hostinfo *h)
{
	json_t *flags = json_array();
	size_t i;

	for (i = 0; i < h->nflags; i++)
		json_array_append_new(flags, json_string(h->flags[i]));
	return json_pack("{s:s, s:s, s:i, s:i, s:o, s:s, s:s, s:s, s:s}",
			 "vendor", h->vendor, "model_name", h->model_name,
			 "family", h->family, "model", h->model, "flags", flags,
			 "kvm_backend", h->backend, "kernel",
			 h->kernel ? h->kernel : "", "host_class",
			 h->host_class, "hostname", h->hostname);
}

/* The files --logs wrote for an image, or null. */
static json_t *logs_json(const struct res_image *im)
{
	if (!*im->log_serial && !*im->log_stderr && !*im->log_info)
		return json_null();
	return json_pack("{s:o, s:o, s:o}", "serial",
			 str_or_null(im->log_serial), "stderr",
			 str_or_null(im->log_stderr), "info",
			 str_or_null(im->log_info));
}

int results_json_write(const struct results *r, const char *path,
		       struct perr *e)
{
	struct outfile out;
	json_t *root, *targets = json_array(), *images = json_array();
	json_t *checks = json_array();
	size_t i;
	int ret = 0;

	for (i = 0; i < r->ntargets; i++) {
		const struct res_target *t = &r->targets[i];

		json_array_append_new(
			targets,
			json_pack("{s:s, s:s, s:b, s:o, s:s, s:f}", "name",
				  t->name, "host_class", t->host_class,
				  "available", t->available, "reason",
				  str_or_null(t->reason), "command", t->command,
				  "seconds", t->seconds));
	}
	for (i = 0; i < r->nimages; i++) {
		const struct res_image *im = &r->images[i];

		json_array_append_new(
			images,
			json_pack(
				"{s:s, s:s, s:s, s:i, s:s, s:o, s:o, s:f, "
				"s:s, s:s, s:o, s:o}",
				"target", im->target, "host_class",
				im->host_class, "image", im->image, "width",
				(int)im->width, "status",
				!im->ok			    ? "error"
				: im->reason && *im->reason ? "xerror"
							    : "ok",
				"reason", str_or_null(im->reason), "exit_code",
				im->exit_code < 0 ? json_null()
						  : json_integer(im->exit_code),
				"seconds", im->seconds, "rerun", im->rerun,
				"command", im->command, "started",
				str_or_null(im->started), "logs",
				logs_json(im)));
	}
	for (i = 0; i < r->nchecks; i++) {
		const struct res_check *c = &r->checks[i];

		json_array_append_new(
			checks,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}",
				  "target", c->target, "host_class",
				  c->host_class, "image", c->image, "id", c->id,
				  "result", class_name(c->cls), "reason",
				  str_or_null(c->reason), "description",
				  c->description));
	}
	root = json_pack(
		"{s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"popek_results", POPEK_RESULTS_VERSION, "popek_version",
		popek_version(), "popek_commit", popek_commit(), "host",
		r->has_host ? host_json(&r->host) : json_null(), "started",
		str_or_null(r->started), "shard", str_or_null(r->shard),
		"interrupted", str_or_null(r->interrupted), "targets", targets,
		"images", images, "checks", checks);
	if (!root)
		return perr_set(e, "%s: cannot build the JSON document", path);
	if (outpath_open(&out, path, e) < 0) {
		json_decref(root);
		return -1;
	}
	if (json_dumpf(root, out.f, JSON_INDENT(1)) < 0) {
		outpath_abort(&out);
		ret = perr_set(e, "cannot write %s", path);
	} else {
		ret = outpath_commit(&out, e);
	}
	json_decref(root);
	return ret;
}

struct loader {
	const char *path;
	struct perr *e;
};

/*
 * A string member. Missing or null gives def (NULL def: required). The
 * message names the array, the entry and the member.
 */
static int get_str(struct loader *l, json_t *obj, const char *where, size_t idx,
		   const char *key, const char *def, const char **out)
{
	json_t *v = json_object_get(obj, key);

	if ((!v || json_is_null(v)) && def) {
		*out = def;
		return 0;
	}
	/*
	 * -1, not perr_set()'s value: the callers read *out after a 0 and
	 * the compiler must see that only the error path leaves it unset.
	 */
	if (!json_is_string(v)) {
		perr_set(l->e, "%s: %s[%zu]: \"%s\" must be a string", l->path,
			 where, idx, key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int get_num(struct loader *l, json_t *obj, const char *where, size_t idx,
		   const char *key, double def, double *out)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_number(v)) {
		perr_set(l->e, "%s: %s[%zu]: \"%s\" must be a number", l->path,
			 where, idx, key);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

static json_t *get_array(struct loader *l, json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);

	if (!json_is_array(v)) {
		perr_set(l->e, "%s: \"%s\" must be an array", l->path, key);
		return NULL;
	}
	return v;
}

static int load_host(struct loader *l, json_t *h, struct results *r)
{
	const char *vendor, *model_name, *backend, *hostname, *hc, *kernel;
	struct strbuf flags = {0};
	json_t *fl, *f;
	json_int_t fam, mod;
	size_t i;

	if (json_is_null(h) || !h)
		return 0;
	if (!json_is_object(h))
		return perr_set(l->e, "%s: \"host\" must be an object or null",
				l->path);
	if (get_str(l, h, "host", 0, "vendor", NULL, &vendor) < 0 ||
	    get_str(l, h, "host", 0, "model_name", "", &model_name) < 0 ||
	    get_str(l, h, "host", 0, "kvm_backend", "none", &backend) < 0 ||
	    get_str(l, h, "host", 0, "hostname", "", &hostname) < 0 ||
	    get_str(l, h, "host", 0, "kernel", "", &kernel) < 0 ||
	    get_str(l, h, "host", 0, "host_class", NULL, &hc) < 0)
		return -1;
	fam = json_integer_value(json_object_get(h, "family"));
	mod = json_integer_value(json_object_get(h, "model"));
	fl = json_object_get(h, "flags");
	json_array_foreach(fl, i, f)
	{
		if (json_is_string(f)) {
			sb_adds(&flags, json_string_value(f));
			sb_adds(&flags, " ");
		}
	}
	hostinfo_set(&r->host, vendor, model_name, (int)fam, (int)mod,
		     sb_str(&flags), backend);
	sb_free(&flags);
	hostinfo_set_kernel(&r->host, kernel);
	/* Keep the recorded class even if the formula changes later. */
	free(r->host.host_class);
	r->host.host_class = xstrdup(hc);
	free(r->host.hostname);
	r->host.hostname = xstrdup(hostname);
	r->has_host = true;
	return 0;
}

static int load_targets(struct loader *l, json_t *arr, struct results *r,
			const char *hc)
{
	const char *name, *cls, *reason, *command;
	struct res_target *t;
	json_t *o, *avail;
	double secs;
	size_t i;

	json_array_foreach(arr, i, o)
	{
		if (!json_is_object(o))
			return perr_set(l->e,
					"%s: targets[%zu] must be an "
					"object",
					l->path, i);
		avail = json_object_get(o, "available");
		if (!json_is_boolean(avail))
			return perr_set(l->e,
					"%s: targets[%zu]: \"available\""
					" must be true or false",
					l->path, i);
		if (get_str(l, o, "targets", i, "name", NULL, &name) < 0 ||
		    get_str(l, o, "targets", i, "host_class", hc, &cls) < 0 ||
		    get_str(l, o, "targets", i, "reason", "", &reason) < 0 ||
		    get_str(l, o, "targets", i, "command", "", &command) < 0 ||
		    get_num(l, o, "targets", i, "seconds", 0, &secs) < 0)
			return -1;
		t = results_add_target(r, name, cls, json_is_true(avail),
				       reason, command);
		t->seconds = secs;
	}
	return 0;
}

/* Members added within version 1: absent in older files. */
static int load_image_extras(struct loader *l, json_t *o, size_t i,
			     struct res_image *im)
{
	const char *started, *serial, *err, *info;
	json_t *logs = json_object_get(o, "logs");

	if (get_str(l, o, "images", i, "started", "", &started) < 0)
		return -1;
	free(im->started);
	im->started = xstrdup(started);
	if (!logs || json_is_null(logs))
		return 0;
	if (!json_is_object(logs))
		return perr_set(l->e,
				"%s: images[%zu]: \"logs\" must be an "
				"object or null",
				l->path, i);
	if (get_str(l, logs, "images", i, "serial", "", &serial) < 0 ||
	    get_str(l, logs, "images", i, "stderr", "", &err) < 0 ||
	    get_str(l, logs, "images", i, "info", "", &info) < 0)
		return -1;
	free(im->log_serial);
	im->log_serial = xstrdup(serial);
	free(im->log_stderr);
	im->log_stderr = xstrdup(err);
	free(im->log_info);
	im->log_info = xstrdup(info);
	return 0;
}

static int load_images(struct loader *l, json_t *arr, struct results *r,
		       const char *hc)
{
	const char *target, *cls, *image, *status, *reason, *rerun, *command;
	struct res_image *im;
	double width, exit_code, secs;
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o)
	{
		if (!json_is_object(o))
			return perr_set(l->e,
					"%s: images[%zu] must be an "
					"object",
					l->path, i);
		if (get_str(l, o, "images", i, "target", NULL, &target) < 0 ||
		    get_str(l, o, "images", i, "host_class", hc, &cls) < 0 ||
		    get_str(l, o, "images", i, "image", NULL, &image) < 0 ||
		    get_str(l, o, "images", i, "status", NULL, &status) < 0 ||
		    get_str(l, o, "images", i, "reason", "", &reason) < 0 ||
		    get_str(l, o, "images", i, "rerun", "", &rerun) < 0 ||
		    get_str(l, o, "images", i, "command", "", &command) < 0 ||
		    get_num(l, o, "images", i, "width", 0, &width) < 0 ||
		    get_num(l, o, "images", i, "exit_code", -1, &exit_code) <
			    0 ||
		    get_num(l, o, "images", i, "seconds", 0, &secs) < 0)
			return -1;
		if (strcmp(status, "ok") != 0 && strcmp(status, "error") != 0 &&
		    strcmp(status, "xerror") != 0)
			return perr_set(l->e,
					"%s: images[%zu]: \"status\" "
					"must be \"ok\", \"xerror\" or "
					"\"error\"",
					l->path, i);
		im = results_add_image(r, target, cls, image);
		im->width = (unsigned)width;
		im->ok = strcmp(status, "error") != 0;
		free(im->reason);
		im->reason = xstrdup(reason);
		im->exit_code = (int)exit_code;
		im->seconds = secs;
		free(im->rerun);
		im->rerun = xstrdup(rerun);
		free(im->command);
		im->command = xstrdup(command);
		if (load_image_extras(l, o, i, im) < 0)
			return -1;
	}
	return 0;
}

static int load_checks(struct loader *l, json_t *arr, struct results *r,
		       const char *hc)
{
	const char *target, *cls, *image, *id, *result, *reason, *desc;
	json_t *o;
	size_t i;
	int c;

	json_array_foreach(arr, i, o)
	{
		if (!json_is_object(o))
			return perr_set(l->e,
					"%s: checks[%zu] must be an "
					"object",
					l->path, i);
		if (get_str(l, o, "checks", i, "target", NULL, &target) < 0 ||
		    get_str(l, o, "checks", i, "host_class", hc, &cls) < 0 ||
		    get_str(l, o, "checks", i, "image", "", &image) < 0 ||
		    get_str(l, o, "checks", i, "id", NULL, &id) < 0 ||
		    get_str(l, o, "checks", i, "result", NULL, &result) < 0 ||
		    get_str(l, o, "checks", i, "reason", "", &reason) < 0 ||
		    get_str(l, o, "checks", i, "description", "", &desc) < 0)
			return -1;
		c = class_from_name(result);
		if (c < 0)
			return perr_set(l->e,
					"%s: checks[%zu]: unknown result"
					" \"%s\" (expected pass, fail, "
					"xfail, xpass, skip, error or "
					"either)",
					l->path, i, result);
		results_add_check(r, target, cls, image, id,
				  (enum check_class)c, reason, desc);
	}
	return 0;
}

/* An optional top-level string; anything else reads as absent. */
static void load_top_str(json_t *root, const char *key, char **out)
{
	json_t *v = json_object_get(root, key);

	if (json_is_string(v))
		*out = xstrdup(json_string_value(v));
}

int results_json_load(const char *path, struct results *r, struct perr *e)
{
	struct loader l = {path, e};
	json_t *root, *ver, *targets, *images, *checks;
	const char *hc = NULL;
	json_error_t err;
	int ret = -1;

	results_init(r);
	root = json_load_file(path, 0, &err);
	if (!root) {
		if (err.line < 0)
			return perr_set(e, "%s: %s", path, err.text);
		return perr_set(e, "%s:%d:%d: malformed JSON: %s", path,
				err.line, err.column, err.text);
	}
	if (!json_is_object(root)) {
		perr_set(e, "%s: not a popek results file (not a JSON object)",
			 path);
		goto out;
	}
	ver = json_object_get(root, "popek_results");
	if (!ver) {
		perr_set(e,
			 "%s: not a popek results file (no "
			 "\"popek_results\" member)",
			 path);
		goto out;
	}
	if (!json_is_integer(ver) ||
	    json_integer_value(ver) != POPEK_RESULTS_VERSION) {
		perr_set(e,
			 "%s: unsupported results version (this popek reads"
			 " \"popek_results\": %d)",
			 path, POPEK_RESULTS_VERSION);
		goto out;
	}
	if (load_host(&l, json_object_get(root, "host"), r) < 0)
		goto out;
	if (r->has_host)
		hc = r->host.host_class;
	if (json_is_string(json_object_get(root, "started")))
		r->started = xstrdup(
			json_string_value(json_object_get(root, "started")));
	if (json_is_string(json_object_get(root, "shard")))
		r->shard = xstrdup(
			json_string_value(json_object_get(root, "shard")));
	load_top_str(root, "popek_version", &r->popek_version);
	load_top_str(root, "popek_commit", &r->popek_commit);
	load_top_str(root, "interrupted", &r->interrupted);
	targets = get_array(&l, root, "targets");
	images = targets ? get_array(&l, root, "images") : NULL;
	checks = images ? get_array(&l, root, "checks") : NULL;
	if (!checks)
		goto out;
	if (load_targets(&l, targets, r, hc) < 0 ||
	    load_images(&l, images, r, hc) < 0 ||
	    load_checks(&l, checks, r, hc) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	if (ret < 0)
		results_free(r);
	return ret;
}
