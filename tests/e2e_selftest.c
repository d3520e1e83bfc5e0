/*
 * The runner end to end on real QEMU: the deliberately broken images in
 * build/test-images (guest/selftest/broken.c) must come out classified
 * exactly, check by check, whatever way the guest breaks.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;
	json_t *json;
	char out[8192];
};

/* Runs popek on one image of a target; returns its exit status and JSON. */
static void run_on(const char *target, const char *images, const char *image,
		   struct run *r)
{
	char json_path[] = "/tmp/popek-e2e-XXXXXX";
	char cmd[2048];
	json_error_t err;
	FILE *p;
	size_t n;
	int fd = mkstemp(json_path);

	cr_assert(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s run -t %s --targets %s --images %s --json %s "
		 "--quiet %s 2>&1",
		 POPEK_BIN, target, SELFTEST_TARGETS, images, json_path, image);
	p = popen(cmd, "r");
	cr_assert(p);
	n = fread(r->out, 1, sizeof(r->out) - 1, p);
	r->out[n] = 0;
	r->status = WEXITSTATUS(pclose(p));
	r->json = json_load_file(json_path, 0, &err);
	unlink(json_path);
	cr_assert(r->json, "no JSON from popek (%s): %s", err.text, r->out);
}

static void run_popek(const char *image, struct run *r)
{
	run_on("qemu-selftest", POPEK_TEST_IMAGE_DIR, image, r);
}

static json_t *check(struct run *r, const char *id)
{
	json_t *checks = json_object_get(r->json, "checks"), *c;
	size_t i;

	json_array_foreach(checks, i, c)
	{
		if (!strcmp(json_string_value(json_object_get(c, "id")), id))
			return c;
	}
	cr_assert_fail("check %s missing from the results:\n%s", id, r->out);
	return NULL;
}

static void expect(struct run *r, const char *id, const char *result,
		   const char *reason_part)
{
	json_t *c = check(r, id);
	const char *res = json_string_value(json_object_get(c, "result"));
	const char *why = json_string_value(json_object_get(c, "reason"));

	cr_assert_str_eq(res, result, "%s: expected %s, got %s (%s)", id,
			 result, res, why ? why : "");
	if (reason_part)
		cr_assert(why && strstr(why, reason_part),
			  "%s: reason should mention \"%s\", was \"%s\"", id,
			  reason_part, why ? why : "(none)");
}

static size_t count_checks(struct run *r)
{
	return json_array_size(json_object_get(r->json, "checks"));
}

/* CTest runs this only where qemu-system-x86_64 exists (else: skipped,
 * with one line saying so). */
TestSuite(e2e, .timeout = 60);

Test(e2e, hang_is_timeout)
{
	struct run r;

	run_popek("selftest-hang-32", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 2);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "error", "timeout after 5 s");
	json_decref(r.json);
}

Test(e2e, triple_fault_is_error)
{
	struct run r;

	run_popek("selftest-triplefault-32", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "error",
	       "before 'popek: exit'");
	json_decref(r.json);
}

Test(e2e, stopped_midway_is_not_reported)
{
	struct run r;

	run_popek("selftest-midway-32", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 5);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "error", "not reported");
	expect(&r, "selftest.broken.third.32", "error", "not reported");
	/* a family's members are owed one by one */
	expect(&r, "selftest.broken.family.a.32", "pass", NULL);
	expect(&r, "selftest.broken.family.b.32", "error", "not reported");
	json_decref(r.json);
}

Test(e2e, flood_is_cut_off)
{
	struct run r;

	run_popek("selftest-flood-32", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "error", "flooded");
	json_decref(r.json);
}

Test(e2e, bail_out_both_widths)
{
	struct run r;

	run_popek("selftest-bailout-*", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 4);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "error", "unexpected #UD");
	expect(&r, "selftest.broken.first.64", "pass", NULL);
	expect(&r, "selftest.broken.second.64", "error", "unexpected #UD");
	json_decref(r.json);
}

Test(e2e, garbage_and_no_exit_line)
{
	struct run r;

	run_popek("selftest-noexit-32", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.second.32", "pass", NULL);
	expect(&r, "selftest.broken.third.32", "error", "popek: exit");
	json_decref(r.json);
}

Test(e2e, every_result_class)
{
	struct run r;

	run_popek("selftest-mixed-32", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 5);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.fail.32", "fail", "expected 0x1, saw 0x2");
	expect(&r, "selftest.broken.skip.32", "skip", "not applicable");
	expect(&r, "selftest.broken.xfail.32", "xfail", "expected 0x3");
	expect(&r, "selftest.broken.xpass.32", "xpass", "listed");
	json_decref(r.json);
}

/*
 * Probes fail when they should: QEMU TCG really deviates from the SDM on
 * these checks (docs/findings.md), and a target file that does not list
 * them (qemu-strict) must see "fail" with the architected expectation in
 * the reason, never "pass".
 */
Test(e2e, probes_fail_on_a_deviating_target)
{
	struct run r;

	run_on("qemu-strict", POPEK_IMAGE_DIR, "runtime-exceptions-32", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "runtime.exception.ud.lock-mov.32", "fail",
	       "expected #UD, saw no exception");
	expect(&r, "runtime.exception.gp.es-limit.32", "fail",
	       "expected #GP(0), saw no exception");
	expect(&r, "runtime.exception.de.vector.32", "pass", NULL);
	json_decref(r.json);

	run_on("qemu-strict", POPEK_IMAGE_DIR, "conformance-segment-64", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "conformance.segment.null.load-ss.cpl1.keeps-cpl.64", "fail",
	       "expected");
	json_decref(r.json);
}

/*
 * Restarts (docs/protocol.md): check 2 ends the target inside try_call,
 * so boot 2 skips it and runs check 4; check 5 ends it in plain code,
 * where popek.skip cannot reach, so boot 3 dies there again and the
 * restarts stop, saying so.
 */
Test(e2e, restart_past_the_killer)
{
	struct run r;

	/* options ride on the target argument of the command line */
	run_on("qemu-restart --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-restart-32", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 6);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.killer.32", "error",
	       "ended the target on boot 1 (target exited with status 0 "
	       "before 'popek: exit' (a triple fault under QEMU -no-reboot "
	       "ends so)); later boots skipped it (popek.skip)");
	expect(&r, "selftest.broken.shares.32", "error",
	       "not run, its outcome comes from the code of check 2, which "
	       "ended the target on an earlier boot");
	expect(&r, "selftest.broken.after.32", "pass", NULL);
	expect(&r, "selftest.broken.plain.32", "error",
	       "; check 5 ended the target again although popek.skip listed "
	       "it");
	expect(&r, "selftest.broken.never.32", "error",
	       "; check 5 ended the target again although popek.skip listed "
	       "it");
	json_decref(r.json);
}

/*
 * An interrupt handler that ends the target (its IRET does on some
 * monitors): the STI of irq_enable() and the IF=1 of run_at_cpl_flags()
 * come under popek.skip, so the interrupt of a listed check is never
 * taken and three boots report all five checks.
 */
static void expect_irq_restart(struct run *r)
{
	cr_assert_eq(r->status, 1);
	cr_assert_eq(count_checks(r), 5);
	expect(r, "selftest.broken.first.32", "pass", NULL);
	expect(r, "selftest.broken.irq-killer.32", "error",
	       "ended the target on boot 1 (");
	expect(r, "selftest.broken.irq-after.32", "pass", NULL);
	expect(r, "selftest.broken.irq-ring.32", "error",
	       "ended the target on boot 2 (");
	expect(r, "selftest.broken.irq-last.32", "pass", NULL);
}

Test(e2e, restart_past_an_interrupt_that_kills)
{
	struct run r;

	run_on("qemu-restart --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-irqrestart-32", &r);
	expect_irq_restart(&r);
	json_decref(r.json);
}

/*
 * Set-up that ends the target, run as a check of its own
 * (setup_check()): boot 2 skips it, and the checks that need it report
 * skip naming it rather than an error each.
 */
static void expect_setup_restart(struct run *r)
{
	cr_assert_eq(r->status, 1);
	cr_assert_eq(count_checks(r), 5);
	expect(r, "selftest.broken.first.32", "pass", NULL);
	expect(r, "selftest.broken.setup.32", "error",
	       "ended the target on boot 1 (");
	expect(r, "selftest.broken.needs-setup.32", "skip",
	       "needs the set-up of check 2 (selftest.broken.setup.32), "
	       "which ended the target on an earlier boot (popek.skip)");
	expect(r, "selftest.broken.needs-setup-too.32", "skip",
	       "needs the set-up of check 2");
	expect(r, "selftest.broken.after-setup.32", "pass", NULL);
}

Test(e2e, restart_past_set_up_that_kills)
{
	struct run r;

	run_on("qemu-restart --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-setuprestart-32", &r);
	expect_setup_restart(&r);
	json_decref(r.json);
}

/* Without --restarts (or with 0) nothing changes: everything after the
 * killer is an error with the boot's reason. */
Test(e2e, restarts_off_by_default)
{
	struct run r;

	run_on("qemu-restart", POPEK_TEST_IMAGE_DIR, "selftest-restart-32", &r);
	cr_assert_eq(r.status, 1);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.killer.32", "error",
	       "before 'popek: exit'");
	expect(&r, "selftest.broken.after.32", "error", "before 'popek: exit'");
	json_decref(r.json);
}

/*
 * The same on refvmm-hw (hosts with /dev/kvm; CTest runs this suite as
 * runner-e2e-restart-hw only there): what ends the target differs by
 * host (a triple fault, or a KVM internal error where KVM cannot emulate
 * the delivery), which boot it ended does not.
 */
TestSuite(e2e_hw, .timeout = 120);

Test(e2e_hw, restart_past_the_killer)
{
	struct run r;

	run_on("refvmm-hw --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-restart-32", &r);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(count_checks(&r), 6);
	expect(&r, "selftest.broken.first.32", "pass", NULL);
	expect(&r, "selftest.broken.killer.32", "error",
	       "ended the target on boot 1 (");
	expect(&r, "selftest.broken.shares.32", "error",
	       "not run, its outcome comes from the code of check 2");
	expect(&r, "selftest.broken.after.32", "pass", NULL);
	expect(&r, "selftest.broken.plain.32", "error",
	       "; check 5 ended the target again although popek.skip listed "
	       "it");
	json_decref(r.json);
}

Test(e2e_hw, restart_past_an_interrupt_that_kills)
{
	struct run r;

	run_on("refvmm-hw --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-irqrestart-32", &r);
	expect_irq_restart(&r);
	json_decref(r.json);
}

Test(e2e_hw, restart_past_set_up_that_kills)
{
	struct run r;

	run_on("refvmm-hw --restarts 20", POPEK_TEST_IMAGE_DIR,
	       "selftest-setuprestart-32", &r);
	expect_setup_restart(&r);
	json_decref(r.json);
}
