/*
 * The ISO: a staging tree (boot/grub/grub.cfg, boot/popek/seq.elf and
 * one NAME.elf per image) handed to grub-mkrescue. GRUB talks on COM1
 * and the screen; its menu lines are noise the stream splitter skips.
 */
#include "iso.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

char *iso_sequencer_path(void)
{
	const char *env = getenv("POPEK_SEQ");
	char *dir, *p;

	if (env && *env)
		return xstrdup(env);
	dir = self_dir();
	p = xasprintf("%s/popek-seq.elf", dir);
	free(dir);
	return p;
}

char *iso_tmpdir(struct perr *e)
{
	const char *tmp = getenv("TMPDIR");
	char *dir =
		xasprintf("%s/popek-iso-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(dir)) {
		perr_set(e, "cannot create a directory %s: %s", dir,
			 strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void iso_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int copy_file(const char *from, const char *to, struct perr *e)
{
	size_t len;
	char *data = read_whole_file(from, &len, e);
	FILE *f;
	int ret = 0;

	if (!data)
		return -1;
	f = fopen(to, "wb");
	if (!f || fwrite(data, 1, len, f) != len)
		ret = perr_set(e, "cannot write %s: %s", to, strerror(errno));
	if (f && fclose(f) && !ret)
		ret = perr_set(e, "cannot write %s: %s", to, strerror(errno));
	free(data);
	return ret;
}

static void write_entry(FILE *f, const char *title, struct image *const *images,
			size_t n)
{
	size_t i;

	fprintf(f, "menuentry \"%s\" {\n\tmultiboot /boot/popek/seq.elf\n",
		title);
	for (i = 0; i < n; i++)
		fprintf(f, "\tmodule /boot/popek/%s.elf %s\n", images[i]->name,
			images[i]->name);
	fputs("}\n", f);
}

static int write_grub_cfg(const char *path, struct image *const *images,
			  size_t n, unsigned grub_timeout, struct perr *e)
{
	FILE *f = fopen(path, "w");
	char *title;
	size_t i;

	if (!f)
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	fprintf(f,
		"# Popek probe ISO (docs/iso.md): %zu images\n"
		"# A PC without COM1 keeps the console only.\n"
		"if serial --unit=0 --speed=115200; then\n"
		"\tterminal_input serial console\n"
		"\tterminal_output serial console\n"
		"fi\n"
		"set timeout=%u\nset default=0\n",
		n, grub_timeout);
	title = xasprintf("Popek: run all %zu images", n);
	write_entry(f, title, images, n);
	free(title);
	for (i = 0; n > 1 && i < n; i++) {
		title = xasprintf("Popek: %s only", images[i]->name);
		write_entry(f, title, &images[i], 1);
		free(title);
	}
	if (fclose(f))
		return perr_set(e, "cannot write %s: %s", path,
				strerror(errno));
	return 0;
}

/* grub-mkrescue, quiet unless it fails; then its last line says why. */
static int run_mkrescue(const char *out, const char *tree, const char *logf,
			struct perr *e)
{
	char *argv[] = {"grub-mkrescue", "-o", (char *)out, (char *)tree, NULL};
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return perr_set(e, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		dprintf(2,
			"cannot execute grub-mkrescue: %s (install "
			"grub-pc-bin, xorriso and mtools)\n",
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return perr_set(e, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	{
		char *log = read_whole_file(logf, NULL, e), *last = NULL, *p;

		for (p = log ? strtok(log, "\n") : NULL; p;
		     p = strtok(NULL, "\n"))
			if (*str_trim(p))
				last = p;
		perr_set(e, "grub-mkrescue failed: %s",
			 last ? str_trim(last) : "no output");
		free(log);
	}
	return -1;
}

int iso_build(const char *out, struct image *const *images, size_t n,
	      unsigned grub_timeout, struct perr *e)
{
	char *tmp = iso_tmpdir(e), *tree = NULL, *p = NULL, *seq = NULL;
	size_t i;
	int ret = -1;

	if (!tmp)
		return -1;
	tree = xasprintf("%s/tree", tmp);
	for (i = 0; i < 4; i++) {
		static const char *const dirs[] = {"", "/boot", "/boot/grub",
						   "/boot/popek"};

		free(p);
		p = xasprintf("%s%s", tree, dirs[i]);
		if (mkdir(p, 0755)) {
			perr_set(e, "cannot create %s: %s", p, strerror(errno));
			goto out;
		}
	}
	free(p);
	seq = iso_sequencer_path();
	p = xasprintf("%s/boot/popek/seq.elf", tree);
	if (access(seq, R_OK)) {
		perr_set(e,
			 "no ISO sequencer at %s (build it, or set "
			 "POPEK_SEQ)",
			 seq);
		goto out;
	}
	if (copy_file(seq, p, e) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		free(p);
		p = xasprintf("%s/boot/popek/%s.elf", tree, images[i]->name);
		if (copy_file(images[i]->path, p, e) < 0)
			goto out;
	}
	free(p);
	p = xasprintf("%s/boot/grub/grub.cfg", tree);
	if (write_grub_cfg(p, images, n, grub_timeout, e) < 0)
		goto out;
	free(p);
	p = xasprintf("%s/mkrescue.log", tmp);
	ret = run_mkrescue(out, tree, p, e);
out:
	iso_rmtree(tmp);
	free(p);
	free(seq);
	free(tree);
	free(tmp);
	return ret;
}
