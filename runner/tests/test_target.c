/* Target files: a good one, and each error path with its file:line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static const char good[] =
	"# a comment\n"
	"\n"
	"name = qemu-fake\n"
	"description = QEMU, but fake   # trailing comment\n"
	"requires = binary sh\n"
	"requires = file /\n"
	"command = qemu -kernel {image} -L {srcdir}/bios -x a#b {bindir}/x\n"
	"timeout = 30\n"
	"output_limit = 4096\n"
	"widths = 32\n"
	"xfail conformance.trap.popf-* : POPF is not trapped\n"
	"  xfail mmu.* when vendor=GenuineIntel, feature=smep,"
	"!feature=umip,backend=none : reason: with a colon\n";

Test(target, good)
{
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("targets/qemu-fake.conf", good, &t, &e), 0,
		     "%s", e.msg);
	cr_assert_str_eq(t.name, "qemu-fake");
	cr_assert_str_eq(t.description, "QEMU, but fake");
	cr_assert_eq(t.nreqs, 2);
	cr_assert_eq(t.reqs[0].kind, REQ_BINARY);
	cr_assert_str_eq(t.reqs[0].arg, "sh");
	cr_assert_eq(t.reqs[1].kind, REQ_FILE);
	cr_assert_eq(t.argc, 8);
	cr_assert_str_eq(t.argv[0], "qemu");
	cr_assert_str_eq(t.argv[2], "{image}");
	cr_assert_str_eq(t.argv[6], "a#b");
	cr_assert_null(t.argv[8]);
	cr_assert_eq(t.timeout, 30);
	cr_assert_eq(t.output_limit, 4096);
	cr_assert(t.width32);
	cr_assert(!t.width64);
	cr_assert_eq(t.nxfails, 2);
	cr_assert_str_eq(t.xfails[0].glob, "conformance.trap.popf-*");
	cr_assert_eq(t.xfails[0].nconds, 0);
	cr_assert_str_eq(t.xfails[0].reason, "POPF is not trapped");
	cr_assert_eq(t.xfails[1].line, 12);
	cr_assert_eq(t.xfails[1].nconds, 4);
	cr_assert_eq(t.xfails[1].conds[0].kind, COND_VENDOR);
	cr_assert_str_eq(t.xfails[1].conds[0].value, "GenuineIntel");
	cr_assert_eq(t.xfails[1].conds[1].kind, COND_FEATURE);
	cr_assert_eq(t.xfails[1].conds[2].kind, COND_NO_FEATURE);
	cr_assert_str_eq(t.xfails[1].conds[2].value, "umip");
	cr_assert_eq(t.xfails[1].conds[3].kind, COND_BACKEND);
	cr_assert_str_eq(t.xfails[1].reason, "reason: with a colon");
	target_free(&t);
}

Test(target, defaults)
{
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("x/t.conf",
				  "name=t\ndescription=d\ncommand=c {image}\n",
				  &t, &e),
		     0, "%s", e.msg);
	cr_assert_eq(t.timeout, 60);
	cr_assert_eq(t.output_limit, 1048576);
	cr_assert(t.width32 && t.width64);
	cr_assert_eq(t.nreqs, 0);
	target_free(&t);
}

Test(target, expand_and_join)
{
	struct target t;
	struct perr e;
	char **argv, *line;

	cr_assert_eq(target_parse("targets/qemu-fake.conf", good, &t, &e), 0);
	argv = target_expand(&t, "/img/a b.elf", "/bin", "/src");
	cr_assert_str_eq(argv[2], "/img/a b.elf");
	cr_assert_str_eq(argv[4], "/src/bios");
	cr_assert_str_eq(argv[7], "/bin/x");
	line = argv_join(argv);
	cr_assert_str_eq(line, "qemu -kernel '/img/a b.elf' -L /src/bios -x "
			       "'a#b' /bin/x");
	free(line);
	argv_free(argv);
	target_free(&t);
}

static void expect_error(const char *text, const char *msg)
{
	struct target t;
	struct perr e = {{0}};

	cr_assert_eq(target_parse("targets/t.conf", text, &t, &e), -1,
		     "accepted: %s", text);
	cr_assert_str_eq(e.msg, msg);
}

#define HEAD "name = t\ndescription = d\ncommand = c {image}\n"

Test(target, unknown_key)
{
	expect_error(HEAD "colour = blue\n",
		     "targets/t.conf:4: unknown key 'colour'");
}

Test(target, missing_command)
{
	expect_error("name = t\ndescription = d\n",
		     "targets/t.conf: missing required key 'command'");
}

Test(target, missing_name)
{
	expect_error("description = d\ncommand = c\n",
		     "targets/t.conf: missing required key 'name'");
}

Test(target, name_mismatch)
{
	expect_error("\nname = other\ndescription = d\ncommand = c {image}\n",
		     "targets/t.conf:2: name 'other' does not match the file "
		     "name (expected 't')");
}

Test(target, duplicate_key)
{
	expect_error(HEAD "command = d\n", "targets/t.conf:4: command given "
					   "twice");
}

Test(target, no_equals)
{
	expect_error(HEAD "just words\n",
		     "targets/t.conf:4: expected 'key = "
		     "value' or an xfail, xerror or either line");
}

Test(target, empty_value)
{
	expect_error(HEAD "timeout =\n", "targets/t.conf:4: timeout has no "
					 "value");
}

Test(target, bad_numbers)
{
	expect_error(HEAD "timeout = 0\n",
		     "targets/t.conf:4: timeout must be a whole number from 1 "
		     "to 86400, not '0'");
	expect_error(HEAD "output_limit = 1M\n",
		     "targets/t.conf:4: output_limit must be a whole number "
		     "from 1 to 1073741824, not '1M'");
}

/* The restart bounds a run takes when the command line names none. */
Test(target, restarts)
{
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("x/t.conf",
				  "name=t\ndescription=d\n"
				  "command=c --append {cmdline} {image}\n"
				  "restarts = 250\nrestart_time = 600\n"
				  "restart_images = conformance-* x-?\n",
				  &t, &e),
		     0, "%s", e.msg);
	cr_assert_eq(t.restarts, 250);
	cr_assert_eq(t.restart_time, 600);
	cr_assert(target_restarts_image(&t, "conformance-popf-32"));
	cr_assert(target_restarts_image(&t, "x-1"));
	cr_assert_not(target_restarts_image(&t, "x86-instr-alu-32"));
	target_free(&t);
	cr_assert_eq(target_parse("x/t.conf", HEAD, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(t.restarts, 0);
	cr_assert_eq(t.restart_time, 0);
	cr_assert(target_restarts_image(&t, "x86-instr-alu-32"));
	target_free(&t);
	expect_error(HEAD "restarts = 1001\n",
		     "targets/t.conf:4: restarts must be a whole number from "
		     "1 to 1000, not '1001'");
	/* popek.skip travels on the command line */
	expect_error(HEAD "restarts = 5\n",
		     "targets/t.conf: restarts need a command that boots "
		     "images and passes {cmdline}");
}

Test(target, bad_widths)
{
	expect_error(HEAD "widths = 16\n", "targets/t.conf:4: bad width '16' "
					   "(expected 32 and/or 64)");
}

Test(target, bad_requires)
{
	expect_error(HEAD "requires = binary\n",
		     "targets/t.conf:4: bad requires 'binary' (expected "
		     "'binary NAME', 'device PATH', 'file PATH' or "
		     "'command ARGV')");
	expect_error(HEAD "requires = socket /x\n",
		     "targets/t.conf:4: bad requires 'socket' (expected "
		     "'binary NAME', 'device PATH', 'file PATH' or "
		     "'command ARGV')");
	expect_error(HEAD "requires = command\n",
		     "targets/t.conf:4: bad requires 'command' (expected "
		     "'binary NAME', 'device PATH', 'file PATH' or "
		     "'command ARGV')");
}

Test(target, unknown_placeholder)
{
	expect_error("name = t\ndescription = d\ncommand = c {image} {imgae}\n",
		     "targets/t.conf:3: unknown placeholder '{imgae}': no "
		     "'param imgae = VALUE' line (known: {image} {iso} "
		     "{bindir} {srcdir} {cmdline} {env:NAME} {PARAM})");
	expect_error("name = t\ndescription = d\ncommand = c {image} {a-b}\n",
		     "targets/t.conf:3: unknown placeholder '{a-b}' (known: "
		     "{image} {iso} {bindir} {srcdir} {cmdline} {env:NAME} "
		     "{PARAM})");
	expect_error("name = t\ndescription = d\ncommand = c {image} {env:}\n",
		     "targets/t.conf:3: bad placeholder '{env:}' (expected "
		     "{env:NAME}, NAME letters, digits and _)");
}

Test(target, reserved_placeholders)
{
	expect_error("name = t\ndescription = d\ncommand = c {kernel}\n",
		     "targets/t.conf:3: placeholder '{kernel}' is reserved "
		     "for booting a Linux guest, which popek does not do yet");
	expect_error(HEAD "requires = file {initrd}\n",
		     "targets/t.conf:4: placeholder '{initrd}' is reserved "
		     "for booting a Linux guest, which popek does not do yet");
	expect_error("name = t\ndescription = d\ncommand = q {image} "
		     "-append {append}\n",
		     "targets/t.conf:3: placeholder '{append}' is reserved "
		     "for booting a Linux guest, which popek does not do yet");
	expect_error(HEAD "param kernel = k\n",
		     "targets/t.conf:4: param name 'kernel' is reserved");
	expect_error(HEAD "param timeout = 5\n",
		     "targets/t.conf:4: param name 'timeout' is reserved");
	expect_error(HEAD "param cmdline = x\n",
		     "targets/t.conf:4: param name 'cmdline' is reserved");
}

/* {cmdline}: the image's command line, empty until the runner passes one */
Test(target, cmdline_placeholder)
{
	struct target t;
	struct perr e;
	char **argv;

	cr_assert_eq(
		target_parse("t/t.conf",
			     "name=t\ndescription=d\n"
			     "command=q -kernel {image} -append {cmdline}\n",
			     &t, &e),
		0, "%s", e.msg);
	argv = target_expand(&t, "/i.elf", "/b", "/s");
	cr_assert_str_eq(argv[3], "-append");
	cr_assert_str_eq(argv[4], "");
	cr_assert_null(argv[5]);
	argv_free(argv);
	target_free(&t);
}

Test(target, image_required)
{
	expect_error("name = t\ndescription = d\n\ncommand = qemu -kernel "
		     "x.elf\n",
		     "targets/t.conf:4: the command never names the image: a "
		     "boot = kernel target's command must use {image}");
	expect_error("name = t\ndescription = d\nboot = iso\ncommand = q "
		     "-cdrom x.iso\n",
		     "targets/t.conf:4: the command never names the image: a "
		     "boot = iso target's command must use {iso}");
}

Test(target, params)
{
	struct target t;
	struct perr e;
	char **argv, *line;

	cr_assert_eq(target_parse("t/t.conf",
				  "name=t\ndescription=d\n"
				  "command={qemu} -M accel={accel} {extra} "
				  "-kernel {image}\n"
				  "param qemu = /opt/q\nparam accel = tcg\n"
				  "param extra =\nrequires = binary {qemu}\n",
				  &t, &e),
		     0, "%s", e.msg);
	line = argv_join(t.argv);
	cr_assert_str_eq(line, "/opt/q -M accel=tcg -kernel {image}");
	free(line);
	cr_assert_str_eq(t.reqs[0].arg, "/opt/q");
	/* a whole-word param splits on spaces; an empty one vanishes */
	cr_assert_eq(target_set(&t, "extra", "-smp 2", &e), 0);
	cr_assert_eq(target_set(&t, "accel", "kvm", &e), 0);
	cr_assert_eq(target_set(&t, "qemu", "qemu-system-x86_64", &e), 0);
	argv = target_expand(&t, "/i.elf", "/b", "/s");
	line = argv_join(argv);
	cr_assert_str_eq(line, "qemu-system-x86_64 -M accel=kvm -smp 2 "
			       "-kernel /i.elf");
	free(line);
	argv_free(argv);
	cr_assert_str_eq(t.reqs[0].arg, "qemu-system-x86_64");
	cr_assert_eq(target_set(&t, "timeout", "7", &e), 0);
	cr_assert_eq(t.timeout, 7);
	cr_assert_eq(target_set(&t, "timeout", "0", &e), -1);
	cr_assert_str_eq(e.msg, "--target-set t:timeout must be a whole "
				"number from 1 to 86400, not '0'");
	cr_assert_eq(target_set(&t, "acel", "kvm", &e), 1);
	cr_assert_str_eq(e.msg, "target t has no param 'acel' (it can set: "
				"qemu accel extra timeout output_limit)");
	target_free(&t);

	expect_error(HEAD "param a = 1\nparam a = 2\n",
		     "targets/t.conf:5: param a given twice");
	expect_error(HEAD "param 9a = 1\n",
		     "targets/t.conf:4: bad param name '9a' (letters, digits "
		     "and _, not starting with a digit)");
	expect_error(HEAD "param a = {image}\n",
		     "targets/t.conf:4: a param's value holds no placeholder");
	expect_error(HEAD "requires = binary {q}\n",
		     "targets/t.conf:4: unknown placeholder '{q}': no 'param "
		     "q = VALUE' line (known: {image} {iso} {bindir} {srcdir} "
		     "{cmdline} {env:NAME} {PARAM})");
}

Test(target, env_placeholders)
{
	struct target t;
	struct perr e;
	char *why, *line;

	setenv("POPEK_TEST_QEMU", "/x/qemu", 1);
	unsetenv("POPEK_TEST_UNSET");
	cr_assert_eq(
		target_parse("t/t.conf",
			     "name=t\ndescription=d\n"
			     "command={env:POPEK_TEST_QEMU} -kernel {image}"
			     " -name n{env:POPEK_TEST_QEMU}\n",
			     &t, &e),
		0, "%s", e.msg);
	line = argv_join(t.argv);
	cr_assert_str_eq(line, "/x/qemu -kernel {image} -name n/x/qemu");
	free(line);
	cr_assert(target_usable(&t, &why));
	target_free(&t);
	/* unset: the target is unusable, and says why */
	cr_assert_eq(target_parse("t/t.conf",
				  "name=t\ndescription=d\n"
				  "command={env:POPEK_TEST_UNSET} {image}\n",
				  &t, &e),
		     0, "%s", e.msg);
	cr_assert(!target_usable(&t, &why));
	cr_assert_str_eq(why, "environment variable POPEK_TEST_UNSET is not "
			      "set (the target uses {env:POPEK_TEST_UNSET})");
	free(why);
	target_free(&t);
}

Test(target, bad_xfail_lines)
{
	expect_error(HEAD "xfail a.b.c no colon\n",
		     "targets/t.conf:4: bad xfail line: expected 'xfail "
		     "ID-GLOB [when COND,...] : reason'");
	expect_error(HEAD "xfail a.b.c :\n",
		     "targets/t.conf:4: bad xfail line: empty reason");
	expect_error(HEAD "xfail : why\n",
		     "targets/t.conf:4: bad xfail line: no check id pattern");
	expect_error(HEAD "xfail a.b.c if vendor=x : why\n",
		     "targets/t.conf:4: bad xfail line: expected 'when' after "
		     "the pattern, saw 'if vendor=x'");
}

Test(target, bad_conditions)
{
	expect_error(HEAD "xfail a.b.c when cpu=zen : why\n",
		     "targets/t.conf:4: bad condition 'cpu=zen' (expected "
		     "vendor=, feature=, !feature=, backend=, emulator= or "
		     "kernel OP VERSION)");
	expect_error(HEAD "xfail a.b.c when vendor= : why\n",
		     "targets/t.conf:4: bad condition 'vendor=' (expected "
		     "vendor=, feature=, !feature=, backend=, emulator= or "
		     "kernel OP VERSION)");
	expect_error(HEAD "xfail a.b.c when backend=kvm_pvm,, : why\n",
		     "targets/t.conf:4: bad condition '' (expected "
		     "vendor=, feature=, !feature=, backend=, emulator= or "
		     "kernel OP VERSION)");
	expect_error(HEAD "xfail a.b.c when backend=xen : why\n",
		     "targets/t.conf:4: unknown backend 'xen' (expected "
		     "kvm_intel, kvm_amd, kvm_pvm or none)");
	expect_error(HEAD "xfail a.b.c when emulator=bochs : why\n",
		     "targets/t.conf:4: unknown emulator 'bochs' (expected "
		     "qemu-tcg or none)");
	expect_error(HEAD "xfail a.b.c when emulator= : why\n",
		     "targets/t.conf:4: bad condition 'emulator=' (expected "
		     "vendor=, feature=, !feature=, backend=, emulator= or "
		     "kernel OP VERSION)");
}

/*
 * A guest of QEMU TCG carries its emulator in its host class; emulator=
 * tells it apart from the real CPU with the same vendor and backend.
 */
Test(target, emulator_conditions)
{
	static const char text[] =
		HEAD "xfail a.tcg when emulator=qemu-tcg : TCG defect\n"
		     "xfail a.real when emulator=none : real CPUs only\n"
		     "xfail a.both when emulator=qemu-tcg,"
		     "vendor=AuthenticAMD : TCG as EPYC\n";
	static const struct {
		const char *vendor, *emulator, *id;
		bool holds;
	} rows[] = {
		{"GenuineIntel", "qemu-tcg", "a.tcg", true},
		{"GenuineIntel", NULL, "a.tcg", false},
		{"GenuineIntel", NULL, "a.real", true},
		{"GenuineIntel", "qemu-tcg", "a.real", false},
		{"AuthenticAMD", "qemu-tcg", "a.both", true},
		{"GenuineIntel", "qemu-tcg", "a.both", false},
		{"AuthenticAMD", NULL, "a.both", false},
	};
	struct hostinfo h;
	struct target t;
	struct perr e;
	size_t i;

	cr_assert_eq(target_parse("targets/t.conf", text, &t, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(t.xfails[0].conds[0].kind, COND_EMULATOR);
	cr_assert_str_eq(t.xfails[0].conds[0].value, "qemu-tcg");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hostinfo_set(&h, rows[i].vendor, "", 6, 85, "", "none");
		hostinfo_set_emulator(&h, rows[i].emulator);
		cr_assert_eq(target_find_xfail(&t, rows[i].id, &h) != NULL,
			     rows[i].holds, "%s on %s/%s: expected %s",
			     rows[i].id, rows[i].vendor,
			     rows[i].emulator ? rows[i].emulator : "none",
			     rows[i].holds ? "to apply" : "not to apply");
		hostinfo_free(&h);
	}
	target_free(&t);
}

Test(target, usability)
{
	struct target t;
	struct perr e;
	char *why;

	cr_assert_eq(target_parse("t.conf",
				  HEAD "requires = binary sh\n"
				       "requires = file /\n",
				  &t, &e),
		     0);
	cr_assert(target_usable(&t, &why));
	cr_assert_null(why);
	target_free(&t);

	cr_assert_eq(target_parse("t.conf",
				  HEAD "requires = binary "
				       "no-such-binary-popek\n",
				  &t, &e),
		     0);
	cr_assert(!target_usable(&t, &why));
	cr_assert_str_eq(why, "binary no-such-binary-popek not found in PATH");
	free(why);
	target_free(&t);

	cr_assert_eq(target_parse("t.conf",
				  HEAD "requires = device "
				       "/nonexistent/kvm\n",
				  &t, &e),
		     0);
	cr_assert(!target_usable(&t, &why));
	cr_assert_str_eq(why, "cannot open /nonexistent/kvm: No such file or "
			      "directory");
	free(why);
	target_free(&t);

	cr_assert_eq(
		target_parse("t.conf", HEAD "requires = file /nope\n", &t, &e),
		0);
	cr_assert(!target_usable(&t, &why));
	cr_assert_str_eq(why, "file /nope: No such file or directory");
	free(why);
	target_free(&t);
}

/* requires = command: exit 0 is usable, anything else is not, and the
 * reason is the command's last line of output (stdout and stderr). */
Test(target, usability_by_command)
{
	static const struct {
		const char *req, *why;
	} cases[] = {
		{"true", NULL},
		{"false", "false exited with status 1"},
		{"no-such-program-popek",
		 "cannot run no-such-program-popek: No "
		 "such file or directory"},
		{"sh {srcdir}/runner/tests/says_no.sh",
		 "says_no: this host lacks the widget"},
	};
	struct target t;
	struct perr e;
	char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("%srequires = command %s\n", HEAD,
				       cases[i].req);
		bool ok;

		cr_assert_eq(target_parse("t.conf", text, &t, &e), 0);
		ok = target_usable(&t, &why);
		if (!cases[i].why) {
			cr_assert(ok, "%s", cases[i].req);
			cr_assert_null(why);
		} else {
			cr_assert(!ok, "%s", cases[i].req);
			cr_assert_str_eq(why, cases[i].why);
			free(why);
		}
		target_free(&t);
		free(text);
	}
}

Test(target, xfail_lookup)
{
	struct hostinfo intel, amd;
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("targets/qemu-fake.conf", good, &t, &e), 0);
	hostinfo_set(&intel, "GenuineIntel", "", 6, 85, "smep sse2", "none");
	hostinfo_set(&amd, "AuthenticAMD", "", 25, 1, "smep sse2", "none");
	cr_assert_not_null(
		target_find_xfail(&t, "conformance.trap.popf-if.cpl3", &amd));
	cr_assert_null(
		target_find_xfail(&t, "conformance.trap.cli.cpl3", &amd));
	cr_assert_not_null(target_find_xfail(&t, "mmu.a.b", &intel));
	cr_assert_null(target_find_xfail(&t, "mmu.a.b", &amd));
	hostinfo_free(&intel);
	hostinfo_set(&intel, "GenuineIntel", "", 6, 85, "smep umip", "none");
	cr_assert_null(target_find_xfail(&t, "mmu.a.b", &intel));
	hostinfo_free(&intel);
	hostinfo_set(&intel, "GenuineIntel", "", 6, 85, "smep", "kvm_intel");
	cr_assert_null(target_find_xfail(&t, "mmu.a.b", &intel));
	hostinfo_free(&intel);
	hostinfo_free(&amd);
	target_free(&t);
}

Test(target, real_target_files_parse)
{
	struct target_list list;
	struct perr e;

	cr_assert_eq(target_list_load(POPEK_SOURCE_DIR "/targets", &list, &e),
		     0, "%s", e.msg);
	cr_assert_geq(list.n, 1);
	cr_assert_not_null(target_list_find(&list, "qemu-tcg"));
	target_list_free(&list);
}

Test(target, fatal_stderr_and_xerror)
{
	struct target t;
	struct perr e;

	cr_assert_eq(
		target_parse("t/k.conf",
			     "name = k\ndescription = d\n"
			     "command = q {image}\n"
			     "fatal_stderr = KVM internal error\n"
			     "fatal_stderr = emulation failure\n"
			     "xerror a.b.* when backend=kvm_pvm : dies\n"
			     "xfail a.c.d : raises #GP, not #UD # really\n",
			     &t, &e),
		0, "%s", e.msg);
	cr_assert_eq(t.nfatal_stderr, 2);
	cr_assert_str_eq(t.fatal_stderr[0], "KVM internal error");
	cr_assert_str_eq(t.fatal_stderr[1], "emulation failure");
	cr_assert_eq(t.nxfails, 2);
	cr_assert_str_eq(t.xfails[0].reason, "dies");
	cr_assert(t.xfails[0].covers_error);
	cr_assert_str_eq(t.xfails[0].glob, "a.b.*");
	cr_assert(!t.xfails[1].covers_error);
	/* reasons keep '#': they name exceptions */
	cr_assert_str_eq(t.xfails[1].reason, "raises #GP, not #UD # really");
	target_free(&t);
	cr_assert_eq(target_parse("t/k.conf",
				  "name = k\ndescription = d\n"
				  "command = q {image}\nxerror : no glob\n",
				  &t, &e),
		     -1);
	cr_assert(strstr(e.msg, "t/k.conf:4: bad xerror line"), "%s", e.msg);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(target, include_shared_infidelities)
{
	char dir[] = "/tmp/popek-target-XXXXXX";
	struct target t;
	struct perr e;
	char *inc, *conf;

	cr_assert(mkdtemp(dir));
	inc = write_tmp(dir, "host.infidelities",
			"# shared\n"
			"xerror a.b.* when backend=kvm_pvm : dies #GP\n"
			"xfail a.c.d : fails\n");
	conf = write_tmp(dir, "k.conf",
			 "name = k\ndescription = d\ncommand = q {image}\n"
			 "include = host.infidelities\n"
			 "xfail a.e.f : own\n");
	cr_assert_eq(target_load(conf, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(t.nxfails, 3);
	cr_assert(t.xfails[0].covers_error);
	cr_assert_str_eq(t.xfails[0].reason, "dies #GP");
	cr_assert_str_eq(t.xfails[1].glob, "a.c.d");
	cr_assert_str_eq(t.xfails[2].reason, "own");
	target_free(&t);

	/* only xfail/xerror/either lines, named file:line */
	free(write_tmp(dir, "host.infidelities",
		       "xfail a.c.d : x\ntimeout = 3\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "host.infidelities:2: an included file holds "
				"only xfail, xerror and either lines"),
		  "%s", e.msg);
	/* a missing include is an error naming it */
	free(write_tmp(dir, "k.conf",
		       "name = k\ndescription = d\n"
		       "command = q {image}\n"
		       "include = nope.infidelities\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "k.conf:4: include 'nope.infidelities': not "
				"beside the target file nor in the targets "
				"search path (No such file or directory)"),
		  "%s", e.msg);
	free(write_tmp(dir, "k.conf",
		       "name = k\ndescription = d\n"
		       "command = q {image}\n"
		       "include = ../nope/x\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "k.conf:4: include '../nope/x': not beside "
				"the target file (No such"),
		  "%s", e.msg);
	free(inc);
	free(conf);
}

/*
 * include = FILE when COND,...: the file's lines hold only where the
 * include's conditions hold too (a monitor nested in an emulator inherits
 * the emulator's CPU infidelities, nowhere else).
 */
Test(target, include_with_conditions)
{
	char dir[] = "/tmp/popek-target-XXXXXX";
	struct hostinfo tcg, amd, intel_tcg;
	struct target t;
	struct perr e;
	char *inc, *conf;

	cr_assert(mkdtemp(dir));
	inc = write_tmp(dir, "emu.conf",
			"name = emu\ndescription = d\ncommand = e {image}\n"
			"xfail a.b.* : always\n"
			"xfail a.c when vendor=GenuineIntel : Intel only\n");
	conf = write_tmp(dir, "k.conf",
			 "name = k\ndescription = d\ncommand = q {image}\n"
			 "include = emu.conf when emulator=qemu-tcg,"
			 "kernel>=6.1\n");
	cr_assert_eq(target_load(conf, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(t.nxfails, 2);
	cr_assert_eq(t.xfails[0].nconds, 2);
	cr_assert_eq(t.xfails[0].conds[0].kind, COND_EMULATOR);
	cr_assert_eq(t.xfails[1].nconds, 3);
	cr_assert_eq(t.xfails[1].conds[0].kind, COND_VENDOR);
	cr_assert_str_eq(t.xfails[1].conds[1].value, "qemu-tcg");
	hostinfo_set(&tcg, "AuthenticAMD", "", 23, 1, "", "kvm_amd");
	hostinfo_set_emulator(&tcg, "qemu-tcg");
	hostinfo_set_kernel(&tcg, "6.1.0-57-amd64");
	hostinfo_set(&intel_tcg, "GenuineIntel", "", 6, 85, "", "none");
	hostinfo_set_emulator(&intel_tcg, "qemu-tcg");
	hostinfo_set_kernel(&intel_tcg, "6.1.0-57-amd64");
	hostinfo_set(&amd, "AuthenticAMD", "", 23, 1, "", "kvm_amd");
	hostinfo_set_kernel(&amd, "6.1.0-57-amd64");
	cr_assert_not_null(target_find_xfail(&t, "a.b.x", &tcg));
	cr_assert_null(target_find_xfail(&t, "a.b.x", &amd));
	cr_assert_null(target_find_xfail(&t, "a.c", &tcg));
	cr_assert_not_null(target_find_xfail(&t, "a.c", &intel_tcg));
	hostinfo_free(&tcg);
	hostinfo_free(&intel_tcg);
	hostinfo_free(&amd);
	target_free(&t);

	/* anything but `when` after the file, or a bad condition */
	free(write_tmp(dir, "k.conf",
		       "name = k\ndescription = d\ncommand = q {image}\n"
		       "include = emu.conf if emulator=qemu-tcg\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "k.conf:4: bad include line: expected "
				"'include = FILE [when COND,...]', saw 'if "
				"emulator=qemu-tcg' after the file"),
		  "%s", e.msg);
	free(write_tmp(dir, "k.conf",
		       "name = k\ndescription = d\ncommand = q {image}\n"
		       "include = emu.conf when\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "k.conf:4: bad include line: 'when' without "
				"conditions"),
		  "%s", e.msg);
	free(write_tmp(dir, "k.conf",
		       "name = k\ndescription = d\ncommand = q {image}\n"
		       "include = emu.conf when emulator=bochs\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "k.conf:4: unknown emulator 'bochs'"), "%s",
		  e.msg);
	free(inc);
	free(conf);
	inc = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(inc), 0);
	free(inc);
}

/* A target file taken whole follows its own includes (qemu-iso takes
 * qemu-tcg.conf, which takes its CPU's file); a loop is an error. */
Test(target, include_nested)
{
	char dir[] = "/tmp/popek-target-XXXXXX";
	struct target t;
	struct perr e;
	char *conf, *cmd;

	cr_assert(mkdtemp(dir));
	free(write_tmp(dir, "cpu.infidelities", "xfail a.cpu : cpu\n"));
	free(write_tmp(dir, "emu.conf",
		       "name = emu\ndescription = d\ncommand = e {image}\n"
		       "xfail a.own : own\ninclude = cpu.infidelities\n"));
	conf = write_tmp(dir, "iso.conf",
			 "name = iso\ndescription = d\ncommand = i {image}\n"
			 "include = emu.conf when emulator=qemu-tcg\n");
	cr_assert_eq(target_load(conf, &t, &e), 0, "%s", e.msg);
	cr_assert_eq(t.nxfails, 2);
	cr_assert_str_eq(t.xfails[0].glob, "a.own");
	cr_assert_str_eq(t.xfails[1].glob, "a.cpu");
	cr_assert_eq(t.xfails[1].nconds, 1);
	cr_assert_eq(t.xfails[1].conds[0].kind, COND_EMULATOR);
	target_free(&t);

	free(write_tmp(dir, "emu.conf",
		       "name = emu\ndescription = d\ncommand = e {image}\n"
		       "include = iso.conf\n"));
	cr_assert_eq(target_load(conf, &t, &e), -1);
	cr_assert(strstr(e.msg, "include 'iso.conf': included too deep (an "
				"include loop?)"),
		  "%s", e.msg);
	free(conf);
	cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

Test(target, unsupported_images)
{
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("t/k.conf",
				  "name = k\ndescription = d\n"
				  "command = q {image}\n"
				  "unsupported = x86-instr-alu-* : needs an "
				  "emulator\n",
				  &t, &e),
		     0, "%s", e.msg);
	cr_assert_str_eq(
		target_find_unsupported(&t, "x86-instr-alu-32")->reason,
		"needs an emulator");
	cr_assert_null(target_find_unsupported(&t, "x86-instr-lea-32"));
	target_free(&t);
	cr_assert_eq(target_parse("t/k.conf",
				  "name = k\ndescription = d\n"
				  "command = q {image}\nunsupported = x86-*\n",
				  &t, &e),
		     -1);
	cr_assert_str_eq(e.msg, "t/k.conf:4: expected 'unsupported = "
				"IMAGE-GLOB : reason'");
}

#define BAD_KERNEL(cond)                                                       \
	"targets/t.conf:4: bad kernel condition '" cond "' (expected kernel "  \
	"OP MAJOR.MINOR[.PATCH], OP one of >= <= > < = !=)"

Test(target, bad_kernel_conditions)
{
	expect_error(HEAD "xfail a.b.c when kernel>=6 : why\n",
		     BAD_KERNEL("kernel>=6"));
	expect_error(HEAD "xfail a.b.c when kernel>=6.x : why\n",
		     BAD_KERNEL("kernel>=6.x"));
	expect_error(HEAD "xfail a.b.c when kernel>=6.7.1.2 : why\n",
		     BAD_KERNEL("kernel>=6.7.1.2"));
	expect_error(HEAD "xfail a.b.c when kernel>=6.8-rc1 : why\n",
		     BAD_KERNEL("kernel>=6.8-rc1"));
	expect_error(HEAD "xfail a.b.c when kernel>= : why\n",
		     BAD_KERNEL("kernel>="));
	expect_error(HEAD "xfail a.b.c when kernel=>6.7 : why\n",
		     BAD_KERNEL("kernel=>6.7"));
	expect_error(HEAD "xfail a.b.c when kernel~6.7 : why\n",
		     BAD_KERNEL("kernel~6.7"));
	expect_error(HEAD "xfail a.b.c when kernel >= 6.7 : why\n",
		     BAD_KERNEL("kernel >= 6.7"));
	expect_error(HEAD "xfail a.b.c when kernel : why\n",
		     BAD_KERNEL("kernel"));
	expect_error(HEAD "xerror a.b.c when backend=none,kernel<6 : why\n",
		     BAD_KERNEL("kernel<6"));
}

Test(target, kernel_conditions)
{
	static const char text[] =
		HEAD "xfail a.ge when kernel>=6.7 : from 6.7\n"
		     "xfail a.lt when kernel<6.8 : before 6.8\n"
		     "xfail a.range when kernel>=6.7,kernel<6.8 : 6.7 only\n"
		     "xfail a.eq when kernel=6.7 : every 6.7.x\n"
		     "xfail a.ne when kernel!=6.7.2 : not 6.7.2\n"
		     "xfail a.le when kernel<=6.7 : up to every 6.7.x\n"
		     "xfail a.gt when kernel>6.7 : 6.8 on\n"
		     "xfail a.and when kernel>=6.0,backend=kvm_pvm,"
		     "feature=cpuid_fault : all three\n";
	static const struct {
		const char *release, *id;
		bool holds;
	} rows[] = {
		{"6.7.0", "a.ge", true},
		{"6.6.99-generic", "a.ge", false},
		{"6.10.1", "a.ge", true},
		{"7.0", "a.ge", true},
		{"6.8.0", "a.lt", false},
		{"6.7.99", "a.lt", true},
		{"5.15.0-91-generic", "a.lt", true},
		{"6.7.3", "a.range", true},
		{"6.8.0", "a.range", false},
		{"6.6.0", "a.range", false},
		{"6.7.12", "a.eq", true},
		{"6.70.0", "a.eq", false},
		{"6.7.2", "a.ne", false},
		{"6.7.20", "a.ne", true},
		{"6.7.9", "a.le", true},
		{"6.8.0", "a.le", false},
		{"6.7.9", "a.gt", false},
		{"6.8.0", "a.gt", true},
		/* an unreadable release satisfies no kernel condition */
		{"", "a.ge", false},
		{"", "a.lt", false},
		{"", "a.ne", false},
		{"weird", "a.ne", false},
		{"6.18.44-fc-v1272", "a.and", true},
	};
	struct hostinfo h;
	struct target t;
	struct perr e;
	size_t i;

	cr_assert_eq(target_parse("targets/t.conf", text, &t, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(t.xfails[2].nconds, 2);
	cr_assert_eq(t.xfails[2].conds[0].kind, COND_KERNEL);
	cr_assert_eq(t.xfails[2].conds[0].op, VOP_GE);
	cr_assert_str_eq(t.xfails[2].conds[0].value, "6.7");
	cr_assert_eq(t.xfails[2].conds[1].op, VOP_LT);
	cr_assert_eq(t.xfails[2].conds[1].version.v[1], 8);
	cr_assert_eq(t.xfails[4].conds[0].op, VOP_NE);
	cr_assert_eq(t.xfails[4].conds[0].version.n, 3);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		hostinfo_set(&h, "GenuineIntel", "", 6, 85, "cpuid_fault",
			     "kvm_pvm");
		hostinfo_set_kernel(&h, rows[i].release);
		cr_assert_eq(target_find_xfail(&t, rows[i].id, &h) != NULL,
			     rows[i].holds, "%s on kernel '%s': expected %s",
			     rows[i].id, rows[i].release,
			     rows[i].holds ? "to apply" : "not to apply");
		hostinfo_free(&h);
	}
	/* The conditions are ANDed: one that fails is enough. */
	hostinfo_set(&h, "GenuineIntel", "", 6, 85, "", "kvm_pvm");
	hostinfo_set_kernel(&h, "6.18.44");
	cr_assert_null(target_find_xfail(&t, "a.and", &h));
	hostinfo_free(&h);
	hostinfo_set(&h, "GenuineIntel", "", 6, 85, "cpuid_fault", "kvm_intel");
	hostinfo_set_kernel(&h, "6.18.44");
	cr_assert_null(target_find_xfail(&t, "a.and", &h));
	hostinfo_free(&h);
	hostinfo_set(&h, "GenuineIntel", "", 6, 85, "cpuid_fault", "kvm_pvm");
	hostinfo_set_kernel(&h, "5.4.0");
	cr_assert_null(target_find_xfail(&t, "a.and", &h));
	hostinfo_free(&h);
	target_free(&t);
}

Test(target, either_lines)
{
	static const char text[] =
		HEAD "either x86.bit.tzcnt.*.case?.64 when backend=kvm_pvm,"
		     "vendor=GenuineIntel,kernel>=6.7 : BSF flags #GP-free\n"
		     "either a.b.* : anywhere\n"
		     "xerror a.b.c : dies\n";
	struct hostinfo h;
	struct target t;
	struct perr e;

	cr_assert_eq(target_parse("targets/t.conf", text, &t, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(t.nxfails, 3);
	cr_assert(t.xfails[0].either);
	cr_assert(!t.xfails[0].covers_error);
	cr_assert_eq(t.xfails[0].line, 4);
	cr_assert_str_eq(t.xfails[0].glob, "x86.bit.tzcnt.*.case?.64");
	cr_assert_eq(t.xfails[0].nconds, 3);
	cr_assert_eq(t.xfails[0].conds[2].kind, COND_KERNEL);
	/* the reason is free text: '#' there is no comment */
	cr_assert_str_eq(t.xfails[0].reason, "BSF flags #GP-free");
	cr_assert(t.xfails[1].either);
	cr_assert_eq(t.xfails[1].nconds, 0);
	cr_assert(!t.xfails[2].either);
	cr_assert(t.xfails[2].covers_error);

	hostinfo_set(&h, "GenuineIntel", "", 6, 85, "", "kvm_pvm");
	hostinfo_set_kernel(&h, "6.18.44-fc-v1272");
	cr_assert_eq(
		target_find_xfail(&t, "x86.bit.tzcnt.r16-r16.case1.64", &h),
		&t.xfails[0]);
	/* CPL 3 variants are another form: not matched */
	cr_assert_null(target_find_xfail(
		&t, "x86.bit.tzcnt.r16-r16.case1.cpl3.64", &h));
	/* for a check never reported, either lines are passed over */
	cr_assert_eq(target_find_xfail(&t, "a.b.c", &h), &t.xfails[1]);
	cr_assert_eq(target_find_xerror(&t, "a.b.c", &h), &t.xfails[2]);
	cr_assert_null(target_find_xerror(&t, "a.b.d", &h));
	hostinfo_set_kernel(&h, "6.6.0");
	cr_assert_null(
		target_find_xfail(&t, "x86.bit.tzcnt.r16-r16.case1.64", &h));
	hostinfo_free(&h);
	target_free(&t);
}

Test(target, bad_either_lines)
{
	expect_error(HEAD "either a.b.c no colon\n",
		     "targets/t.conf:4: bad either line: expected 'either "
		     "ID-GLOB [when COND,...] : reason'");
	expect_error(HEAD "either a.b.c :\n",
		     "targets/t.conf:4: bad either line: empty reason");
	expect_error(HEAD "either : why\n",
		     "targets/t.conf:4: bad either line: no check id pattern");
	expect_error(HEAD "either a.b.c when : why\n",
		     "targets/t.conf:4: bad either line: 'when' without "
		     "conditions");
	expect_error(HEAD "either a.b.c unless backend=none : why\n",
		     "targets/t.conf:4: bad either line: expected 'when' after "
		     "the pattern, saw 'unless backend=none'");
	expect_error(HEAD "either a.b.c when kernel>6 : why\n",
		     BAD_KERNEL("kernel>6"));
	expect_error(HEAD "either a.b.c when backend=kvm : why\n",
		     "targets/t.conf:4: unknown backend 'kvm' (expected "
		     "kvm_intel, kvm_amd, kvm_pvm or none)");
	expect_error(HEAD "eithr a.b.c : why\n",
		     "targets/t.conf:4: expected 'key = value' or an xfail, "
		     "xerror or either line");
}

/* Two directories: the first hides a name of the second, an include is
 * found along the path, and a file named by path replaces the name. */
Test(target, search_path)
{
	char a[] = "/tmp/popek-target-XXXXXX", b[] = "/tmp/popek-target-XXXXXX";
	struct target_path sp = {0};
	struct target_list list;
	struct perr e;
	size_t at;
	char *dirs, *p;

	cr_assert(mkdtemp(a));
	cr_assert(mkdtemp(b));
	free(write_tmp(a, "x.conf",
		       "name = x\ndescription = mine\ncommand = q {image}\n"
		       "include = shared.infidelities\n"));
	free(write_tmp(
		b, "x.conf",
		"name = x\ndescription = theirs\ncommand = q {image}\n"));
	free(write_tmp(b, "y.conf",
		       "name = y\ndescription = y\ncommand = q {image}\n"));
	free(write_tmp(b, "shared.infidelities", "xfail a.* : shared\n"));
	dirs = xasprintf("%s:%s:%s", a, b, a);
	target_path_add(&sp, dirs);
	cr_assert_eq(sp.n, 2);
	cr_assert_eq(target_list_load_path(&sp, &list, &e), 0, "%s", e.msg);
	cr_assert_eq(list.n, 2);
	cr_assert_str_eq(list.v[0].description, "mine");
	cr_assert_eq(list.v[0].nxfails, 1);
	cr_assert_str_eq(list.v[0].xfails[0].reason, "shared");
	cr_assert_str_eq(list.v[1].name, "y");
	p = target_path_find(&sp, "shared.infidelities");
	cr_assert(str_starts(p, b));
	free(p);

	/* -t DIR/FILE.conf: loaded, replacing the name found on the path */
	p = write_tmp(b, "y.conf",
		      "name = y\ndescription = by path\ncommand = q {image}\n"
		      "include = shared.infidelities\n");
	cr_assert_eq(target_list_add_file(&list, p, &sp, &at, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(list.n, 2);
	cr_assert_eq(at, 1);
	cr_assert(list.v[1].from_file);
	cr_assert_str_eq(list.v[1].description, "by path");
	free(p);
	cr_assert_eq(target_list_add_file(&list, "/nope/z.conf", &sp, &at, &e),
		     -1);
	cr_assert_str_eq(e.msg, "target file /nope/z.conf: No such file or "
				"directory");
	cr_assert_eq(target_list_add_file(&list, "/nope/z.txt", &sp, &at, &e),
		     -1);
	cr_assert_str_eq(e.msg, "target file '/nope/z.txt' must be named "
				"NAME.conf (NAME being the target's name)");
	target_list_free(&list);

	/* a directory on the path that is not there is an error */
	target_path_add(&sp, "/nope/targets");
	cr_assert_eq(target_list_load_path(&sp, &list, &e), -1);
	cr_assert_str_eq(e.msg, "targets directory /nope/targets: No such "
				"file or directory");
	target_path_free(&sp);
	free(dirs);
	p = xasprintf("rm -rf '%s' '%s'", a, b);
	cr_assert_eq(system(p), 0);
	free(p);
}
