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

enum requirement_kind { REQ_BINARY, REQ_DEVICE, REQ_FILE };

struct requirement {
	enum requirement_kind kind;
	char *arg;
};

enum condition_kind {
	COND_VENDOR,
	COND_FEATURE,
	COND_NO_FEATURE,
	COND_BACKEND,
	COND_KERNEL
};

/* kernel OP VERSION */
enum version_op { VOP_EQ, VOP_NE, VOP_LT, VOP_LE, VOP_GT, VOP_GE };

struct condition {
	enum condition_kind kind;
	char *value; /* after '=' (vendor, flag, backend); the version */
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
	char **argv; /* the command template, split on spaces */
	size_t argc;
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
};

struct target_list {
	struct target *v;
	size_t n, cap;
};

/* Parse the text of a target file; `path` names it in messages and
 * gives the expected name. */
int target_parse(const char *path, const char *text, struct target *t,
		 struct perr *e);
int target_load(const char *path, struct target *t, struct perr *e);
void target_free(struct target *t);
/* Every *.conf in dir, sorted by name. */
int target_list_load(const char *dir, struct target_list *list, struct perr *e);
void target_list_free(struct target_list *list);
struct target *target_list_find(struct target_list *list, const char *name);
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
/* The same, passing over either lines: what a check that was never
 * reported is held to (only an xerror line covers it). */
const struct xfail_rule *target_find_xerror(const struct target *t,
					    const char *id,
					    const struct hostinfo *h);

/* The command for one image (or, boot = iso, one ISO), placeholders
 * substituted (NULL-terminated). */
char **target_expand(const struct target *t, const char *image,
		     const char *bindir, const char *srcdir);
void argv_free(char **argv);
/* argv as one shell-pasteable line. */
char *argv_join(char *const *argv);

#endif
