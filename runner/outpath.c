/*
 * Checking output paths up front, and writing files through a temporary
 * name and rename(2), which replaces the old file atomically: a reader
 * (or a CI artifact upload after a kill) sees the old file or the new one.
 */
#include "outpath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int outpath_check(const char *cmd, const char *opt, const char *path,
		  struct perr *e)
{
	struct stat st;
	char *dir;
	int ret = 0;

	if (!*path)
		return perr_set(e, "%s: %s: empty file name", cmd, opt);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return perr_set(e, "%s: %s %s: is a directory", cmd, opt, path);
	dir = parent_dir(path);
	if (stat(dir, &st) < 0)
		ret = perr_set(e, "%s: %s %s: cannot write in %s: %s", cmd, opt,
			       path, dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		ret = perr_set(e, "%s: %s %s: %s is not a directory", cmd, opt,
			       path, dir);
	else if (access(dir, W_OK | X_OK) < 0)
		ret = perr_set(e, "%s: %s %s: cannot write in %s: %s", cmd, opt,
			       path, dir, strerror(errno));
	free(dir);
	return ret;
}

int outpath_dir(const char *cmd, const char *opt, const char *dir,
		struct perr *e)
{
	char *copy = xstrdup(dir), *p;
	struct stat st;
	int ret = 0;

	if (!*dir) {
		free(copy);
		return perr_set(e, "%s: %s: empty directory name", cmd, opt);
	}
	/* mkdir -p: each prefix in turn; EEXIST is fine, a file is not. */
	for (p = copy + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(copy, 0777) < 0 && errno != EEXIST) {
			ret = perr_set(e, "%s: %s %s: cannot create %s: %s",
				       cmd, opt, dir, copy, strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	if (!ret && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		ret = perr_set(e, "%s: %s %s: not a directory", cmd, opt, dir);
	else if (!ret && access(dir, W_OK | X_OK) < 0)
		ret = perr_set(e, "%s: %s %s: cannot write in it: %s", cmd, opt,
			       dir, strerror(errno));
	free(copy);
	return ret;
}

/* The process is single-threaded: reading the umask by setting it is safe. */
static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

int outpath_open(struct outfile *o, const char *path, struct perr *e)
{
	int fd;

	o->path = xstrdup(path);
	o->tmp = xasprintf("%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(o->path);
		free(o->tmp);
		o->f = NULL;
		return perr_set(e, "cannot write %s: %s", path, strerror(err));
	}
	/* mkstemp makes it 0600; a results file is for everyone to read. */
	fchmod(fd, 0644 & ~current_umask());
	return 0;
}

int outpath_commit(struct outfile *o, struct perr *e)
{
	int ret = 0;

	if (ferror(o->f) | (fclose(o->f) != 0))
		ret = perr_set(e, "cannot write %s: %s", o->path,
			       strerror(errno));
	else if (rename(o->tmp, o->path) < 0)
		ret = perr_set(e, "cannot write %s: %s", o->path,
			       strerror(errno));
	if (ret)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->f = NULL;
	return ret;
}

void outpath_abort(struct outfile *o)
{
	fclose(o->f);
	unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->f = NULL;
}
