/*
 * Targets: the hypervisors under test, one targets/NAME.conf each
 * (docs/targets.md). A target is data: how to boot an image, how long to
 * wait, what it needs on the host, and which checks it is known to fail.
 */
#ifndef POPEK_RUNNER_TARGET_H
#define POPEK_RUNNER_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "hostinfo.h"
#include "util.h"

#define TARGET_DEFAULT_TIMEOUT	    60
#define TARGET_DEFAULT_OUTPUT_LIMIT (1024 * 1024)

enum requirement_kind { REQ_BINARY, REQ_DEVICE, REQ_FILE, REQ_COMMAND };

struct requirement {
	enum requirement_kind kind;
	char *arg;  /* params and {env:NAME} substituted */
	char *tmpl; /* as written */
	int line;
};

/* param NAME = VALUE: a value a run may change (--target-set NAME=V). */
struct target_param {
	char *name, *value;
	int line;
};

/* The directories target files are looked up in, first match first. */
struct target_path {
	char **dirs;
	size_t n;
};

enum condition_kind {
	COND_VENDOR,
	COND_FEATURE,
	COND_NO_FEATURE,
	COND_BACKEND,
	COND_EMULATOR,
	COND_KERNEL
};

/* kernel OP VERSION */
enum version_op { VOP_EQ, VOP_NE, VOP_LT, VOP_LE, VOP_GT, VOP_GE };

struct condition {
	enum condition_kind kind;
	char *value; /* after '=' (vendor, flag, backend, emulator); the
		      * version */
	enum version_op op;
	struct kernel_version version;
};

/*
 * One expectation line: xfail, xerror or either (docs/targets.md).
 */
struct xfail_rule {
	char *glob;
	struct condition *conds;
	size_t nconds;
	char *reason;
	int line;
	/* xerror: also covers the check never being reported because the
	 * target broke (timeout, crash, internal error) */
	bool covers_error;
	/* either: the check may pass or fail on the hosts named; it never
	 * covers an error */
	bool either;
};

struct target {
	char *name, *description, *path;
	char **argv; /* the command template, split on spaces, with params
		      * and {env:NAME} substituted (target_resolve) */
	size_t argc;
	char **tmpl; /* the command as written */
	size_t ntmpl;
	int command_line;
	struct target_param *params;
	size_t nparams;
	/* why the command cannot be made here (an {env:NAME} not set), or
	 * NULL; target_usable reports it */
	char *unresolved;
	/* named on the command line by its path (-t FILE.conf) */
	bool from_file;
	struct requirement *reqs;
	size_t nreqs;
	unsigned timeout;
	size_t output_limit;
	bool width32, width64;
	struct xfail_rule *xfails;
	size_t nxfails;
	/* images the target cannot run yet (unsupported = GLOB : reason) */
	struct unsupported_rule {
		char *glob, *reason;
	} * unsupported;
	size_t nunsupported;
	/* stderr substrings that mean the target is dead even though its
	 * process lives on (QEMU stops the VM on a KVM internal error) */
	char **fatal_stderr;
	size_t nfatal_stderr;
	/* boot = iso: the target boots one ISO holding several images and
	 * the ISO sequencer (docs/iso.md), not one image per run */
	bool boot_iso;
	/* restarts = N, restart_time = S: the target's defaults for
	 * --restarts and --restart-time (0: not given) */
	unsigned restarts, restart_time;
	/* restart_images = GLOB ...: the images restarts = N applies to
	 * (none given: every image) */
	char **restart_images;
	size_t nrestart_images;
};

struct target_list {
	struct target *v;
	size_t n, cap;
};

/* Parse the text of a target file; `path` names it in messages and
 * gives the expected name. An include is looked up beside `path`, then
 * along sp (which may be NULL). */
int target_parse_in(const char *path, const char *text,
		    const struct target_path *sp, struct target *t,
		    struct perr *e);
int target_parse(const char *path, const char *text, struct target *t,
		 struct perr *e);
int target_load_in(const char *path, const struct target_path *sp,
		   struct target *t, struct perr *e);
int target_load(const char *path, struct target *t, struct perr *e);
void target_free(struct target *t);
/* Every *.conf in dir, sorted by name. */
int target_list_load(const char *dir, struct target_list *list, struct perr *e);

/*
 * The search path (target_path.c): each directory's *.conf, a name found
 * in an earlier directory hiding the same name further on; sorted by name.
 */
int target_list_load_path(const struct target_path *sp,
			  struct target_list *list, struct perr *e);
/* Add dirs (one directory, or several separated by ':'), each once. */
void target_path_add(struct target_path *sp, const char *dirs);
void target_path_free(struct target_path *sp);
/* The first directory of sp holding file, as an allocated path, or NULL. */
char *target_path_find(const struct target_path *sp, const char *file);
/* Whether a -t word names a file (holds '/' or ends in .conf). */
bool target_arg_is_file(const char *arg);
/*
 * Load the target file at path into list (named on the command line),
 * replacing a target of the same name; *index says where it is.
 */
int target_list_add_file(struct target_list *list, const char *path,
			 const struct target_path *sp, size_t *index,
			 struct perr *e);

/*
 * Parameters and placeholders (target_param.c). Placeholders left for
 * each run: {image} {iso} {bindir} {srcdir} {cmdline}. Reserved:
 * {kernel} {initrd} {append}.
 */
/* Check the placeholders of one command word or requires value. */
int target_check_placeholders(const char *path, int lineno, const char *arg,
			      struct perr *e);
/* param NAME = VALUE (line is the text after "param"). */
int target_parse_param(struct target *t, const char *path, int lineno,
		       const char *name, const char *value, struct perr *e);
/* After parsing: every {NAME} is a param, then target_resolve. */
int target_check_params(struct target *t, struct perr *e);
/* Substitute params and {env:NAME} into argv and the requirements. */
void target_resolve(struct target *t);
/*
 * --target-set KEY=VALUE on one target: a param, timeout or
 * output_limit. Returns 0; 1 when the target has no such param (*e says
 * so); -1 for a bad value.
 */
int target_set(struct target *t, const char *key, const char *value,
	       struct perr *e);
void target_list_free(struct target_list *list);
struct target *target_list_find(struct target_list *list, const char *name);
/* Whether the target file's restarts = N applies to the image. */
bool target_restarts_image(const struct target *t, const char *image);
/* The unsupported rule whose glob matches the image name, or NULL. */
const struct unsupported_rule *target_find_unsupported(const struct target *t,
						       const char *image);

/*
 * Whether the host has what the target requires. When not, *why holds an
 * allocated reason such as "cannot open /dev/kvm: No such file or
 * directory".
 */
bool target_usable(const struct target *t, char **why);
bool target_runs_width(const struct target *t, unsigned width);

/* Whether one `when` condition holds on host h. */
bool condition_holds(const struct condition *c, const struct hostinfo *h);
/* The first expectation listed for id that applies on host h. */
const struct xfail_rule *target_find_xfail(const struct target *t,
					   const char *id,
					   const struct hostinfo *h);
/* The first xerror line, passing over xfail and either lines: what a
 * check that was never reported is held to (only an xerror line covers
 * it). */
const struct xfail_rule *target_find_xerror(const struct target *t,
					    const char *id,
					    const struct hostinfo *h);

/* The command for one image (or, boot = iso, one ISO), placeholders
 * substituted (NULL-terminated). */
char **target_expand(const struct target *t, const char *image,
		     const char *bindir, const char *srcdir);
/* The same with {cmdline} substituted (target_expand: empty). */
char **target_expand_cmdline(const struct target *t, const char *image,
			     const char *cmdline, const char *bindir,
			     const char *srcdir);
/* Whether each image's command can carry a Multiboot command line: the
 * command uses {cmdline} and boots images, not ISOs (restart.h). */
bool target_takes_cmdline(const struct target *t);
void argv_free(char **argv);
/* argv as one shell-pasteable line. */
char *argv_join(char *const *argv);

#endif
