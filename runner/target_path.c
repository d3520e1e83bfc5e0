/*
 * The targets search path (docs/targets.md): target files kept in several
 * directories (a hypervisor's own repository, the suite's targets/), the
 * first directory holding a name deciding what it means.
 */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void target_path_add(struct target_path *sp, const char *dirs)
{
	char *copy = xstrdup(dirs), *dir, *save = NULL;
	size_t i;

	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		for (i = 0; i < sp->n && strcmp(sp->dirs[i], dir); i++)
			;
		if (i < sp->n)
			continue;
		sp->dirs = xrealloc(sp->dirs, (sp->n + 1) * sizeof(*sp->dirs));
		sp->dirs[sp->n++] = xstrdup(dir);
	}
	free(copy);
}

void target_path_free(struct target_path *sp)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		free(sp->dirs[i]);
	free(sp->dirs);
	memset(sp, 0, sizeof(*sp));
}

char *target_path_find(const struct target_path *sp, const char *file)
{
	char *path;
	size_t i;

	for (i = 0; sp && i < sp->n; i++) {
		path = xasprintf("%s/%s", sp->dirs[i], file);
		if (access(path, F_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

bool target_arg_is_file(const char *arg)
{
	return strchr(arg, '/') || str_ends(arg, ".conf");
}

static int target_cmp(const void *a, const void *b)
{
	return strcmp(((const struct target *)a)->name,
		      ((const struct target *)b)->name);
}

/* One directory's *.conf, except names an earlier directory had. */
static int load_dir(const struct target_path *sp, const char *dir,
		    struct target_list *list, struct perr *e)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return perr_set(e, "targets directory %s: %s", dir,
				strerror(errno));
	while ((de = readdir(d))) {
		struct target t;
		char *path;
		int r;

		if (de->d_name[0] == '.' || !str_ends(de->d_name, ".conf"))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		r = target_load_in(path, sp, &t, e);
		free(path);
		if (r < 0) {
			closedir(d);
			return r;
		}
		if (target_list_find(list, t.name)) {
			target_free(&t);
			continue;
		}
		VEC_GROW(list->v, list->n, list->cap);
		list->v[list->n++] = t;
	}
	closedir(d);
	return 0;
}

int target_list_load_path(const struct target_path *sp,
			  struct target_list *list, struct perr *e)
{
	size_t i;

	memset(list, 0, sizeof(*list));
	for (i = 0; i < sp->n; i++) {
		if (load_dir(sp, sp->dirs[i], list, e) < 0) {
			target_list_free(list);
			return -1;
		}
	}
	qsort(list->v, list->n, sizeof(*list->v), target_cmp);
	return 0;
}

int target_list_add_file(struct target_list *list, const char *path,
			 const struct target_path *sp, size_t *index,
			 struct perr *e)
{
	struct target t, *old;

	if (!str_ends(path, ".conf"))
		return perr_set(e,
				"target file '%s' must be named NAME.conf "
				"(NAME being the target's name)",
				path);
	if (access(path, F_OK) < 0)
		return perr_set(e, "target file %s: %s", path, strerror(errno));
	if (target_load_in(path, sp, &t, e) < 0)
		return -1;
	t.from_file = true;
	old = target_list_find(list, t.name);
	if (old) {
		target_free(old);
		*old = t;
	} else {
		VEC_GROW(list->v, list->n, list->cap);
		old = &list->v[list->n++];
		*old = t;
	}
	*index = (size_t)(old - list->v);
	return 0;
}
