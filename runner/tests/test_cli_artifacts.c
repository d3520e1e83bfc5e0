/*
 * popek run's artifacts tell what the exit status tells: JUnit and TAP
 * fail when an image died although its checks passed, a signal leaves
 * partial results saying so, output paths are refused before anything
 * runs, --logs keeps every byte with the command and the exit status
 * decoded, and a target that wrote nothing is diagnosed. The targets are
 * shell scripts playing a hypervisor, so every byte they write is known.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_scratch.h"
#include "util.h"

static char dir[CLI_SCRATCH_LEN];

static void setup(void)
{
	cli_scratch_make(dir, "art");
}

static void teardown(void)
{
	cli_scratch_remove(dir);
}

TestSuite(artifacts, .init = setup, .fini = teardown, .timeout = 60);

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
	free(cli_scratch_write(dir, name, text));
}

static char *slurp(const char *name)
{
	char *path = path_in(name), *text = cli_scratch_read(path);

	free(path);
	return text;
}

static bool exists(const char *name)
{
	char *path = path_in(name);
	bool yes = access(path, F_OK) == 0;

	free(path);
	return yes;
}

/*
 * A target NAME whose command is `/bin/sh DIR/NAME.sh EXTRA {image}` with
 * the script's text; the target file also gets the extra lines.
 */
static void fake_target(const char *name, const char *extra_args,
			const char *lines, const char *script)
{
	char *conf = xasprintf(
		"name = %s\ndescription = a script playing a hypervisor\n"
		"command = /bin/sh %s/%s.sh %s{image}\n%s",
		name, dir, name, extra_args, lines);
	char *file = xasprintf("%s.conf", name);
	char *sh = xasprintf("%s.sh", name);

	write_file(file, conf);
	write_file(sh, script);
	free(conf);
	free(file);
	free(sh);
}

struct out {
	int status;
	char *out, *err;
};

static void read_all(int fd, struct strbuf *sb)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(sb, buf, (size_t)n);
	sb_add(sb, "", 0);
	close(fd);
}

/*
 * Run popek in dir with args (NULL-terminated). With signo, the signal is
 * sent once the file `started` exists (the target's script makes it).
 */
static void run(struct out *o, int signo, ...)
{
	char *argv[32] = {POPEK_BIN};
	struct strbuf out = {0}, err = {0};
	int po[2], pe[2], n = 1, status;
	va_list ap;
	pid_t pid;

	va_start(ap, signo);
	while ((argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	cr_assert_eq(pipe(po), 0);
	cr_assert_eq(pipe(pe), 0);
	pid = fork();
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(126);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(argv[0], argv);
		_exit(126);
	}
	close(po[1]);
	close(pe[1]);
	if (signo) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		int i;

		for (i = 0; i < 1000 && !exists("started"); i++)
			nanosleep(&ts, NULL);
		cr_assert(exists("started"), "the target never started");
		kill(pid, signo);
	}
	read_all(po[0], &out);
	read_all(pe[0], &err);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status), "popek did not exit");
	o->status = WEXITSTATUS(status);
	o->out = out.s;
	o->err = err.s;
}

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
}

static json_t *load_json(const char *name)
{
	char *path = path_in(name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	cr_assert_not_null(j, "%s: %s", name, err.text);
	free(path);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Every check of selftest-hang-32 passes, but there is no exit line. */
static const char two_pass_no_exit[] =
	"echo 'TAP version 13'\necho '1..2'\n"
	"echo 'ok 1 - selftest.broken.first.32'\n"
	"echo 'ok 2 - selftest.broken.second.32'\n"
	"exit 0\n";

Test(artifacts, junit_has_the_image_error)
{
	struct out o;
	char *xml;

	fake_target("fake", "", "", two_pass_no_exit);
	run(&o, 0, "run", "-t", "fake", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--junit", "r.xml", "--quiet",
	    "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 1, "%s", o.err);
	xml = slurp("r.xml");
	cr_assert(strstr(xml, "<testsuite name=\"fake\" tests=\"3\" "
			      "failures=\"0\" errors=\"1\" skipped=\"0\""),
		  "%s", xml);
	cr_assert(strstr(xml, "name=\"selftest-hang-32:boot\""), "%s", xml);
	cr_assert(strstr(xml, "<error type=\"image\" message=\"target exited "
			      "with status 0 before &#39;popek: exit&#39; (a "
			      "triple fault under QEMU -no-reboot ends "
			      "so)\">"),
		  "%s", xml);
	free(xml);
	out_free(&o);
}

Test(artifacts, tap_has_the_image_error)
{
	struct out o;

	fake_target("fake", "", "", two_pass_no_exit);
	run(&o, 0, "run", "-t", "fake", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--tap", "--quiet", "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 1, "%s", o.err);
	cr_assert_str_eq(o.out,
			 "TAP version 13\n"
			 "ok 1 - fake:selftest.broken.first.32\n"
			 "ok 2 - fake:selftest.broken.second.32\n"
			 "not ok 3 - fake:selftest-hang-32:boot # error: "
			 "target exited with status 0 before 'popek: exit' "
			 "(a triple fault under QEMU -no-reboot ends so)\n"
			 "1..3\n");
	out_free(&o);
}

/* The script leaves a file behind: proof that the run started. */
static const char marks[] = "touch started\nexit 0\n";

static void refused(const char *opt, const char *value, const char *msg)
{
	struct out o;

	fake_target("fake", "", "", marks);
	run(&o, 0, "run", "-t", "fake", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, opt, value, "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 2, "%s %s: status %d, %s", opt, value, o.status,
		     o.err);
	cr_assert_str_eq(o.err, msg);
	cr_assert(!exists("started"), "%s %s: the run went on", opt, value);
	out_free(&o);
}

Test(artifacts, output_paths_checked_before_the_run)
{
	write_file("plain", "");
	refused("--junit", "/nonexistent/x.xml",
		"popek: run: --junit /nonexistent/x.xml: cannot write in "
		"/nonexistent: No such file or directory\n");
	refused("--json", "/nonexistent/x.json",
		"popek: run: --json /nonexistent/x.json: cannot write in "
		"/nonexistent: No such file or directory\n");
	refused("--json", ".", "popek: run: --json .: is a directory\n");
	refused("--junit", "plain/x.xml",
		"popek: run: --junit plain/x.xml: plain is not a "
		"directory\n");
	refused("--logs", "plain",
		"popek: run: --logs plain: not a directory\n");
}

/*
 * One check, then a hang: the run is cut by the signal mid-image. The
 * check is in the pipe before the signal, not necessarily read by popek.
 */
static const char hangs[] = "echo 'TAP version 13'\necho '1..2'\n"
			    "echo 'ok 1 - selftest.broken.first.32'\n"
			    "touch started\n"
			    "exec sleep 60\n";

static void partial_results(int signo, int status, const char *name)
{
	json_t *j, *im;
	struct out o;
	char *xml, *want;

	fake_target("slow", "", "", hangs);
	run(&o, signo, "run", "-t", "slow", "-j", "1", "--targets", dir,
	    "--images", POPEK_TEST_IMAGE_DIR, "--json", "r.json", "--junit",
	    "r.xml", "--quiet", "selftest-hang-32", "selftest-mixed-32", NULL);
	cr_assert_eq(o.status, status, "%s", o.err);
	j = load_json("r.json");
	cr_assert_str_eq(jstr(j, "interrupted"), name);
	cr_assert_eq(json_array_size(json_object_get(j, "images")), 2);
	im = json_array_get(json_object_get(j, "images"), 0);
	want = xasprintf("interrupted by %s while running", name);
	cr_assert_str_eq(jstr(im, "image"), "selftest-hang-32");
	cr_assert_str_eq(jstr(im, "status"), "error");
	cr_assert_str_eq(jstr(im, "reason"), want);
	free(want);
	im = json_array_get(json_object_get(j, "images"), 1);
	want = xasprintf("not run: the run was interrupted by %s", name);
	cr_assert_str_eq(jstr(im, "image"), "selftest-mixed-32");
	cr_assert_str_eq(jstr(im, "status"), "error");
	cr_assert_str_eq(jstr(im, "reason"), want);
	free(want);
	/* the check reported before the signal keeps its pass */
	cr_assert_str_eq(
		jstr(json_array_get(json_object_get(j, "checks"), 0), "result"),
		"pass");
	json_decref(j);
	xml = slurp("r.xml");
	/* 2 boot testcases, 2 + 5 checks; errors: 2 images, 1 + 5 checks */
	cr_assert(strstr(xml, "<testsuite name=\"slow\" tests=\"9\" "
			      "failures=\"0\" errors=\"8\" skipped=\"0\""),
		  "%s", xml);
	want = xasprintf("<property name=\"interrupted\" value=\"%s\"/>", name);
	cr_assert(strstr(xml, want), "%s", xml);
	free(want);
	free(xml);
	out_free(&o);
}

Test(artifacts, sigterm_writes_partial_results)
{
	partial_results(SIGTERM, 143, "SIGTERM");
}

Test(artifacts, sigint_writes_partial_results)
{
	partial_results(SIGINT, 130, "SIGINT");
}

/* Like QEMU with the guest's COM1 not on stdout: nothing, then exit 1. */
static const char silent[] = "echo 'qemu: could not open serial' >&2\n"
			     "exit 1\n";

Test(artifacts, zero_bytes_on_stdout_is_diagnosed)
{
	json_t *j;
	struct out o;

	fake_target("mute", "-device isa-debug-exit,iobase=0xf4 ", "", silent);
	run(&o, 0, "run", "-t", "mute", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--json", "r.json", "--quiet",
	    "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 1, "%s", o.err);
	j = load_json("r.json");
	cr_assert_str_eq(
		jstr(json_array_get(json_object_get(j, "images"), 0), "reason"),
		"0 bytes on stdout: is COM1 on stdout (QEMU: -serial stdio)? "
		"the target exited with status 1 (status 1 is "
		"isa-debug-exit's encoding of a guest exit 0: the guest ended "
		"without printing 'popek: exit') (last stderr: qemu: could "
		"not open serial)");
	json_decref(j);
	out_free(&o);
}

/* Output, then the exit port written with 1 and no exit line. */
static const char exits_3[] = "echo 'TAP version 13'\necho '1..2'\n"
			      "echo 'ok 1 - selftest.broken.first.32'\n"
			      "printf 'no newline'\n"
			      "echo 'stderr one' >&2\necho 'stderr two' >&2\n"
			      "exit 3\n";

Test(artifacts, logs_keep_every_byte)
{
	char *text, *want;
	json_t *j, *logs;
	struct out o;

	fake_target("dbg", "-device isa-debug-exit ", "", exits_3);
	run(&o, 0, "run", "-t", "dbg", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--json", "r.json", "--junit", "r.xml",
	    "--logs", "out/logs", "--quiet", "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 1, "%s", o.err);
	text = slurp("out/logs/dbg/selftest-hang-32.serial.txt");
	cr_assert_str_eq(text, "TAP version 13\n1..2\n"
			       "ok 1 - selftest.broken.first.32\nno newline");
	free(text);
	text = slurp("out/logs/dbg/selftest-hang-32.stderr.txt");
	cr_assert_str_eq(text, "stderr one\nstderr two\n");
	free(text);
	text = slurp("out/logs/dbg/selftest-hang-32.info.txt");
	want = xasprintf("target: dbg\ncommand: /bin/sh %s/dbg.sh -device "
			 "isa-debug-exit %s/selftest-hang-32.elf\nend: "
			 "exited with status 3: isa-debug-exit's encoding "
			 "((N << 1) | 1) of the guest writing 1 to the exit "
			 "port\n",
			 dir, POPEK_TEST_IMAGE_DIR);
	cr_assert(str_starts(text, want), "%s", text);
	free(want);
	cr_assert(strstr(text, "\nstdout: 62 bytes "
			       "(out/logs/dbg/selftest-hang-32.serial.txt)\n"
			       "stderr: 22 bytes "
			       "(out/logs/dbg/selftest-hang-32.stderr.txt)\n"),
		  "%s", text);
	cr_assert(strstr(text, "\nimage: selftest-hang-32\n"), "%s", text);
	cr_assert(strstr(text, "\nchecks: 1 pass, 1 error\n"), "%s", text);
	free(text);
	j = load_json("r.json");
	logs = json_object_get(json_array_get(json_object_get(j, "images"), 0),
			       "logs");
	cr_assert_str_eq(jstr(logs, "serial"),
			 "out/logs/dbg/selftest-hang-32.serial.txt");
	cr_assert_str_eq(jstr(logs, "stderr"),
			 "out/logs/dbg/selftest-hang-32.stderr.txt");
	cr_assert_str_eq(jstr(logs, "info"),
			 "out/logs/dbg/selftest-hang-32.info.txt");
	json_decref(j);
	text = slurp("r.xml");
	cr_assert(strstr(text, "serial log: "
			       "out/logs/dbg/selftest-hang-32.serial.txt\n"),
		  "%s", text);
	free(text);
	out_free(&o);
}

/* An image that hangs, with its unreported check listed as xerror. */
static const char hang_once[] = "echo 'TAP version 13'\necho '1..2'\n"
				"echo 'ok 1 - selftest.broken.first.32'\n"
				"exec sleep 60\n";

Test(artifacts, xerror_timeout_is_named)
{
	struct out o;
	char *xml;
	json_t *j;

	fake_target("xe", "",
		    "timeout = 1\nxerror selftest.broken.second.32 : hangs\n",
		    hang_once);
	run(&o, 0, "run", "-t", "xe", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--json", "r.json", "--junit", "r.xml",
	    "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 0, "%s", o.err);
	cr_assert(strstr(o.err, "[1/1] xe selftest-hang-32: 1 pass, 0 fail, "
				"1 xfail ("),
		  "%s", o.err);
	cr_assert(strstr(o.err, " s): xerror: timeout after 1 s\n"), "%s",
		  o.err);
	xml = slurp("r.xml");
	cr_assert(strstr(xml, "name=\"selftest-hang-32:boot\""), "%s", xml);
	cr_assert(strstr(xml, "<system-out>xerror: timeout after 1 s\n"), "%s",
		  xml);
	cr_assert(strstr(xml, "errors=\"0\""), "%s", xml);
	free(xml);
	j = load_json("r.json");
	cr_assert_str_eq(
		jstr(json_array_get(json_object_get(j, "images"), 0), "status"),
		"xerror");
	json_decref(j);
	out_free(&o);
}

Test(artifacts, every_file_names_the_popek_that_wrote_it)
{
	char *xml, *want;
	struct out o;
	json_t *j;

	fake_target("fake", "", "", two_pass_no_exit);
	run(&o, 0, "run", "-t", "fake", "--targets", dir, "--images",
	    POPEK_TEST_IMAGE_DIR, "--json", "r.json", "--junit", "r.xml",
	    "--quiet", "selftest-hang-32", NULL);
	cr_assert_eq(o.status, 1, "%s", o.err);
	j = load_json("r.json");
	cr_assert_str_eq(jstr(j, "popek_version"), POPEK_VERSION_EXPECTED);
	cr_assert(jstr(j, "popek_commit") && *jstr(j, "popek_commit"));
	xml = slurp("r.xml");
	want = xasprintf("<property name=\"popek_commit\" value=\"%s\"/>",
			 jstr(j, "popek_commit"));
	cr_assert(strstr(xml, want), "%s", xml);
	cr_assert(strstr(xml, "<property name=\"popek_version\" "
			      "value=\"" POPEK_VERSION_EXPECTED "\"/>"),
		  "%s", xml);
	free(want);
	free(xml);
	json_decref(j);
	out_free(&o);
}
