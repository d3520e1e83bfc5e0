/*
 * Where things are: images, target files, the popek binary itself. The
 * compile-time defaults point into the build tree so `build/bin/popek`
 * works without options.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "target.h"

#ifndef POPEK_IMAGE_DIR
#define POPEK_IMAGE_DIR "build/images"
#endif
#ifndef POPEK_SOURCE_DIR
#define POPEK_SOURCE_DIR "."
#endif

const char *images_dir(const char *opt, bool *explicit_dir)
{
	const char *env = getenv("POPEK_IMAGES");

	*explicit_dir = true;
	if (opt)
		return opt;
	if (env && *env)
		return env;
	*explicit_dir = false;
	return POPEK_IMAGE_DIR;
}

const char *builtin_targets_dir(void)
{
	return POPEK_SOURCE_DIR "/targets";
}

/*
 * Each --targets first, in the order given, then $POPEK_TARGETS, then the
 * suite's own directory: a developer's files add to the built-in targets
 * (and a name of theirs hides the built-in one) without copying them.
 */
void targets_path(struct target_path *sp, char *const *opts, size_t nopts)
{
	const char *env = getenv("POPEK_TARGETS");
	size_t i;

	memset(sp, 0, sizeof(*sp));
	for (i = 0; i < nopts; i++)
		target_path_add(sp, opts[i]);
	if (env && *env)
		target_path_add(sp, env);
	target_path_add(sp, builtin_targets_dir());
}

char *self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return xstrdup("popek");
	buf[n] = '\0';
	return xstrdup(buf);
}

char *self_dir(void)
{
	char *exe = self_exe(), *dir = xstrdup(dirname(exe));

	free(exe);
	return dir;
}

int usage_error(struct perr *e, const char *cmd, int opt, int optopt_,
		const char *arg)
{
	if (opt == ':')
		perr_set(e, "%s: option '%s' needs a value (see 'popek help')",
			 cmd, arg);
	else if (optopt_ && optopt_ != '?')
		perr_set(e, "%s: unknown option '-%c' (see 'popek help')", cmd,
			 optopt_);
	else
		perr_set(e, "%s: unknown option '%s' (see 'popek help')", cmd,
			 arg);
	return POPEK_EXIT_USAGE;
}
